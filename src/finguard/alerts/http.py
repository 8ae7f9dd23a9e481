"""The cases API (#13): list, read, work and export cases; file complaints and service requests.

Staff keys only (``X-API-Key``): reading needs ``read``, every change ``write``. The actor of each
change is the key's principal (``key:<name>``), so the audit trail says who did it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from finguard.access.http import staff
from finguard.access.service.keys import ApiKey
from finguard.alerts.model.attachments import Attachment
from finguard.alerts.model.cases import Case, CaseEvent, CaseFilter, format_confirmation
from finguard.alerts.service.cases import BulkResult, CaseService
from finguard.core.http import read_upload


def case_service(request: Request) -> CaseService:
    """The platform's case engine (``Platform.cases``), built on first use."""
    return request.app.state.platform.cases  # type: ignore[no-any-return]


router = APIRouter(prefix="/api/v1/cases", tags=["cases"])

S = Annotated[CaseService, Depends(case_service)]
Reader = Annotated[ApiKey, Depends(staff("read"))]
Writer = Annotated[ApiKey, Depends(staff("write"))]
CaseId = Annotated[int, Path(ge=1, le=2**62)]


class CaseOut(BaseModel):
    id: int
    kind: str
    state: str
    severity: str
    queue: str
    assignee: str | None
    subject: str
    summary: str
    details: dict[str, Any]
    created_at: datetime
    due_at: datetime
    sla: str
    alert_id: int | None
    confirmation: str | None
    category: str | None
    branch: str | None
    slot_start: datetime | None
    slot_end: datetime | None
    closed_at: datetime | None
    disposition: str | None
    close_reason: str | None
    pending_disposition: str | None
    pending_by: str | None
    version: int


class EventOut(BaseModel):
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str
    data: dict[str, Any]


class AttachmentOut(BaseModel):
    id: int
    name: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    url: str = Field(description="where staff with read permission download it (always as an attachment)")


class CaseDetailOut(BaseModel):
    case: CaseOut
    events: list[EventOut]
    attachments: list[AttachmentOut] = Field(default_factory=list, description="evidence files, oldest first")


class CasePageOut(BaseModel):
    total: int
    items: list[CaseOut]


class AssignIn(BaseModel):
    assignee: str = Field(min_length=1, max_length=100)
    queue: str | None = Field(default=None, max_length=64)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class CloseIn(BaseModel):
    disposition: str = Field(max_length=32)
    reason: str = Field(max_length=2000)


class ConfirmIn(BaseModel):
    approve: bool = True
    reason: str = Field(default="", max_length=2000)


class BulkAssignIn(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=1000)
    assignee: str = Field(min_length=1, max_length=100)


class BulkCloseIn(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=1000)
    disposition: str = Field(max_length=32)
    reason: str = Field(max_length=2000)


class BulkOut(BaseModel):
    case_id: int
    ok: bool
    error: str
    state: str = Field(description="the state after the action (empty on error)")
    pending: bool = Field(description="a high/critical close that waits for a second person")


class ComplaintIn(BaseModel):
    category: str = Field(max_length=64, description="one of the eight consumer rights, e.g. fair_trade")
    customer: str = Field(max_length=200)
    text: str = Field(max_length=4000)
    contact: str = Field(max_length=200)
    branch: str = Field(default="", max_length=100)


class ServiceIn(BaseModel):
    service_type: str = Field(max_length=64, description="home_visit, accessible_service or urgent_handling")
    customer: str = Field(max_length=200)
    text: str = Field(default="", max_length=4000)
    contact: str = Field(max_length=200)
    branch: str = Field(max_length=100)
    slot_start: datetime | None = None
    slot_end: datetime | None = None


class DayOut(BaseModel):
    day: date = Field(description="a China day")
    closed: int


class DashboardOut(BaseModel):
    at: datetime
    total: int
    breached: int
    by_age: dict[str, dict[str, int]]
    closed_per_day: list[DayOut] = Field(description="cases closed on each of the last 30 China days, oldest first")
    dispositions: dict[str, int] = Field(description="dispositions of the cases closed in those 30 days, most first")


AGE_LABELS = ("0-1d", "1-3d", "3-7d", "7d+")


