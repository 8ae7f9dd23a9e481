"""Liveness: is a live person in front of the camera?  The weak point of this capability.

``HeadTurnChallenge`` asks the customer to turn the head and checks, over the capture and the
frames that follow, that one face stays the same person while its yaw (nose offset from the
eyes' midpoint, see ``Quality.yaw``) swings by at least ``min_swing``.  It stops a single
printed photo held still.  It does NOT stop a video replay, a photo moved or bent in front of
the camera, a 3-D mask or an injected camera stream: a bank that relies on face verification for
loans needs a certified presentation-attack detector behind this interface.  Blink challenges
need eyelid landmarks, which the 5-point model does not give, so none is offered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from finguard.identity.model.face import FaceObservation, MatchPolicy, distance


@dataclass(frozen=True, slots=True)
class LivenessResult:
    passed: bool
    reason: str


class LivenessCheck(Protocol):
    def check(self, frames: Sequence[FaceObservation], policy: MatchPolicy) -> LivenessResult: ...


@dataclass(frozen=True, slots=True)
class HeadTurnChallenge:
    min_swing: float = 0.15
    min_frames: int = 3

    def check(self, frames: Sequence[FaceObservation], policy: MatchPolicy) -> LivenessResult:
        if len(frames) < self.min_frames:
            return LivenessResult(False, f"at least {self.min_frames} frames are needed, got {len(frames)}")
        if any(f.faces != 1 or f.quality is None or not f.embedding for f in frames):
            return LivenessResult(False, "every frame must show exactly one face")
        first = frames[0]
        for f in frames[1:]:
            if distance(first.embedding, f.embedding) > policy.masked_no_match:
                return LivenessResult(False, "the face changed between frames")
        yaws = [f.quality.yaw for f in frames if f.quality is not None]
        swing = max(yaws) - min(yaws)
        if swing < self.min_swing:
            return LivenessResult(False, f"the head did not turn (yaw swing {swing:.2f} < {self.min_swing})")
        return LivenessResult(True, f"head turn seen (yaw swing {swing:.2f})")
