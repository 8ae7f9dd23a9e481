"""The loans API (#15): the schedule calculator, loans and their relief, eligibility batches.

Amounts are integer fen on the way out; on the way in, yuan as text ("1234.56") or ``*_fen``
integers, and rates as text: a JSON float is refused with 422 naming the field. Wire models live
here beside the routes; the work is done by ``service.LoanService``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from finguard.access.http import staff
from finguard.access.service.keys import ApiKey
from finguard.core import jsonsafe
from finguard.core.errors import FieldProblem, Forbidden, InvalidInput, Unauthorized
from finguard.core.http import read_body
from finguard.loans.model.eligibility import EPIDEMIC_2020, policy_from_dict
from finguard.loans.model.loan import terms_from
from finguard.loans.model.outreach import (
    SEGMENT_TEMPLATE,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Channel,
    Template,
    signature_problem,
)
from finguard.loans.model.relief import change_from_dict
from finguard.loans.model.schedule import compute
from finguard.loans.model.servicing import Payment, position
from finguard.loans.provider import china_today
from finguard.loans.service import MAX_BATCH_APPROVAL, LoanService
from finguard.loans.service.education import EducationService
from finguard.loans.service.outreach import OutreachService

router = APIRouter(prefix="/api/v1/loans", tags=["loans"])
LoanId = Annotated[str, Path(pattern=r"^[^\x00-\x1f\x7f/]{1,64}$")]
MAX_LOANS_PER_IMPORT = 100_000
MAX_RECEIPTS = 500


# -- the services a route depends on: the platform's parts, built on first use ---------------------

def loans_service(request: Request) -> LoanService:
    return request.app.state.platform.loans  # type: ignore[no-any-return]


def outreach_service(request: Request) -> OutreachService:
    return request.app.state.platform.outreach  # type: ignore[no-any-return]


def education_service(request: Request) -> EducationService:
    return request.app.state.platform.education  # type: ignore[no-any-return]


S = Annotated[LoanService, Depends(loans_service)]
Outreach = Annotated[OutreachService, Depends(outreach_service)]
Education = Annotated[EducationService, Depends(education_service)]
Reader = Annotated[ApiKey, Depends(staff("read"))]
Writer = Annotated[ApiKey, Depends(staff("write"))]


class ImportIn(BaseModel):
    loans: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_LOANS_PER_IMPORT)
    skip_bad_rows: bool = False


class ChangeIn(BaseModel):
    change: dict[str, Any] = Field(description='e.g. {"kind": "deferral", "start": 3, "months": 3, "treatment": "interest_free"}')
    reason: str = Field(default="", max_length=2000)


class ReverseIn(BaseModel):
    reason: str = Field(default="", max_length=2000)


class BatchIn(BaseModel):
    policy: dict[str, Any] | None = Field(default=None, description="a policy as data; the built-in epidemic-2020 when omitted")
    branch: str | None = Field(default=None, max_length=64)


class PaymentIn(BaseModel):
    on: date
    amount_fen: int = Field(ge=1, le=10**15)


class PositionIn(BaseModel):
    as_of: date
    payments: list[PaymentIn] = Field(default_factory=list, max_length=10_000)


class TemplateIn(BaseModel):
    subject_zh: str = Field(max_length=200)
    body_zh: str = Field(max_length=2000)
    subject_en: str = Field(max_length=200)
    body_en: str = Field(max_length=2000)


class ContactsIn(BaseModel):
    contacts: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_LOANS_PER_IMPORT,
                                           description="customer_id, name, lang (zh|en), email, phone, wechat_openid")


class EventsIn(BaseModel):
    events: list[dict[str, Any]] = Field(
        min_length=1, max_length=10_000, description="branch, campaign, day, place, staff, leaflets, questions, photos"
    )


class CampaignIn(BaseModel):
    campaign_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    name: str = Field(default="", max_length=200)
    segment: Literal["relief", "elderly", "weak_security"] = Field(
        default="relief", description="relief: the eligible borrowers of relief_batch; elderly: contacts aged min_age or more "
        "(from their resident ID number's birth date); weak_security: contacts whose security check-up names a protection that "
        "is off (any, or one of codes)")
    relief_batch: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$", description="the relief segment's eligibility batch")
    min_age: int = Field(default=60, ge=50, le=120, description="the elderly segment's age")
    codes: list[Literal["night_lock", "region_lock", "limits", "cooling_off", "pending"]] | None = Field(
        default=None, max_length=5, description="the weak_security segment: only these check-up findings (any when omitted)")
    channel: Channel = Channel.SMS
    template: TemplateIn | None = Field(default=None, description="the segment's built-in template when omitted")
    as_of: date | None = None


class ReviewIn(BaseModel):
    decision_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(min_length=1, max_length=MAX_BATCH_APPROVAL)
    as_of: date | None = Field(default=None, description="relief starts at the first instalment due after this date (today)")
    reason: str = Field(default="", max_length=2000)


@router.post("/schedule", summary="Compute a schedule from terms (nothing is stored)")
def schedule_calculator(body: dict[str, Any], _key: Reader) -> dict[str, Any]:
    return compute(terms_from(body)).as_dict()


@router.post("/import", summary="Add loans to the book (all or nothing unless skip_bad_rows)")
def import_loans(body: ImportIn, service: S, key: Writer) -> dict[str, Any]:
    return service.import_loans(enumerate(body.loans, start=1), key.name, skip_bad_rows=body.skip_bad_rows).as_dict()


@router.get("/{loan_id}", summary="A loan, its relief history and the schedule in force")
def get_loan(loan_id: LoanId, service: S, _key: Reader) -> dict[str, Any]:
    loan, events, schedule = service.schedule(loan_id)
    return {"loan": loan.as_dict(), "events": [e.as_dict() for e in events], "schedule": schedule.as_dict()}


@router.post("/{loan_id}/relief/preview", summary="A change's schedule before/after and its NPV cost (nothing is stored)")
def preview(loan_id: LoanId, body: ChangeIn, service: S, _key: Reader) -> dict[str, Any]:
    return service.compare(loan_id, change_from_dict(body.change)).as_dict()


@router.post("/{loan_id}/relief", status_code=201, summary="Apply a change (a new version of the loan's relief)")
def apply_change(loan_id: LoanId, body: ChangeIn, service: S, key: Writer) -> dict[str, Any]:
    return service.apply(loan_id, change_from_dict(body.change), key.name, body.reason).as_dict()


@router.post("/{loan_id}/relief/{version}/reverse", status_code=201, summary="Reverse a change (appends a reversal)")
def reverse(loan_id: LoanId, version: Annotated[int, Path(ge=1, le=1_000_000)], body: ReverseIn, service: S, key: Writer) -> dict[str, Any]:
    return service.reverse(loan_id, version, key.name, body.reason).as_dict()


@router.post("/eligibility/batches", status_code=201, summary="Evaluate the book (or a branch) against a relief policy")
def evaluate(body: BatchIn, service: S, key: Writer) -> dict[str, Any]:
    policy = EPIDEMIC_2020 if body.policy is None else policy_from_dict(body.policy)
    return service.evaluate(policy, key.name, branch=body.branch).as_dict()


@router.get("/eligibility/batches", summary="The latest eligibility batches")
def batches(service: S, _key: Reader) -> list[dict[str, Any]]:
    return service.store.batches()


@router.get("/eligibility/batches/{batch_id}", summary="A batch's decisions, each explained in zh and en")
def batch(
    batch_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    service: S,
    _key: Reader,
    eligible: bool | None = None,
    category: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    return [d.as_dict() for d in service.store.decisions(batch_id=batch_id, eligible=eligible, category=category, limit=limit)]


@router.get("/eligibility/decisions/{decision_id}/proposal", summary="The relief a decision grants: before/after and NPV cost")
def proposal(decision_id: Annotated[int, Path(ge=1, le=2**62)], service: S, _key: Reader, as_of: date | None = None) -> dict[str, Any]:
    return service.proposal(decision_id, as_of or china_today()).as_dict()


@router.post("/eligibility/approvals", status_code=201, summary="Approve decisions in bulk (not by who ran the batch)")
def approve(body: ReviewIn, service: S, key: Writer) -> list[dict[str, Any]]:
    return [a.as_dict() for a in service.approve(body.decision_ids, key.name, body.as_of or china_today(), body.reason)]


@router.post("/eligibility/rejections", status_code=201, summary="Reject decisions in bulk, with a reason")
def reject(body: ReviewIn, service: S, key: Writer) -> list[dict[str, Any]]:
    if not body.reason.strip():
        raise InvalidInput.for_field("reason", "a rejection needs a reason the customer can be told")
    return [{"decision_id": r.decision_id, "action": r.action, "actor": r.actor, "at": r.at.isoformat()}
            for r in service.reject(body.decision_ids, key.name, body.reason)]


@router.post("/{loan_id}/position", summary="Arrears, days past due and penalty interest given the payments made (nothing is stored)")
def loan_position(loan_id: LoanId, body: PositionIn, service: S, _key: Reader) -> dict[str, Any]:
    _, _, schedule = service.schedule(loan_id)
    return position(schedule, [Payment(p.on, p.amount_fen) for p in body.payments], body.as_of).as_dict()


@router.post("/contacts", summary="Add or replace customers' contact details for outreach (all or nothing)")
def import_contacts(body: ContactsIn, outreach: Outreach, _key: Writer) -> dict[str, int]:
    return {"saved": outreach.import_contacts(enumerate(body.contacts, start=1))}


@router.post("/campaigns", status_code=201, summary="Plan a message to each customer of a segment (sent by the campaign run)")
def create_campaign(body: CampaignIn, outreach: Outreach, key: Writer) -> dict[str, Any]:
    template = SEGMENT_TEMPLATE[body.segment] if body.template is None else Template(**body.template.model_dump())
    recipients, described = outreach.segment(body.segment, body.as_of or china_today(), relief_batch=body.relief_batch,
                                             min_age=body.min_age, codes=body.codes)
    return outreach.create_campaign(body.campaign_id, body.name or body.campaign_id, body.channel, template, recipients, key.name,
                                    described)


@router.get("/campaigns/{campaign_id}", summary="A campaign's reach and response: messages by status, skips by reason, replies, "
            "and per China-time day and channel the messages sent, delivered, replied to and the opt-outs they brought")
def campaign_report(
    campaign_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")], outreach: Outreach, _key: Reader
) -> dict[str, Any]:
    return outreach.campaign_report(campaign_id)


@router.post("/receipts", summary="The SMS / WeChat gateway's delivery receipts and replies (signed with the shared secret)",
             openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}})
async def receipts(request: Request, outreach: Outreach) -> dict[str, int]:
    """``{"message_id", "event": "delivered"|"failed"|"reply", "at", "text", "error", "id"}`` or
    ``{"receipts": [...]}`` (up to 500), signed: ``X-Finguard-Timestamp`` (Unix seconds) and
    ``X-Finguard-Signature: sha256=<HMAC-SHA256 of "timestamp.body">``. All or nothing; a receipt
    posted again changes nothing (``duplicates``); a reply TD / 退订 / STOP opts the customer out."""
    secret = request.app.state.platform.settings.loans_gateway_secret
    if secret is None:  # nobody can sign: every post is refused
        raise Forbidden("receipts are not configured on this server (FINGUARD_LOANS_GATEWAY_SECRET)")
    body = await read_body(request, 64 * 1024)
    problem = signature_problem(secret.get_secret_value().encode(), request.headers.get(TIMESTAMP_HEADER),
                                request.headers.get(SIGNATURE_HEADER), body, outreach.clock())
    if problem is not None:
        raise Unauthorized(f"{problem[0]}: {problem[1]}", problems=[FieldProblem(*problem)])
    data = jsonsafe.loads(body)
    items = data.get("receipts") if isinstance(data, dict) and "receipts" in data else [data]
    if not isinstance(items, list) or len(items) > MAX_RECEIPTS:
        raise InvalidInput.for_field("receipts", f"must be a list of at most {MAX_RECEIPTS} receipts")
    return await run_in_threadpool(outreach.receipts, items)


@router.post("/education/events", status_code=201, summary="Record branches' education field events (all or nothing)")
def record_events(body: EventsIn, education: Education, key: Writer) -> dict[str, int]:
    return {"recorded": education.record(enumerate(body.events, start=1), key.name)}


@router.get("/education/report", summary="Education totals by branch or campaign, and the public pages' views")
def education_report(
    education: Education, _key: Reader, by: Annotated[str, Query(pattern="^(branch|campaign)$")] = "branch"
) -> dict[str, Any]:
    return education.report(by)
