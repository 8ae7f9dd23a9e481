"""1:1 face verification: the photo on file against a live capture.

The engine is declared here as a Protocol (the one implementation is ``DlibFaceEngine``); the
decision is ``identity.model.face.decide``.  Neither picture nor embedding leaves this function:
the result carries the verdict, reason, distance and quality measurements only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from finguard.identity.model.face import FaceDecision, FaceObservation, MatchPolicy, Reason, Verdict, decide
from finguard.identity.service.liveness import LivenessCheck, LivenessResult


class FaceEngine(Protocol):
    def observe(self, data: bytes, *, masked_reference: bool = False) -> FaceObservation: ...


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
    def __init__(self, engine: FaceEngine, policy: MatchPolicy | None = None, liveness: LivenessCheck | None = None) -> None:
        self.engine = engine
        self.policy = policy or MatchPolicy()
        self.liveness = liveness

    def verify(self, photo: bytes, capture: bytes, frames: Sequence[bytes] = ()) -> FaceVerification:
        """Compare ``photo`` (on file) with ``capture``; ``frames`` feed the liveness check if one is set.

        Raises ``ImageUnreadable`` (from the engine) when a picture cannot be decoded.
        """
        ref = self.engine.observe(photo, masked_reference=True)
        cap = self.engine.observe(capture)
        decision = decide(ref, cap, self.policy)
        live: LivenessResult | None = None
        if self.liveness is not None and decision.verdict is Verdict.MATCH:
            live = self.liveness.check([cap, *(self.engine.observe(f) for f in frames)], self.policy)
            if not live.passed:
                decision = FaceDecision(Verdict.RETAKE, Reason.LIVENESS_FAILED, decision.distance, decision.threshold, decision.masked)
        return FaceVerification(decision, _strip(ref), _strip(cap), live)


def _strip(obs: FaceObservation) -> FaceObservation:
    """The observation without its embeddings: what may be shown, returned or audited."""
    return FaceObservation(obs.faces, obs.detector, obs.quality, obs.mask_score)
