"""Credit routes (#14): apply for a tax loan, read decisions, advance stages, policy and models.

The service is the platform's ``credit`` part (``Platform.credit``), built on first use.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from finguard.access.http import staff
from finguard.access.service.keys import ApiKey
from finguard.core.clock import utcnow
from finguard.core.csvheader import read_dicts
from finguard.core.errors import InvalidInput, Unavailable
from finguard.core.http import MAX_OFFSET, read_body, read_pictures
from finguard.core.http_context import platform
from finguard.credit.model.decision import Application
from finguard.credit.model.overfinance import parse_facilities
from finguard.credit.model.policy import policy_to_doc
from finguard.credit.model.taxdata import yuan_to_fen
from finguard.credit.service import CreditService, FaceEvidence, stage_durations
from finguard.credit.service.monitors import OverFinanceRun, monitor_overfinancing


def credit_service(request: Request) -> CreditService:
    """The platform's credit service (``Platform.credit``), built on first use."""
    return platform(request).credit  # type: ignore[no-any-return]


router = APIRouter(prefix="/api/v1/credit", tags=["credit"])


S = Annotated[CreditService, Depends(credit_service)]


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uscc: str = Field(max_length=40, description="统一社会信用代码, 18 characters.")
    amount: str = Field(max_length=24, description='Amount asked, yuan as a decimal string, e.g. "500000" or "500000.00".')
    term_months: int = Field(ge=1, le=120, strict=True)
    purpose: str = Field(min_length=1, max_length=500)
    own_funds: str | None = Field(default=None, max_length=24, description="Declared own working capital, yuan (optional).")
    other_wc_loans: str = Field(default="0", max_length=24, description="Working-capital loans at other lenders, yuan.")


class ReasonOut(BaseModel):
    code: str
    kind: str
    zh: str
    en: str


class ApplicationOut(BaseModel):
    id: int
    uscc: str
    firm_name: str | None
    status: str
    outcome: str | None
    requested: str
    line: str | None
    rate_band_bp: tuple[int, int] | None
    score: float | None
    pd: float | None
    grade: str | None
    reasons: list[ReasonOut]
    limits: dict[str, Any] | None
    policy_version: int | None
    model_version: str | None
    challenger_version: str | None
    challenger_score: float | None
    problem: str | None
    tax_source: str | None
    tax_as_of: date | None
    disbursed_account: str | None
    received_at: datetime
    stages: list[dict[str, Any]]
    durations_ms: dict[str, float]


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else f"{fen // 100}.{fen % 100:02d}"


def adapt_application(row: dict[str, Any]) -> ApplicationOut:
    band = (row["rate_min_bp"], row["rate_max_bp"]) if row.get("rate_min_bp") is not None else None
    return ApplicationOut(
        id=row["id"], uscc=row["uscc"], firm_name=row["firm_name"], status=row["status"], outcome=row["outcome"],
        requested=_yuan(row["requested_fen"]) or "0.00", line=_yuan(row["line_fen"]), rate_band_bp=band, score=row["score"], pd=row["pd"],
        grade=row["grade"], reasons=[ReasonOut(**r) for r in row["reasons"] or []], limits=row["limits"],
        policy_version=row["policy_version"], model_version=row["model_version"], challenger_version=row["challenger_version"],
        challenger_score=row["challenger_score"], problem=row["problem"], tax_source=row["tax_source"], tax_as_of=row["tax_as_of"],
        disbursed_account=row.get("disbursed_account"),
        received_at=row["received_at"], stages=row["stages"], durations_ms=stage_durations(row["stages"]),
    )  # fmt: skip


@router.post("/applications", status_code=201, response_model=ApplicationOut)
def apply(body: ApplicationIn, svc: S, key: Annotated[ApiKey, Depends(staff("write"))]) -> ApplicationOut:
    """Decide a tax-loan application: tax data fetched, knock-outs, score, line, price band, reasons."""
    own = yuan_to_fen(body.own_funds, "own_funds", allow_zero=True) if body.own_funds is not None else None
    app = Application(body.uscc, yuan_to_fen(body.amount, "amount"), body.term_months, body.purpose, own,
                      yuan_to_fen(body.other_wc_loans, "other_wc_loans", allow_zero=True))  # fmt: skip
    result = svc.apply(app, channel="api", actor=key.name)
    return adapt_application(svc.get(result.application_id))


