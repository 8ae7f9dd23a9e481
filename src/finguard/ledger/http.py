"""The fund-flow ledger routes (#5): imports, traces (JSON, SVG, PNG), an account's transfers.

Wire models live here beside the routes: they are used by nothing else.
"""

from __future__ import annotations

import pathlib
import tempfile
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from finguard.access.http import staff
from finguard.access.service.keys import ApiKey
from finguard.core.errors import InvalidInput
from finguard.core.http import save_body
from finguard.ledger.model import AccountEvent, TraceParams, parse_trace_params
from finguard.ledger.service import LedgerImportReport, LedgerService
from finguard.ledger.service.importers import DEFAULT_EPOCH, ImportOptions, read_transfers_noted
from finguard.ledger.service.register import AccountRegister, RegisterReport
from finguard.ledger.service.render import render_png, render_svg
from finguard.ledger.service.summary import summarize

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger"])
MAX_IMPORT_BYTES = 512 * 1024 * 1024
ACCOUNT = r"^[^\x00-\x1f\x7f]{1,128}$"
AccountName = Annotated[str, Path(pattern=ACCOUNT)]
Format = Literal["amlsim", "amlsim-nodes", "amlworld", "amlworld-csv", "paysim", "statement"]


def ledger(request: Request) -> LedgerService:
    service: LedgerService = request.app.state.platform.ledger
    return service


L = Annotated[LedgerService, Depends(ledger)]


def account_register(request: Request) -> AccountRegister:
    register: AccountRegister = request.app.state.platform.account_register
    return register


R = Annotated[AccountRegister, Depends(account_register)]
MAX_REGISTER_BYTES = 64 * 1024 * 1024


class AccountEventIn(BaseModel):
    """One settlement account event; codes in docs/robots.md (the Chinese names are accepted too)."""

    account: str = Field(max_length=64, description="the account number")
    event: str = Field(max_length=16, description="opened, changed or closed (开户 / 变更 / 销户)")
    event_date: str = Field(max_length=10, description="YYYY-MM-DD")
    account_type: str = Field(max_length=40, description="personal_i, personal_ii, personal_iii, corp_basic, corp_general, "
                                                         "corp_special, corp_temporary")
    holder_name: str = Field(max_length=200)
    id_type: str = Field(max_length=40, description="resident_id, passport, hk_macao_permit, taiwan_permit, "
                                                    "foreign_residence, uscc, other")
    id_number: str = Field(max_length=64)
    branch_code: str = Field(max_length=32, description="the branch's institution code")
    reason: str = Field(default="", max_length=500, description="required for changed and closed")


class AccountEventsIn(BaseModel):
    events: list[AccountEventIn] = Field(min_length=1, max_length=10_000)


class RegisterOut(BaseModel):
    rows: int
    added: int
    already_recorded: int


class AccountEventOut(BaseModel):
    account: str
    event: str
    event_date: str
    account_type: str
    holder_name: str
    id_type: str
    id_number_masked: str
    branch_code: str
    reason: str


def adapt_register(r: RegisterReport) -> RegisterOut:
    return RegisterOut(rows=r.rows, added=r.added, already_recorded=r.already_recorded)


class ImportLedgerOut(BaseModel):
    source: str
    rows: int
    inserted: int
    duplicates: int
    self_transfers: int
    accounts: int
    rejected: list[dict[str, Any]]
    skipped: list[dict[str, Any]] = Field(
        default_factory=list, description="rows that are no transaction (title, total, footer ...), and why"
    )
    paired: int = Field(0, description="transfers already stored from the other account's statement")
    ambiguous: list[dict[str, Any]] = Field(default_factory=list, description="rows that could be more than one stored transfer")
    note: str | None = Field(None, description="what the reader found: a statement's layout and own account")


def adapt_import(r: LedgerImportReport) -> ImportLedgerOut:
    return ImportLedgerOut(
        source=r.source,
        rows=r.rows,
        inserted=r.inserted,
        duplicates=r.duplicates,
        self_transfers=r.self_transfers,
        accounts=r.accounts,
        rejected=[p.as_dict() for p in r.rejected],
        skipped=[p.as_dict() for p in r.skipped],
        paired=r.paired,
        ambiguous=[p.as_dict() for p in r.ambiguous],
        note=r.note,
    )


class TraceIn(BaseModel):
    account: str = Field(pattern=ACCOUNT, description="The account to trace from.")
    direction: Literal["forward", "backward"] = "forward"
    method: Literal["fifo", "lifo", "proportional"] = "fifo"
    hops: int = Field(6, ge=1, le=20)
    horizon_days: float = Field(30, gt=0, le=3660)
    start_transfer: int | None = Field(None, ge=1, le=2**63 - 1, description="A transfer out of (backward: into) the account.")
    amount: Decimal | None = Field(None, description="Yuan (or the currency's unit), e.g. 4000.00; default: the start transfer's amount.")
    at: datetime | None = Field(None, description="ISO 8601 with a zone, e.g. 2024-03-15T00:00:00+08:00.")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    max_per_node: int = Field(1000, ge=1, le=100_000)
    max_edges: int = Field(5000, ge=1, le=100_000)

    def to_domain(self) -> TraceParams:
        if self.at is not None and self.at.tzinfo is None:
            # The API documents a zone: unlike the staff form, it never guesses China time.
            raise InvalidInput.for_field("at", "must carry a time zone, e.g. 2024-03-15T00:00:00+08:00")
        trace = parse_trace_params(self.model_dump(exclude={"max_per_node", "max_edges"}, exclude_none=True))
        return replace(trace, max_per_node=self.max_per_node, max_edges=self.max_edges)