def adapt_attachment(a: Attachment) -> AttachmentOut:
    return AttachmentOut(id=a.id, name=a.name, media_type=a.media_type, size=a.size, sha256=a.sha256,
                         uploaded_by=a.uploaded_by, uploaded_at=a.uploaded_at,
                         url=f"/api/v1/cases/{a.case_id}/attachments/{a.id}")


def attachment_response(att: Attachment, content: bytes) -> Response:
    """A stored file, only ever as a download: never rendered inline, never type-sniffed, and
    sandboxed should a browser open it anyway."""
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in att.name)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(att.name, safe='')}"
    return Response(content, media_type=att.media_type, headers={
        "Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox", "Cache-Control": "no-store",
        "X-Attachment-SHA256": att.sha256,
    })


def adapt_case(c: Case, now: datetime) -> CaseOut:
    return CaseOut(
        id=c.id, kind=c.kind.value, state=c.state.value, severity=c.severity, queue=c.queue, assignee=c.assignee,
        subject=c.subject, summary=c.summary, details=c.details, created_at=c.created_at, due_at=c.due_at,
        sla=c.sla_state(now), alert_id=c.alert_id,
        confirmation=format_confirmation(c.reference) if c.reference else None, category=c.category, branch=c.branch,
        slot_start=c.slot_start, slot_end=c.slot_end, closed_at=c.closed_at, disposition=c.disposition,
        close_reason=c.close_reason, pending_disposition=c.pending_disposition, pending_by=c.pending_by,
        version=c.version,
    )


def adapt_event(e: CaseEvent) -> EventOut:
    return EventOut(at=e.at, actor=e.actor, action=e.action, from_state=e.from_state, to_state=e.to_state,
                    reason=e.reason, data=e.data)


def _bulk(results: list[BulkResult]) -> list[BulkOut]:
    return [BulkOut(case_id=r.case_id, ok=r.ok, error=r.error, state=r.state, pending=r.pending) for r in results]


def case_filter(
    state: Annotated[str, Query(max_length=16, description="open (every open state), all, or one state")] = "open",
    kind: Annotated[str | None, Query(max_length=16)] = None,
    severity: Annotated[str | None, Query(max_length=16)] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=100)] = None,
    sla: Annotated[str | None, Query(max_length=16, description="breached, due_soon or ok")] = None,
    q: Annotated[str | None, Query(max_length=200, description="text in subject, summary or confirmation number")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    age: Annotated[str | None, Query(max_length=8, description="time since opened: lt1d, 1to3d, 3to7d or gt7d")] = None,
) -> CaseFilter:
    return CaseFilter(state, kind, severity, queue, assignee, sla, q, limit, offset, age)


Filter = Annotated[CaseFilter, Depends(case_filter)]


@router.get("", response_model=CasePageOut, summary="Cases, soonest due first")
def list_cases(s: S, _: Reader, f: Filter) -> CasePageOut:
    found, total = s.find(f)
    now = s.clock()
    return CasePageOut(total=total, items=[adapt_case(c, now) for c in found])


@router.get("/dashboard", response_model=DashboardOut, summary="Open cases by age and SLA state; closed per day and dispositions (30 days)")
def dashboard(s: S, _: Reader) -> DashboardOut:
    board = s.dashboard()
    return DashboardOut(at=board.at, total=board.total, breached=board.breached,
                        by_age={label: board.bucket(i) for i, label in enumerate(AGE_LABELS)},
                        closed_per_day=[DayOut(day=d, closed=n) for d, n in board.closed_per_day],
                        dispositions=board.dispositions)


@router.get("/export.csv", summary="Every case the filter selects, as CSV (formula cells neutralised)")
def export(s: S, _: Reader, f: Filter) -> StreamingResponse:
    rows: Iterator[str] = s.export_csv(f)
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="cases.csv"'})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/export.xlsx", summary="Every case the filter selects, as an XLSX workbook (formula cells neutralised)",
            responses={200: {"content": {XLSX: {}}}})
