"""Synthetic face masks and harder captures, painted deterministically from 5 landmarks.

Used by the bench and the tests to build masked versions of real photos (the generated images
are never committed), and by the verifier to paint one neutral mask on the photo on file so that
a masked capture is compared like against like.

Geometry is in "face units": ``s`` along the eye line (image-left to image-right), ``t`` down
the face, both in eye distances, measured from the midpoint of the eyes.  With dlib's 5 points
(0-1 one eye's corners, 2-3 the other's, 4 the base of the nose) the nose base sits near
``t = 0.7`` and the chin near ``t = 1.8``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from finguard.identity.model.face import Point


class Shape(StrEnum):
    SURGICAL = "surgical"
    CLOTH = "cloth"
    N95 = "n95"
    BAND = "band"


class Texture(StrEnum):
    PLAIN = "plain"
    STRIPES = "stripes"
    DOTS = "dots"
    NOISE = "noise"


@dataclass(frozen=True, slots=True)
class MaskStyle:
    name: str
    shape: Shape
    colour: tuple[int, int, int]
    texture: Texture
    nose_covered: bool
    top: float | None = None


STYLES: tuple[MaskStyle, ...] = (
    MaskStyle("surgical-blue", Shape.SURGICAL, (150, 195, 225), Texture.PLAIN, True),
    MaskStyle("surgical-white-nose-out", Shape.SURGICAL, (232, 234, 236), Texture.PLAIN, False),
    MaskStyle("cloth-black", Shape.CLOTH, (32, 32, 36), Texture.NOISE, True),
    MaskStyle("cloth-navy-dots", Shape.CLOTH, (35, 45, 95), Texture.DOTS, True),
    MaskStyle("cloth-beige-nose-out", Shape.CLOTH, (212, 188, 160), Texture.STRIPES, False),
    MaskStyle("n95-white", Shape.N95, (240, 238, 230), Texture.NOISE, True),
)

#: The occluder: flat grey over the whole face below the middle of the nose, painted on both
#: pictures of a masked comparison so that only the upper face is compared.  It starts above the
#: highest painted mask (0.28) and is wider than the widest (1.2).
OCCLUDER = MaskStyle("occluder-grey", Shape.BAND, (128, 128, 128), Texture.PLAIN, True, top=0.24)


class Degradation(StrEnum):
    DOWNSCALED = "downscaled"
    BLURRED = "blurred"
    ROTATED = "rotated"
    DARKER = "darker"


@dataclass(frozen=True, slots=True)
class _Frame:
    origin: tuple[float, float]
    u: tuple[float, float]
    v: tuple[float, float]
    unit: float

    def at(self, s: float, t: float) -> tuple[float, float]:
        ox, oy = self.origin
        return (
            ox + self.unit * (s * self.u[0] + t * self.v[0]),
            oy + self.unit * (s * self.u[1] + t * self.v[1]),
        )


def _frame(points: Sequence[Point]) -> _Frame:
    if len(points) != 5:
        raise ValueError("5 landmarks expected")
    a = ((points[0].x + points[1].x) / 2, (points[0].y + points[1].y) / 2)
    b = ((points[2].x + points[3].x) / 2, (points[2].y + points[3].y) / 2)
    left, right = (a, b) if a[0] < b[0] else (b, a)
    dx, dy = right[0] - left[0], right[1] - left[1]
    unit = math.hypot(dx, dy) or 1.0
    u = (dx / unit, dy / unit)
    v = (-u[1], u[0])  # image y points down, so this is "down the face"
    return _Frame(((left[0] + right[0]) / 2, (left[1] + right[1]) / 2), u, v, unit)


def _outline(shape: Shape, top: float) -> list[tuple[float, float]]:
    """The mask's outline in face units, clockwise from its top left."""
    if shape is Shape.BAND:
        return [(-1.5, top), (1.5, top), (1.5, 2.4), (-1.5, 2.4)]
    if shape is Shape.SURGICAL:
        return [(-1.05, top), (1.05, top), (1.15, top + 0.55), (1.05, 1.5), (0.55, 2.0), (-0.55, 2.0), (-1.05, 1.5), (-1.15, top + 0.55)]
    cy, ry = (top + 2.0) / 2, (2.0 - top) / 2
    rx = 1.2 if shape is Shape.CLOTH else 1.05
    pts: list[tuple[float, float]] = []
    for i in range(48):
        a = 2 * math.pi * i / 48
        s, t = rx * math.cos(a), ry * math.sin(a)
        if shape is Shape.CLOTH and t < 0:
            t *= 0.8  # flatter over the nose
        pts.append((s, cy + t))
    return pts


