"""The identity use cases the API, CLI and staff pages call: each answers and is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from finguard.core.clock import utcnow
from finguard.core.errors import InvalidInput
from finguard.identity.model.documents import DocumentCheck, DocumentKind, check_document, check_resident_id
from finguard.identity.model.face import FaceObservation
from finguard.identity.service.audit import AuditEntry, VerificationLog, mask_number
from finguard.identity.service.face import FaceVerification, FaceVerifier, ImageUnreadable
from finguard.identity.service.liveness import HeadTurnChallenge, LivenessCheck, LivenessResult
from finguard.identity.service.registry import IdentityRegistry, NameIdOutcome, NameIdResult, check_name_id

MIN_FRAMES, MAX_FRAMES = 3, 6


@dataclass(frozen=True, slots=True)
class LivenessAnswer:
    """The challenge's answer and what it saw in each frame (faces, yaw; never an embedding)."""

    result: LivenessResult
    frames: tuple[FaceObservation, ...]


class IdentityChecks:
    def __init__(
        self,
        log: VerificationLog,
        verifier: Callable[[], FaceVerifier],
        registry: IdentityRegistry | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        liveness: LivenessCheck | None = None,
    ) -> None:
        self.liveness = liveness or HeadTurnChallenge()
        self.log = log
        self._verifier = verifier
        self.registry = registry
        self.clock = clock

    def check_number(
        self, kind: DocumentKind, number: str, *, actor: str, channel: str, at: dt.date | None = None, country: str = "CN"
    ) -> DocumentCheck:
        """Check a document number; ``at`` (default today, UTC) is the date ages refer to."""
        result = check_document(kind, number, at=at or self.clock().date(), country=country)
        self.log.record(
            AuditEntry(
                self.clock(),
                actor,
                channel,
                kind.value,
                "valid" if result.valid else "invalid",
                ",".join(p.code for p in result.problems),
                mask_number(result.number),
            )
        )
        return result

    def check_name(self, name: str, id_number: str, *, actor: str, channel: str) -> tuple[DocumentCheck, NameIdResult]:
        """Is ``name`` the registered name of ``id_number``?  A malformed number is not sent to the registry."""
        document = check_resident_id(id_number, self.clock().date())
        if not document.valid:
            result = NameIdResult(NameIdOutcome.NOT_FOUND, "", "the ID number is malformed: " + ",".join(p.code for p in document.problems))
        elif self.registry is None:
            result = NameIdResult(NameIdOutcome.UNAVAILABLE, "", "no registry is configured (FINGUARD_IDENTITY_REGISTRY_FILE)")
        else:
            full = document.facts.get("upgraded", document.number)
            result = check_name_id(self.registry, name, full)
        self.log.record(
            AuditEntry(self.clock(), actor, channel, "name_id", result.outcome.value, result.detail[:200], mask_number(document.number))
        )
        return document, result

    def verify_face(self, photo: bytes, capture: bytes, *, actor: str, channel: str, frames: Sequence[bytes] = ()) -> FaceVerification:
        """1:1 verification of ``capture`` against ``photo``; raises ``ImageUnreadable`` for a non-picture."""
        result = self._verifier().verify(photo, capture, frames)
        d = result.decision
        self.log.record(
            AuditEntry(
                self.clock(),
                actor,
                channel,
                "face",
                d.verdict.value,
                d.reason.value,
                score=d.score,
                masked=d.masked,
                detail={
                    "distance": d.distance,
                    "threshold": d.threshold,
                    "problems": [p.value for p in d.capture_problems],
                    "capture": _observation(result.capture),
                    "reference": _observation(result.reference),
                },
            )
        )
        return result

    def check_liveness(self, frames: Sequence[bytes], *, actor: str, channel: str) -> LivenessAnswer:
        """The head-turn challenge over 3 to 6 frames taken while the customer turns the head.
        Weak by design (docs/identity.md): a replayed video of a turning head passes."""
        if not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
            raise InvalidInput.for_field("frames", f"send {MIN_FRAMES} to {MAX_FRAMES} frames, got {len(frames)}")
        verifier = self._verifier()
        seen = []
        for i, data in enumerate(frames, 1):
            try:
                seen.append(verifier.engine.observe(data))
            except ImageUnreadable as exc:
                raise InvalidInput.for_field(f"frame{i}", f"is not a picture that can be read (JPEG, PNG or WebP): {exc}") from None
        result = self.liveness.check(seen, verifier.policy)
        outcome = "passed" if result.passed else "failed"
        detail = {"frames": [_observation(_strip(o)) for o in seen]}
        self.log.record(AuditEntry(self.clock(), actor, channel, "liveness", outcome, result.reason[:200], detail=detail))
        return LivenessAnswer(result, tuple(_strip(o) for o in seen))


def _strip(obs: FaceObservation) -> FaceObservation:
    return FaceObservation(obs.faces, obs.detector, obs.quality, obs.mask_score)


def _observation(obs: object) -> dict[str, object]:
    data = asdict(obs)  # type: ignore[call-overload]
    data.pop("embedding", None)
    data.pop("occluded_embedding", None)
    return dict(data)
