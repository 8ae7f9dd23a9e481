"""Identity routes (#17): document numbers, name / ID consistency, 1:1 face verification.

A number that fails its checks is an answer (200, ``valid: false`` with each problem named), not
an input error: checking it is what was asked.  A request the service cannot read is a 422 that
names the field (an unknown kind, a missing part, a file that is too large, not a picture).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from finguard.access.http import staff
from finguard.access.service.keys import ApiKey
from finguard.core.http import platform_dependency, read_pictures
from finguard.identity.model.documents import DocumentCheck, DocumentKind
from finguard.identity.model.face import REASON_TEXT, FaceObservation
from finguard.identity.provider import IdentitySettings, identity_for
from finguard.identity.service.checks import MAX_FRAMES, MIN_FRAMES
from finguard.identity.service.face import FaceVerification

router = APIRouter(prefix="/api/v1/identity", tags=["identity"])
P = Annotated[Any, Depends(platform_dependency)]
Checker = Annotated[ApiKey, Depends(staff("check"))]


class NumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(
        min_length=1, max_length=64, description="The document number as written (spaces, hyphens and full-width digits are accepted)."
    )
    kind: DocumentKind = Field(default=DocumentKind.RESIDENT_ID, description="Which document.")
    at: dt.date | None = Field(default=None, description="The date ages and 'in the future' refer to (default: today, UTC).")
    country: str = Field(default="CN", max_length=3, description="Passports: the issuing country (ISO 3166 alpha-2 or alpha-3).")


class ProblemOut(BaseModel):
    code: str
    message: str
    message_zh: str
    warning: bool


class NumberOut(BaseModel):
    kind: DocumentKind
    number: str
    valid: bool
    problems: list[ProblemOut]
    facts: dict[str, str] = Field(description="resident_id: birth_date, age, gender, province, region, upgraded (15-digit input).")


class NameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=1, max_length=64)


class NameOut(BaseModel):
    outcome: str = Field(
        description="consistent, inconsistent, not_found or unavailable (never consistent when the registry cannot answer)."
    )
    source: str
    detail: str
    id_number: NumberOut


class QualityOut(BaseModel):
    faces: int
    detector: str
    masked_score: float
    face_px: float | None
    sharpness: float | None
    yaw: float | None
    brightness: float | None


class FaceOut(BaseModel):
    verdict: str = Field(description="match, no_match or retake.")
    reason: str
    reason_text: dict[str, str] = Field(description="The reason for people, in zh and en.")
    score: float | None = Field(description="1 - distance; null when no comparison was made.")
    distance: float | None
    threshold: float | None
    masked: bool
    problems: list[str] = Field(description="Every quality problem of the capture, when it must be retaken.")
    photo: QualityOut
    capture: QualityOut


def adapt_number(result: DocumentCheck) -> NumberOut:
    problems = [ProblemOut(code=p.code, message=p.en, message_zh=p.zh, warning=p.warning) for p in result.problems]
    return NumberOut(kind=result.kind, number=result.number, valid=result.valid, problems=problems, facts=result.facts)


def _quality(obs: FaceObservation) -> QualityOut:
    q = obs.quality
    return QualityOut(
        faces=obs.faces,
        detector=obs.detector,
        masked_score=obs.mask_score,
        face_px=q.face_px if q else None,
        sharpness=q.sharpness if q else None,
        yaw=q.yaw if q else None,
        brightness=q.brightness if q else None,
    )


def adapt_face(result: FaceVerification) -> FaceOut:
    d = result.decision
    zh, en = REASON_TEXT[d.reason]
    return FaceOut(
        verdict=d.verdict.value,
        reason=d.reason.value,
        reason_text={"zh": zh, "en": en},
        score=d.score,
        distance=None if d.distance is None else round(d.distance, 4),
        threshold=d.threshold,
        masked=d.masked,
        problems=[p.value for p in d.capture_problems],
        photo=_quality(result.reference),
        capture=_quality(result.capture),
    )


@router.post("/id-number", response_model=NumberOut, summary="Check a document number: resident ID, USCC, bank card, passport, permits")
def check_number(body: NumberIn, p: P, key: Checker) -> NumberOut:
    result = identity_for(p).check_number(body.kind, body.number, actor=key.name, channel="api", at=body.at, country=body.country)
    return adapt_number(result)


@router.post("/name", response_model=NameOut, summary="Is this the registered name of this resident ID number?")
def check_name(body: NameIn, p: P, key: Checker) -> NameOut:
    document, result = identity_for(p).check_name(body.name, body.id_number, actor=key.name, channel="api")
    return NameOut(outcome=result.outcome.value, source=result.source, detail=result.detail, id_number=adapt_number(document))


@router.post(
    "/face",
    response_model=FaceOut,
    summary="1:1 face verification: the photo on file against a live capture (multipart: photo, capture)",
    description="Pictures are JPEG, PNG or WebP, each at most FINGUARD_IDENTITY_MAX_IMAGE_BYTES (5 MB). They are never stored or logged.",
)
async def verify_face(request: Request, p: P, key: Checker) -> FaceOut:
    pictures, _ = await read_pictures(request, IdentitySettings().max_image_bytes)
    checks = identity_for(p)
    result = await run_in_threadpool(checks.verify_face, pictures["photo"], pictures["capture"], actor=key.name, channel="api")
    return adapt_face(result)


class LivenessOut(BaseModel):
    passed: bool = Field(description="true only when one face stayed the same person while the head turned far enough.")
    reason: str
    frames: list[QualityOut] = Field(description="What was seen in each frame (faces, yaw: nose offset from the eyes' midpoint).")
    weak_point: str = Field(description="What this check cannot tell: read it before relying on it.")


WEAK_POINT = (
    "Head-turn challenge from 5-point landmarks only: it stops a still photo held up to the camera, "
    "not a replayed video, a moved or bent photo, a 3-D mask or an injected camera stream."
)
FRAME_NAMES = tuple(f"frame{i}" for i in range(1, MAX_FRAMES + 1))


@router.post(
    "/liveness",
    response_model=LivenessOut,
    summary="Head-turn liveness challenge over 3 to 6 frames (multipart: frame1, frame2, frame3 [, frame4..frame6])",
    description="Frames are taken while the customer turns the head from one side to the other. Weak by design: a replayed video passes. "
    "Pictures are JPEG, PNG or WebP, each at most FINGUARD_IDENTITY_MAX_IMAGE_BYTES; never stored or logged.",
)
async def liveness(request: Request, p: P, key: Checker) -> LivenessOut:
    pictures, _ = await read_pictures(request, IdentitySettings().max_image_bytes, names=FRAME_NAMES[:MIN_FRAMES],
                                      optional=FRAME_NAMES[MIN_FRAMES:])  # fmt: skip
    frames = [pictures[n] for n in FRAME_NAMES if n in pictures]
    answer = await run_in_threadpool(lambda: identity_for(p).check_liveness(frames, actor=key.name, channel="api"))
    return LivenessOut(passed=answer.result.passed, reason=answer.result.reason, frames=[_quality(o) for o in answer.frames],
                       weak_point=WEAK_POINT)  # fmt: skip