class TraceOut(BaseModel):
    trace: dict[str, Any]
    summary_en: str
    summary_zh: str


class TransfersOut(BaseModel):
    account: str
    side: str
    count: int
    transfers: list[dict[str, Any]]


@router.post("/import", response_model=ImportLedgerOut, summary="Import a transfer file (the request body), all or nothing")
async def import_transfers(
    request: Request,
    service: L,
    _: Annotated[ApiKey, Depends(staff("write"))],
    format: Format,
    account: Annotated[str | None, Query(pattern=ACCOUNT, description="statement: the statement's own account")] = None,
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")] = "CNY",
    epoch: Annotated[datetime | None, Query(description="amlsim / paysim: the time of step 0 (default 2020-01-01 UTC)")] = None,
    skip_bad_rows: bool = False,
    profile: Annotated[str | None, Query(max_length=40, description="statement: the layout; detected when not given")] = None,
) -> ImportLedgerOut:
    options = ImportOptions(account=account, currency=currency, epoch=epoch or DEFAULT_EPOCH, profile=profile)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / ("transactions.csv" if format == "amlsim" else "upload")
        await save_body(request, path, MAX_IMPORT_BYTES)
        source, note, rows = read_transfers_noted(format, path, options)
        report = await run_in_threadpool(service.import_rows, source, rows, skip_bad_rows=skip_bad_rows)
    return adapt_import(replace(report, note=note))


@router.post("/trace", response_model=TraceOut, summary="Trace money forward (where it went) or backward (where it came from)")
def trace(body: TraceIn, service: L, _: Annotated[ApiKey, Depends(staff("read"))]) -> TraceOut:
    result = service.trace(body.to_domain())
    return TraceOut(trace=result.as_dict(), summary_en=summarize(result, "en"), summary_zh=summarize(result, "zh"))


@router.get(
    "/trace.svg",
    summary="A trace as a picture (SVG; PNG with image=png)",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}},
)
def trace_picture(
    service: L,
    _: Annotated[ApiKey, Depends(staff("read"))],
    params: Annotated[TraceIn, Query()],
    image: Literal["svg", "png"] = "svg",
) -> Response:
    svg = render_svg(service.trace(params.to_domain()))
    if image == "png":
        return Response(render_png(svg), media_type="image/png")
    return Response(svg, media_type="image/svg+xml")


@router.get("/accounts/{account}/transfers", response_model=TransfersOut, summary="An account's transfers out or in, in time order")
def account_transfers(
    account: AccountName,
    service: L,
    _: Annotated[ApiKey, Depends(staff("read"))],
    side: Literal["out", "in"] = "out",
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
) -> TransfersOut:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput.for_field(name, "must carry a time zone, e.g. 2024-03-15T00:00:00+08:00")
    rows = service.account_transfers(account, side, since=since, until=until, limit=limit)
    return TransfersOut(account=account, side=side, count=len(rows), transfers=[t.as_dict() for t in rows])


@router.post("/account-events", response_model=RegisterOut, summary="Record settlement accounts opened, changed or closed")
def record_account_events(body: AccountEventsIn, register: R, key: Annotated[ApiKey, Depends(staff("write"))]) -> RegisterOut:
    return adapt_register(register.record([e.model_dump() for e in body.events], key.principal.actor, "api"))


@router.post("/account-events/import", response_model=RegisterOut,
             summary="Import settlement account events from a CSV (the request body), all or nothing")
async def import_account_events(request: Request, register: R, key: Annotated[ApiKey, Depends(staff("write"))],
                                name: Annotated[str, Query(max_length=200)] = "upload.csv") -> RegisterOut:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_REGISTER_BYTES:
            raise InvalidInput.for_field("file", f"is larger than {MAX_REGISTER_BYTES} bytes; nothing was recorded")
    report = await run_in_threadpool(register.import_csv, bytes(data), key.principal.actor, name)
    return adapt_register(report)


def adapt_event(e: AccountEvent) -> AccountEventOut:
    return AccountEventOut(account=e.account, event=e.event.value, event_date=e.event_date.isoformat(),
                           account_type=e.account_type.value, holder_name=e.holder_name, id_type=e.id_type.value,
                           id_number_masked=e.masked_id, branch_code=e.branch_code, reason=e.reason)


@router.get("/account-events", response_model=list[AccountEventOut],
            summary="The settlement account events of a day, or of an account (ID numbers masked)")
def list_account_events(register: R, _: Annotated[ApiKey, Depends(staff("read"))],
                        day: Annotated[str | None, Query(max_length=10, description="YYYY-MM-DD")] = None,
                        account: Annotated[str | None, Query(max_length=64)] = None) -> list[AccountEventOut]:
    if (day is None) == (account is None):
        raise InvalidInput.for_field("day", "give a day or an account, one of the two")
    if day is not None:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput.for_field("day", "must be a date, YYYY-MM-DD") from None
        return [adapt_event(e) for e in register.on_day(when)]
    return [adapt_event(e) for e in register.of_account(account or "")]