def export_xlsx(s: S, _: Reader, f: Filter) -> Response:
    return Response(s.export_xlsx(f), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="cases.xlsx"', "Cache-Control": "no-store"})


@router.post("/bulk/assign", response_model=list[BulkOut], summary="Assign many cases; each says whether it worked")
def bulk_assign(s: S, key: Writer, body: BulkAssignIn) -> list[BulkOut]:
    return _bulk(s.bulk_assign(body.ids, body.assignee, key.principal.actor))


@router.post("/bulk/close", response_model=list[BulkOut], summary="Close many cases (high/critical ones await a checker)")
def bulk_close(s: S, key: Writer, body: BulkCloseIn) -> list[BulkOut]:
    return _bulk(s.bulk_close(body.ids, key.principal.actor, body.disposition, body.reason))


@router.post("/complaints", response_model=CaseOut, status_code=201, summary="File a complaint for a customer")
def file_complaint(s: S, key: Writer, body: ComplaintIn) -> CaseOut:
    c = s.file_complaint(category=body.category, customer=body.customer, text=body.text, contact=body.contact,
                         branch=body.branch, channel="staff", filed_by=key.principal.actor)
    return adapt_case(c, s.clock())


@router.post("/service-requests", response_model=CaseOut, status_code=201, summary="Book a special-service request")
def request_service(s: S, key: Writer, body: ServiceIn) -> CaseOut:
    c = s.request_service(service_type=body.service_type, customer=body.customer, text=body.text,
                          contact=body.contact, branch=body.branch, slot_start=body.slot_start,
                          slot_end=body.slot_end, filed_by=key.principal.actor)
    return adapt_case(c, s.clock())


@router.get("/{case_id}", response_model=CaseDetailOut, summary="A case and its audit trail")
def show_case(s: S, _: Reader, case_id: CaseId) -> CaseDetailOut:
    c, events = s.show(case_id)
    return CaseDetailOut(case=adapt_case(c, s.clock()), events=[adapt_event(e) for e in events],
                         attachments=[adapt_attachment(a) for a in s.attachments(case_id)])


@router.get("/{case_id}/attachments", response_model=list[AttachmentOut], summary="A case's evidence files")
def list_attachments(s: S, _: Reader, case_id: CaseId) -> list[AttachmentOut]:
    return [adapt_attachment(a) for a in s.attachments(case_id)]


@router.post(
    "/{case_id}/attachments", response_model=AttachmentOut, status_code=201,
    summary="Attach evidence (multipart, part `file`): PDF, PNG, JPEG, text, CSV or XLSX, told by content",
)
async def attach(s: S, key: Writer, case_id: CaseId, request: Request) -> AttachmentOut:
    name, data, _ = await read_upload(request, s.attachment_limit)
    return adapt_attachment(await run_in_threadpool(s.attach, case_id, key.principal.actor, name, data))


@router.get("/{case_id}/attachments/{attachment_id}", summary="Download an evidence file (recorded in the audit trail)",
            responses={200: {"content": {"application/octet-stream": {}}}})
def download(s: S, key: Reader, case_id: CaseId, attachment_id: CaseId) -> Response:
    return attachment_response(*s.download(case_id, attachment_id, key.principal.actor))


@router.post("/{case_id}/assign", response_model=CaseOut)
def assign(s: S, key: Writer, case_id: CaseId, body: AssignIn) -> CaseOut:
    return adapt_case(s.assign(case_id, body.assignee, key.principal.actor, body.queue), s.clock())


@router.post("/{case_id}/review", response_model=CaseOut)
def review(s: S, key: Writer, case_id: CaseId) -> CaseOut:
    return adapt_case(s.review(case_id, key.principal.actor), s.clock())


@router.post("/{case_id}/escalate", response_model=CaseOut)
def escalate(s: S, key: Writer, case_id: CaseId, body: ReasonIn) -> CaseOut:
    return adapt_case(s.escalate(case_id, key.principal.actor, body.reason), s.clock())


@router.post("/{case_id}/comments", response_model=EventOut, status_code=201)
def comment(s: S, key: Writer, case_id: CaseId, body: CommentIn) -> EventOut:
    return adapt_event(s.comment(case_id, key.principal.actor, body.text))


@router.post("/{case_id}/close", response_model=CaseOut, summary="Close; a high/critical case waits for a second person")
def close(s: S, key: Writer, case_id: CaseId, body: CloseIn) -> CaseOut:
    return adapt_case(s.close(case_id, key.principal.actor, body.disposition, body.reason), s.clock())


@router.post("/{case_id}/confirm", response_model=CaseOut, summary="The checker confirms or rejects a proposed close")
def confirm(s: S, key: Writer, case_id: CaseId, body: ConfirmIn) -> CaseOut:
    return adapt_case(s.confirm(case_id, key.principal.actor, body.approve, body.reason), s.clock())
