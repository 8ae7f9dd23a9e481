"""The face decision policy (#17), on observations built inline: no picture, no model.

The engine measures; ``decide`` turns two observations into match / no_match / retake with a
reason.  Embeddings here are points on a line, so distances are easy to read.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from finguard.identity.model.face import FaceObservation, MatchPolicy, Quality, Reason, Verdict, decide, quality_problems
from finguard.identity.service.liveness import HeadTurnChallenge

POLICY = MatchPolicy(match=0.5, masked_match=0.4, masked_no_match=0.6, mask_score_threshold=0.5)
GOOD = Quality(face_px=200, sharpness=300, yaw=0.0, roll_deg=2, brightness=130, clipped=0.0)


def face(x: float, *, mask: float = 0.1, occluded: float | None = None, quality: Quality = GOOD, faces: int = 1) -> FaceObservation:
    """One face whose embedding is (x, 0, ..., 0), and whose occluded embedding is (occluded, 0, ...)."""
    emb = (x,) + (0.0,) * 127
    occ = (occluded,) + (0.0,) * 127 if occluded is not None else ()
    return FaceObservation(faces=faces, detector="hog", quality=quality, mask_score=mask, embedding=emb, occluded_embedding=occ)


def test_close_unmasked_faces_match_and_far_ones_do_not() -> None:
    assert decide(face(0), face(0.3), POLICY).verdict is Verdict.MATCH
    d = decide(face(0), face(0.7), POLICY)
    assert (d.verdict, d.reason, d.distance, d.score) == (Verdict.NO_MATCH, Reason.DIFFERENT_PERSON, 0.7, 0.3)


def test_a_masked_capture_is_compared_upper_face_to_upper_face_with_the_masked_threshold() -> None:
    """Full embeddings 1.3 apart (the mask changes the face), occluded ones 0.3 apart."""
    d = decide(face(0, occluded=1.0), face(1.3, mask=0.9, occluded=1.3), POLICY)
    assert (d.verdict, d.reason, d.masked, d.threshold, d.distance) == (
        Verdict.MATCH,
        Reason.SAME_PERSON_MASKED,
        True,
        0.4,
        pytest.approx(0.3),
    )


def test_without_occluded_embeddings_a_masked_pair_still_gets_the_strict_threshold() -> None:
    d = decide(face(0), face(0.45, mask=0.9), POLICY)
    assert (d.verdict, d.masked) == (Verdict.RETAKE, True)


def test_a_masked_distance_that_would_pass_unmasked_asks_to_lower_the_mask() -> None:
    d = decide(face(0, occluded=0), face(0.45, mask=0.9, occluded=0.45), POLICY)
    assert (d.verdict, d.reason) == (Verdict.RETAKE, Reason.MASK_UNCERTAIN)
    assert decide(face(0, occluded=0), face(0.65, mask=0.9, occluded=0.65), POLICY).verdict is Verdict.NO_MATCH


def test_a_mask_never_loosens_the_threshold() -> None:
    assert POLICY.masked_match <= POLICY.match
    for x in (0.41, 0.45, 0.5):
        assert decide(face(0, occluded=0), face(x, mask=0.9, occluded=x), POLICY).verdict is not Verdict.MATCH


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"face_px": 40}, Reason.FACE_TOO_SMALL),
        ({"sharpness": 3}, Reason.BLURRY),
        ({"yaw": 0.6}, Reason.POSE),
        ({"roll_deg": 50}, Reason.POSE),
        ({"brightness": 20}, Reason.TOO_DARK),
        ({"brightness": 240}, Reason.TOO_BRIGHT),
        ({"clipped": 0.5}, Reason.TOO_BRIGHT),
    ],
)
def test_a_poor_capture_is_retaken_with_its_reason(change: dict[str, float], reason: Reason) -> None:
    d = decide(face(0), face(0.1, quality=replace(GOOD, **change)), POLICY)  # type: ignore[arg-type]
    assert (d.verdict, d.reason, d.distance) == (Verdict.RETAKE, reason, None)


def test_every_quality_problem_is_listed_most_basic_first() -> None:
    poor = replace(GOOD, face_px=40, sharpness=3)
    assert quality_problems(face(0, quality=poor, faces=2), POLICY.quality) == (Reason.SEVERAL_FACES, Reason.FACE_TOO_SMALL, Reason.BLURRY)


def test_no_face_and_several_faces_are_retakes() -> None:
    assert decide(face(0), FaceObservation(faces=0, detector="none"), POLICY).reason is Reason.NO_FACE
    assert decide(face(0), face(0.1, faces=2), POLICY).reason is Reason.SEVERAL_FACES


def test_an_unusable_photo_on_file_is_the_bank_s_problem_not_the_customer_s() -> None:
    d = decide(FaceObservation(faces=0, detector="none"), face(0), POLICY)
    assert (d.verdict, d.reason) == (Verdict.RETAKE, Reason.REFERENCE_UNUSABLE)


def test_head_turn_liveness_needs_the_same_face_turning() -> None:
    turned = [face(0), face(0.05, quality=replace(GOOD, yaw=0.2)), face(0.02, quality=replace(GOOD, yaw=-0.05))]
    assert HeadTurnChallenge().check(turned, POLICY).passed
    still = [face(0), face(0.01), face(0.02)]
    assert not HeadTurnChallenge().check(still, POLICY).passed
    swapped = [face(0), face(0.9, quality=replace(GOOD, yaw=0.3)), face(0)]
    assert "changed" in HeadTurnChallenge().check(swapped, POLICY).reason
    assert not HeadTurnChallenge().check(turned[:2], POLICY).passed
