"""Challenge frames derived from the London set, deterministically: a horizontal warp centred on
the nose landmark moves the nose across the face (what a head turn does to the 5-point
landmarks) while the eyes stay put. No randomness: the same picture gives the same frames."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image

from finguard.identity.service.face_engine import DlibFaceEngine, load_image


def turned(picture: bytes, shift: float, engine: DlibFaceEngine | None = None) -> bytes:
    """``picture`` with the nose pushed ``shift`` eye distances sideways (negative: left), as JPEG."""
    img, _ = load_image(picture, 800)
    found, _ = (engine or DlibFaceEngine()).detect(img)
    assert found, "no face to turn"
    p = found[0].points
    eye_a = ((p[0].x + p[1].x) / 2, (p[0].y + p[1].y) / 2)
    eye_b = ((p[2].x + p[3].x) / 2, (p[2].y + p[3].y) / 2)
    ed = math.hypot(eye_a[0] - eye_b[0], eye_a[1] - eye_b[1])
    nx, ny = p[4].x, p[4].y
    arr = np.asarray(img).astype(np.float32)
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # A Gaussian bump: narrow across (the eyes, half an eye distance away, barely move), tall down the face.
    dx = shift * ed * np.exp(-((((xx - nx) / (0.28 * ed)) ** 2) + (((yy - (ny - 0.3 * ed)) / (0.9 * ed)) ** 2)) / 2)
    src = np.clip(xx - dx, 0, w - 1)
    x0 = np.floor(src).astype(int)
    x1 = np.clip(x0 + 1, 0, w - 1)
    f = (src - x0)[..., None]
    yi = yy.astype(int)
    out = arr[yi, x0] * (1 - f) + arr[yi, x1] * f
    buf = io.BytesIO()
    Image.fromarray(out.clip(0, 255).astype(np.uint8)).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def head_turn(path: Path, shift: float = 0.16) -> list[bytes]:
    """Straight, turned one way, turned the other: three frames of one London picture."""
    data = path.read_bytes()
    engine = DlibFaceEngine()
    return [data, turned(data, -shift, engine), turned(data, shift, engine)]
