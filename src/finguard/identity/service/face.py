"""1:1 face verification: the photo on file against a live capture.

The engine is declared here as a Protocol (the one implementation is ``DlibFaceEngine``); the
decision is ``identity.model.face.decide``.  Neither picture nor embedding leaves this function:
the result carries the verdict, reason, distance and quality measurements only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from finguard.core.errors import InvalidInput
from finguard.identity.model.face import FaceDecision, FaceObservation, MatchPolicy, Reason, Verdict, decide, is_masked
from finguard.identity.service.liveness import LivenessCheck, LivenessResult


class ImageUnreadable(ValueError):
    """The bytes are not a picture the engine can decode (or it is too large to decode safely)."""


class FaceEngine(Protocol):
    def observe(self, data: bytes, *, occlude_at: float = 2.0, full_when_occluded: bool = True) -> FaceObservation: ...


@dataclass(frozen=True, slots=True)
class FaceVerification:
    decision: FaceDecision
    reference: FaceObservation
    capture: FaceObservation
    liveness: LivenessResult | None = None

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict

    @property
    def reason(self) -> Reason:
        return self.decision.reason


class FaceVerifier:
    """``lean`` (the default): a masked comparison embeds only what it reads, the upper faces of
    both pictures, not their full faces (two ResNet passes, ~160 ms of CPU, saved per masked
    verification); the answer is the same.  A liveness check reads full embeddings, so with one
    configured the capture is always embedded whole."""

    def __init__(
        self, engine: FaceEngine, policy: MatchPolicy | None = None, liveness: LivenessCheck | None = None, *, lean: bool = True
    ) -> None:
        self.engine = engine
        self.policy = policy or MatchPolicy()
        self.liveness = liveness
        self.lean = lean

    def verify(self, photo: bytes, capture: bytes, frames: Sequence[bytes] = ()) -> FaceVerification:
        """Compare ``photo`` (on file) with ``capture``; ``frames`` feed the liveness check if one is set.

        Raises ``InvalidInput`` naming ``photo`` or ``capture`` when a picture cannot be decoded.
        """
        # The capture first: only when it is masked does the photo's occluded embedding cost time.
        cap = self._observe("capture", capture, self.policy.mask_score_threshold, full=not self.lean or self.liveness is not None)
        masked = is_masked(cap, self.policy)
        if self.lean:
            # Only the capture's mask counts (``decide``): the photo's upper face is embedded only
            # for a masked capture, and its full face only for an unmasked one.
            ref = self._observe("photo", photo, 0.0 if masked else 2.0, full=not masked)
        else:
            ref = self._observe("photo", photo, 0.0 if masked else self.policy.mask_score_threshold, full=True)
        decision = decide(ref, cap, self.policy)
        live: LivenessResult | None = None
        if self.liveness is not None and decision.verdict is Verdict.MATCH:
            live = self.liveness.check([cap, *(self.engine.observe(f) for f in frames)], self.policy)
            if not live.passed:
                decision = FaceDecision(Verdict.RETAKE, Reason.LIVENESS_FAILED, decision.distance, decision.threshold, decision.masked)
        return FaceVerification(decision, _strip(ref), _strip(cap), live)

    def _observe(self, field: str, data: bytes, occlude_at: float, *, full: bool) -> FaceObservation:
        try:
            return self.engine.observe(data, occlude_at=occlude_at, full_when_occluded=full)
        except ImageUnreadable as exc:
            raise InvalidInput.for_field(field, f"is not a picture that can be read (JPEG, PNG or WebP): {exc}") from None


def _strip(obs: FaceObservation) -> FaceObservation:
    """The observation without its embeddings: what may be shown, returned or audited."""
    return FaceObservation(obs.faces, obs.detector, obs.quality, obs.mask_score)
