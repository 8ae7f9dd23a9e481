"""The face engine: dlib's CC0 models from the ``face_recognition_models`` package.

* detection: dlib's HOG detector first (5 ms; built into dlib), and when it finds nothing, the
  CNN detector ``mmod_human_face_detector.dat``, which still finds faces with the lower half
  covered; both run on a downscaled copy so a 4000 px phone photo costs what a 320 px one does;
* alignment: the 5-point landmark model and ``dlib.get_face_chip`` (the 68-point model is
  never loaded: its training data is licensed for non-commercial use only);
* embedding: dlib's ResNet, 128 numbers per face;
* quality and mask measurements on the aligned chip (``_measure``, ``mask_score``).

Images are decoded in memory and never written or logged here.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from finguard.identity.model.face import FaceObservation, Point, Quality
from finguard.identity.model.masks import OCCLUDER, paint_mask
from finguard.identity.service.face import ImageUnreadable

MAX_PIXELS = 40_000_000  # a 40 MP phone photo; more is refused before it is decoded
CHIP = 150
CHIP_PADDING = 0.25
# Where the aligned chip puts the eyes (y ~ 47) and the nose base (y ~ 85): measured once on the
# London set; the bands below are read from it.
EYE_BAND = (slice(28, 64), slice(22, 128))
FOREHEAD = (slice(8, 30), slice(50, 100))
BRIDGE = (slice(40, 58), slice(64, 86))
LOWER_FACE = (slice(100, 140), slice(45, 105))


@dataclass(frozen=True, slots=True)
class Found:
    """One face in a working image: box, 5 landmarks (working-image pixels) and the scale back."""

    box: tuple[int, int, int, int]
    points: tuple[Point, ...]
    scale: float


def model_dir() -> Path:
    """The package's model folder, found without importing the package: its ``__init__`` imports
    ``pkg_resources``, which setuptools no longer ships (81 and later)."""
    from importlib.util import find_spec

    spec = find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("face_recognition_models is not installed (pip install face-recognition-models)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def load_image(data: bytes, max_side: int = 800) -> tuple[Image.Image, float]:
    """Decode, apply the EXIF orientation, convert to RGB and downscale to ``max_side``.

    Returns the working image and the factor from it back to the original's pixels.
    """
    try:
        with Image.open(io.BytesIO(data)) as raw:
            original_side = max(raw.size)
            if raw.width * raw.height > MAX_PIXELS:
                raise ImageUnreadable(f"{raw.width}x{raw.height} pixels is more than {MAX_PIXELS:,}")
            raw.draft("RGB", (max_side, max_side))
            img = ImageOps.exif_transpose(raw).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageUnreadable(str(exc)) from exc
    if max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return img, original_side / max(img.size)


def _lap_var(gray: np.ndarray[Any, Any]) -> float:
    g = gray.astype(np.float32)
    lap = g[1:-1, 2:] + g[1:-1, :-2] + g[2:, 1:-1] + g[:-2, 1:-1] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def mask_score(chip: np.ndarray[Any, Any]) -> float:
    """How far the lower face is from looking like the skin around the eyes, in [0, 1].

    The chroma (YCbCr Cb, Cr) of the forehead and the nose bridge, which no mask covers, is the
    customer's skin; the score is the share of the mouth-and-chin band whose chroma is more than
    a fixed distance from it, blended with how flat that band is.  A beige mask close to the
    skin's colour is this rule's known blind spot (measured in the bench).
    """
    ycc = np.asarray(Image.fromarray(chip).convert("YCbCr"), dtype=np.float32)
    skin = np.concatenate([ycc[FOREHEAD].reshape(-1, 3), ycc[BRIDGE].reshape(-1, 3)])
    ref = np.median(skin[:, 1:], axis=0)
    lower = ycc[LOWER_FACE].reshape(-1, 3)
    dist = np.hypot(lower[:, 1] - ref[0], lower[:, 2] - ref[1])
    off_skin = float((dist > 9.0).mean())
    ref_luma = float(np.median(skin[:, 0]))
    luma_gap = min(1.0, abs(float(np.median(lower[:, 0])) - ref_luma) / 80.0)
    return round(0.75 * off_skin + 0.25 * luma_gap, 4)


class DlibFaceEngine:
    """Loads the three models once (thread-safe, on first use) and observes pictures."""

    def __init__(self, *, max_side: int = 800, hog_side: int = 320, cnn_sides: tuple[int, ...] = (240, 400)) -> None:
        self.max_side = max_side
        self.hog_side = hog_side
        self.cnn_sides = cnn_sides
        self._lock = threading.Lock()
        # dlib's networks keep each layer's output inside the network object: two threads in one
        # forward pass would mix their pictures. One observation at a time per engine.
        self._infer = threading.Lock()
        self._models: tuple[Any, Any, Any, Any] | None = None

    def _load(self) -> tuple[Any, Any, Any, Any]:
        with self._lock:
            if self._models is None:
                import dlib

                d = model_dir()
                self._models = (
                    dlib.get_frontal_face_detector(),
                    dlib.cnn_face_detection_model_v1(str(d / "mmod_human_face_detector.dat")),
                    dlib.shape_predictor(str(d / "shape_predictor_5_face_landmarks.dat")),
                    dlib.face_recognition_model_v1(str(d / "dlib_face_recognition_resnet_model_v1.dat")),
                )
            return self._models

    def detect(self, img: Image.Image) -> tuple[list[Found], str]:
        """Faces in ``img`` (largest first) and which detector found them."""
        import dlib

        hog, cnn, predictor, _ = self._load()
        arr = np.asarray(img)
        for name, side in [("hog", self.hog_side), *[("cnn", s) for s in self.cnn_sides]]:
            k = side / max(img.size)  # small pictures are enlarged: both detectors miss faces under ~80 px
            small = np.asarray(img.resize((max(1, round(img.width * k)), max(1, round(img.height * k))), Image.Resampling.BILINEAR))
            if name == "hog":
                rects = list(hog(small, 0))
            else:
                rects = [r.rect for r in cnn(small, 0) if r.confidence > 0.0]
            if not rects:
                continue
            found = []
            for r in rects:
                box = dlib.rectangle(round(r.left() / k), round(r.top() / k), round(r.right() / k), round(r.bottom() / k))
                shape = predictor(arr, box)
                pts = tuple(Point(float(p.x), float(p.y)) for p in shape.parts())
                found.append(Found((box.left(), box.top(), box.right(), box.bottom()), pts, 1.0))
            found.sort(key=lambda f: -(f.box[2] - f.box[0]))
            return found, name
        return [], "none"

    def _shape(self, f: Found) -> Any:
        import dlib

        rect = dlib.rectangle(*f.box)
        return dlib.full_object_detection(rect, [dlib.point(round(p.x), round(p.y)) for p in f.points])

    def chip(self, img: Image.Image, f: Found) -> np.ndarray[Any, Any]:
        import dlib

        chip: np.ndarray[Any, Any] = dlib.get_face_chip(np.asarray(img), self._shape(f), size=CHIP, padding=CHIP_PADDING)
        return chip

    def embed(self, chip: np.ndarray[Any, Any]) -> tuple[float, ...]:
        rec = self._load()[3]
        return tuple(round(float(x), 6) for x in rec.compute_face_descriptor(chip))

    def observe_image(
        self, img: Image.Image, scale: float = 1.0, *, occlude_at: float = 2.0, full_when_occluded: bool = True
    ) -> FaceObservation:
        """Observe the largest face; add the occluded embedding when the mask score reaches ``occlude_at``.

        ``faces`` counts the other faces at least half as wide as the largest: a face far behind
        the customer is not a second customer, one beside them is.  With
        ``full_when_occluded=False`` a face that gets the occluded embedding gets no full one:
        a masked decision reads only the occluded pair, and each embedding costs ~80 ms of CPU.
        """
        found, detector = self.detect(img)
        if not found:
            return FaceObservation(faces=0, detector=detector)
        face = found[0]
        width = face.box[2] - face.box[0]
        faces = 1 + sum(1 for f in found[1:] if (f.box[2] - f.box[0]) * 2 >= width)
        chip = self.chip(img, face)
        score = mask_score(chip)
        occluded: tuple[float, ...] = ()
        if score >= occlude_at:
            occluded = self.embed(self.chip(paint_mask(img, face.points, OCCLUDER), face))
        return FaceObservation(
            faces=faces,
            detector=detector,
            quality=_measure(chip, face, scale),
            mask_score=score,
            embedding=self.embed(chip) if full_when_occluded or not occluded else (),
            occluded_embedding=occluded,
        )

    def observe(self, data: bytes, *, occlude_at: float = 2.0, full_when_occluded: bool = True) -> FaceObservation:
        img, scale = load_image(data, self.max_side)
        with self._infer:
            return self.observe_image(img, scale, occlude_at=occlude_at, full_when_occluded=full_when_occluded)


def _measure(chip: np.ndarray[Any, Any], face: Found, scale: float) -> Quality:
    gray = np.asarray(Image.fromarray(chip).convert("L"), dtype=np.float32)
    band = gray[EYE_BAND]
    p = face.points
    eye_a = ((p[0].x + p[1].x) / 2, (p[0].y + p[1].y) / 2)
    eye_b = ((p[2].x + p[3].x) / 2, (p[2].y + p[3].y) / 2)
    left, right = (eye_a, eye_b) if eye_a[0] < eye_b[0] else (eye_b, eye_a)
    eye_dist = math.hypot(right[0] - left[0], right[1] - left[1]) or 1.0
    roll = math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))
    mid = ((left[0] + right[0]) / 2, (left[1] + right[1]) / 2)
    # Signed offset of the nose base from the eyes' midpoint, along the eye line.
    ux, uy = (right[0] - left[0]) / eye_dist, (right[1] - left[1]) / eye_dist
    yaw = ((p[4].x - mid[0]) * ux + (p[4].y - mid[1]) * uy) / eye_dist
    return Quality(
        face_px=round((face.box[2] - face.box[0]) * scale, 1),
        sharpness=round(_lap_var(band), 2),
        yaw=round(yaw, 3),
        roll_deg=round(roll, 1),
        brightness=round(float(band.mean()), 1),
        clipped=round(float((band >= 250).mean()), 4),
    )
