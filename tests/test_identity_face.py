"""1:1 face verification on real photos (#17): three London-set pictures, masks painted in memory.

``tests/data/faces/london-set``: 001 neutral is the photo on file; 001 smiling is the same
person captured later; 002 smiling is someone else.  The models come from the
``face_recognition_models`` package; nothing is downloaded.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from finguard.core.errors import InvalidInput
from finguard.identity.model.face import Reason, Verdict
from finguard.identity.model.masks import STYLES, Degradation, degrade, paint_mask
from finguard.identity.service.face import FaceVerifier
from finguard.identity.service.face_engine import DlibFaceEngine, load_image


@pytest.fixture(scope="module")
def engine() -> DlibFaceEngine:
    return DlibFaceEngine()


@pytest.fixture(scope="module")
def verifier(engine: DlibFaceEngine) -> FaceVerifier:
    return FaceVerifier(engine)


@pytest.fixture(scope="module")
def faces(shared_data: Path) -> dict[str, bytes]:
    root = shared_data / "faces" / "london-set"
    return {
        "photo": (root / "neutral" / "001.jpg").read_bytes(),
        "same": (root / "smiling" / "001.jpg").read_bytes(),
        "other": (root / "smiling" / "002.jpg").read_bytes(),
    }


def jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def masked(engine: DlibFaceEngine, data: bytes, style_name: str) -> bytes:
    img, _ = load_image(data)
    found, _ = engine.detect(img)
    style = next(s for s in STYLES if s.name == style_name)
    return jpeg(paint_mask(img, found[0].points, style, seed=1))


def test_the_same_person_matches_and_another_does_not(verifier: FaceVerifier, faces: dict[str, bytes]) -> None:
    same = verifier.verify(faces["photo"], faces["same"])
    assert (same.verdict, same.reason, same.decision.masked) == (Verdict.MATCH, Reason.SAME_PERSON, False)
    other = verifier.verify(faces["photo"], faces["other"])
    assert (other.verdict, other.reason) == (Verdict.NO_MATCH, Reason.DIFFERENT_PERSON)
    assert same.decision.distance is not None and other.decision.distance is not None
    assert same.decision.distance < other.decision.distance


def test_a_masked_customer_is_recognised_and_a_masked_stranger_is_not(
    engine: DlibFaceEngine, verifier: FaceVerifier, faces: dict[str, bytes]
) -> None:
    same = verifier.verify(faces["photo"], masked(engine, faces["same"], "surgical-blue"))
    assert same.capture.faces == 1 and same.decision.masked
    assert (same.verdict, same.reason) == (Verdict.MATCH, Reason.SAME_PERSON_MASKED)
    stranger = verifier.verify(faces["photo"], masked(engine, faces["other"], "cloth-black"))
    assert stranger.decision.masked and stranger.verdict is not Verdict.MATCH


def test_the_answer_carries_no_image_and_no_embedding(verifier: FaceVerifier, faces: dict[str, bytes]) -> None:
    result = verifier.verify(faces["photo"], faces["same"])
    assert result.reference.embedding == () and result.capture.embedding == ()
    assert result.capture.occluded_embedding == ()


def test_a_picture_without_a_face_is_retaken(verifier: FaceVerifier, faces: dict[str, bytes]) -> None:
    blank = jpeg(Image.new("RGB", (320, 320), (120, 130, 140)))
    result = verifier.verify(faces["photo"], blank)
    assert (result.verdict, result.reason) == (Verdict.RETAKE, Reason.NO_FACE)
    assert verifier.verify(blank, faces["same"]).reason is Reason.REFERENCE_UNUSABLE


def test_two_people_in_the_capture_are_refused(engine: DlibFaceEngine, verifier: FaceVerifier, faces: dict[str, bytes]) -> None:
    a, _ = load_image(faces["same"], 300)
    b, _ = load_image(faces["other"], 300)
    both = Image.new("RGB", (600, 300))
    both.paste(a, (0, 0))
    both.paste(b, (300, 0))
    result = verifier.verify(faces["photo"], jpeg(both))
    assert (result.verdict, result.reason) == (Verdict.RETAKE, Reason.SEVERAL_FACES)


def test_a_dark_capture_is_retaken_as_too_dark(verifier: FaceVerifier, faces: dict[str, bytes]) -> None:
    img, _ = load_image(faces["same"])
    dark = jpeg(degrade(img, Degradation.DARKER, seed=1).point(lambda v: v // 3))
    result = verifier.verify(faces["photo"], dark)
    assert result.verdict is Verdict.RETAKE and Reason.TOO_DARK in result.decision.capture_problems


def test_bytes_that_are_not_a_picture_are_refused(verifier: FaceVerifier, faces: dict[str, bytes]) -> None:
    with pytest.raises(InvalidInput) as caught:
        verifier.verify(faces["photo"], b"%PDF-1.4 not a picture")
    assert caught.value.problems[0].field == "capture"


def test_the_lean_masked_path_answers_the_same_without_the_full_embeddings(engine: DlibFaceEngine, faces: dict[str, bytes]) -> None:
    """A masked decision reads only the upper faces, so ``lean`` skips the two full-face embeddings."""
    capture = masked(engine, faces["same"], "cloth-black")
    lean = FaceVerifier(engine, lean=True).verify(faces["photo"], capture)
    full = FaceVerifier(engine, lean=False).verify(faces["photo"], capture)
    assert lean.decision.masked and (lean.verdict, lean.reason) == (full.verdict, full.reason)
    assert lean.decision.distance == pytest.approx(full.decision.distance)
    raw = engine.observe(capture, occlude_at=0.0, full_when_occluded=False)
    assert raw.occluded_embedding and raw.embedding == ()


def test_a_photo_on_file_the_mask_rule_reads_as_masked_still_compares_whole_with_a_bare_capture(
    engine: DlibFaceEngine, faces: dict[str, bytes]
) -> None:
    """Only the capture's mask counts: a photo on file with a high mask score (a beard, here a
    painted mask) must still give its full embedding to an unmasked comparison."""
    photo = masked(engine, faces["photo"], "cloth-black")
    for lean in (True, False):
        result = FaceVerifier(engine, lean=lean).verify(photo, faces["same"])
        assert result.reference.mask_score >= FaceVerifier(engine).policy.mask_score_threshold
        assert not result.decision.masked and result.decision.distance is not None