def _fabric(size: tuple[int, int], style: MaskStyle, rng: np.random.Generator, unit: float) -> Image.Image:
    w, h = size
    base = np.empty((h, w, 3), dtype=np.float32)
    base[:] = style.colour
    yy, xx = np.mgrid[0:h, 0:w]
    if style.texture is Texture.STRIPES:
        period = max(4.0, unit * 0.18)
        base *= (0.85 + 0.15 * (np.sin(2 * math.pi * yy / period) > 0))[..., None]
    elif style.texture is Texture.DOTS:
        period = max(6.0, unit * 0.25)
        cx, cy = xx % period - period / 2, yy % period - period / 2
        dots = (cx * cx + cy * cy) < (period * 0.22) ** 2
        base[dots] = (235, 230, 220)
    if style.texture in (Texture.NOISE, Texture.DOTS):
        base += rng.normal(0.0, 9.0, size=(h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")


def paint_mask(image: Image.Image, points: Sequence[Point], style: MaskStyle, seed: int = 0) -> Image.Image:
    """Return a copy of ``image`` with ``style`` painted over the lower face given by ``points``."""
    img = image.convert("RGB")
    f = _frame(points)
    rng = np.random.default_rng(seed)
    if style.top is not None:
        top = style.top
    else:
        top = (0.32 if style.nose_covered else 0.78) + float(rng.uniform(-0.04, 0.04))
    poly = [f.at(s, t) for s, t in _outline(style.shape, top)]
    alpha = Image.new("L", img.size, 0)
    draw = ImageDraw.Draw(alpha)
    draw.polygon(poly, fill=255)
    if style.shape is not Shape.BAND:
        alpha = alpha.filter(ImageFilter.GaussianBlur(max(0.6, f.unit * 0.015)))
    fabric = _fabric(img.size, style, rng, f.unit)
    shade = ImageDraw.Draw(fabric)
    line_w = max(1, round(f.unit * 0.03))
    dark = tuple(max(0, c - 45) for c in style.colour)
    if style.shape is Shape.SURGICAL:
        for k in (0.3, 0.55, 0.8):
            t = top + k * (1.45 - top)
            shade.line([f.at(-1.0, t), f.at(1.0, t + 0.03)], fill=dark, width=line_w)
    elif style.shape is Shape.N95:
        shade.line([f.at(0.0, top), f.at(0.0, 2.0)], fill=dark, width=line_w)
    out = Image.composite(fabric, img, alpha)
    if style.shape is Shape.BAND:
        return out
    loops = ImageDraw.Draw(out)
    strap = (240, 240, 240) if style.shape is not Shape.CLOTH else style.colour
    for t0, t1 in ((top + 0.1, top - 0.15), (1.4, 1.05)):
        loops.line([f.at(-1.1, t0), f.at(-1.45, t1)], fill=strap, width=line_w)
        loops.line([f.at(1.1, t0), f.at(1.45, t1)], fill=strap, width=line_w)
    return out


def degrade(image: Image.Image, kind: Degradation, seed: int = 0) -> Image.Image:
    """A harder capture: smaller, blurred, rotated or darker, deterministically from ``seed``."""
    img = image.convert("RGB")
    rng = np.random.default_rng(seed)
    if kind is Degradation.DOWNSCALED:
        factor = float(rng.uniform(0.3, 0.4))
        return img.resize((max(1, round(img.width * factor)), max(1, round(img.height * factor))), Image.Resampling.BILINEAR)
    if kind is Degradation.BLURRED:
        return img.filter(ImageFilter.GaussianBlur(float(rng.uniform(1.5, 2.5))))
    if kind is Degradation.ROTATED:
        angle = float(rng.choice([-1.0, 1.0]) * rng.uniform(12.0, 20.0))
        return img.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=(128, 128, 128))
    dark = ImageEnhance.Brightness(img).enhance(float(rng.uniform(0.35, 0.45)))
    return dark