@router.get("/applications", response_model=list[dict[str, Any]])
def applications(
    svc: S,
    _key: Annotated[ApiKey, Depends(staff("read"))],
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    return svc.list(limit=limit, offset=offset)


@router.get("/applications/{application_id}", response_model=ApplicationOut)
def application(application_id: int, svc: S, _key: Annotated[ApiKey, Depends(staff("read"))]) -> ApplicationOut:
    return adapt_application(svc.get(application_id))


class StageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: str = Field(description="signed or disbursed", max_length=16)
    account: str | None = Field(default=None, max_length=128, description="disbursed: the ledger account the loan was paid into")


@router.post("/applications/{application_id}/stages", response_model=ApplicationOut)
def advance(application_id: int, body: StageIn, svc: S, key: Annotated[ApiKey, Depends(staff("write"))]) -> ApplicationOut:
    """Record that an approved application was signed, then disbursed."""
    return adapt_application(svc.advance(application_id, body.stage, actor=key.name, account=body.account))


SIGNING_PICTURE_BYTES = 5_000_000


class FaceCheckOut(BaseModel):
    outcome: str = Field(description="match (the only outcome that signs) | no_match | retake | unavailable")
    reason: str
    score: float | None = None


class SignedOut(BaseModel):
    application: ApplicationOut
    face_check: FaceCheckOut


@router.post(
    "/applications/{application_id}/sign",
    response_model=SignedOut,
    summary="Sign an approved application after the signatory's 1:1 face check (multipart: photo on file, capture)",
)
async def sign(application_id: int, request: Request, svc: S, key: Annotated[ApiKey, Depends(staff("write"))]) -> SignedOut:
    """The stage ``signed`` is recorded only when the face check answers ``match``: ``no_match`` or
    ``retake`` is 409 with the reason, a check that cannot run is 503 ``unavailable``."""
    pictures, _ = await read_pictures(request, SIGNING_PICTURE_BYTES)
    face = FaceEvidence(pictures["photo"], pictures["capture"])
    row = await run_in_threadpool(lambda: svc.advance(application_id, "signed", actor=key.name, face=face, channel="api"))
    return SignedOut(application=adapt_application(row), face_check=FaceCheckOut(**row["face_check"]))


@router.get("/policy")
def policy(svc: S, _key: Annotated[ApiKey, Depends(staff("read"))]) -> dict[str, Any]:
    return policy_to_doc(svc.policy())


@router.put("/policy")
def set_policy(svc: S, key: Annotated[ApiKey, Depends(staff("admin"))], body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """A new policy version from the sections given (knockout, product, need); the rest is kept."""
    return policy_to_doc(svc.set_policy(body, created_by=key.name))


@router.get("/models")
def models(svc: S, _key: Annotated[ApiKey, Depends(staff("read"))]) -> list[dict[str, Any]]:
    svc.champion()
    return svc.store.models()


@router.post("/models/{version}/promote")
def promote(version: str, svc: S, _key: Annotated[ApiKey, Depends(staff("admin"))]) -> dict[str, str]:
    svc.promote(version)
    return {"champion": version}


# ---- monitors -------------------------------------------------------------------------------
BUREAU_LIMIT = 20 * 1024 * 1024


class OverFinanceOut(BaseModel):
    firms: int
    findings: list[dict[str, Any]]
    alert_ids: list[int]
    unavailable: dict[str, str]


@router.post("/monitors/overfinancing", response_model=OverFinanceOut)
async def overfinancing(request: Request, svc: S, _key: Annotated[ApiKey, Depends(staff("write"))]) -> OverFinanceOut:
    """Over-financing monitor over a credit-bureau CSV body (uscc, lender, kind, limit, outstanding, opened_on, joint)."""
    body = await read_body(request, BUREAU_LIMIT)
    run = await run_in_threadpool(_overfinancing, svc, body)
    return OverFinanceOut(firms=run.firms, findings=[f.as_details() for f in run.findings], alert_ids=list(run.alert_ids),
                          unavailable=run.unavailable)  # fmt: skip


def _overfinancing(svc: CreditService, body: bytes) -> OverFinanceRun:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.for_field("body", "must be UTF-8 CSV") from None
    facilities = parse_facilities(read_dicts(io.StringIO(text), "body", name="the request body"))
    if svc.alerts is None:
        raise Unavailable("the credit service has no alert store")
    return monitor_overfinancing(svc.feed, facilities, svc.alerts)


class BreachOut(BaseModel):
    application_id: int
    stage: str
    due: datetime
    reached: datetime | None
    late_seconds: float
    zh: str
    en: str


@router.get("/monitors/sla", response_model=list[BreachOut])
def sla(svc: S, _key: Annotated[ApiKey, Depends(staff("read"))], days: int = Query(30, ge=1, le=3660)) -> list[BreachOut]:
    """Approval timeliness: every stage of the last ``days`` days' applications past its target."""
    found = svc.timeliness(since=utcnow() - timedelta(days=days))
    return [BreachOut(application_id=b.application_id, stage=b.stage, due=b.due, reached=b.reached, late_seconds=b.late_by.total_seconds(),
                      zh=b.zh, en=b.en) for b in found]  # fmt: skip
