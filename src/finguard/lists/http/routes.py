"""The /api/v1 routes. Each one parses, calls one service function and maps the result."""

from __future__ import annotations

import io
import json
import pathlib
import tempfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import ValidationError
from starlette._utils import get_route_path
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Route
from starlette.types import Receive, Send

from finguard.access.http import api_key_header, staff
from finguard.access.http.schemas import PendingChangeOut, adapt_pending
from finguard.access.model import PendingChange
from finguard.access.service.keys import ApiKey
from finguard.core import metrics
from finguard.core.edge import replay
from finguard.core.errors import InvalidInput
from finguard.core.http import platform_dependency, save_body
from finguard.core.http_context import client
from finguard.core.http_errors import envelope
from finguard.core.identifiers import IdType
from finguard.lists.http.schemas import (
    BatchIn,
    BatchOut,
    ChangesOut,
    CheckIn,
    CheckOut,
    DelistIn,
    EntryIn,
    EntryOut,
    EntryPatch,
    ImportOut,
    ListIn,
    ListOut,
    PublicCheckIn,
    PublicCheckOut,
    adapt_change,
    adapt_check,
    adapt_entry,
    adapt_import,
    adapt_list,
    adapt_public,
    check_dict,
)
from finguard.lists.model.check import public_view
from finguard.lists.model.lists import Entry
from finguard.lists.service.importers.tabular import draft_from_record, export_records, write_csv, write_jsonl

router = APIRouter(prefix="/api/v1")
P = Annotated[Any, Depends(platform_dependency)]
MAX_IMPORT_BYTES = 256 * 1024 * 1024
# Ids and sequences are signed 64-bit in the store; a larger number can name nothing.
MAX_ID = 2**63 - 1
EntryId = Annotated[int, Path(ge=0, le=MAX_ID)]


@router.post("/check", response_model=CheckOut, tags=["check"], summary="Check a payee (staff view, full detail)")
async def check(body: CheckIn, p: P, key: Annotated[ApiKey, Depends(staff("check"))]) -> CheckOut:
    # Answered on the event loop when memory suffices (one identifier, its entries cached: the
    # commonest check); otherwise, names or a store read, in a worker thread.
    request, who = body.to_domain(), f"key:{key.name}"
    result = p.checker.check_in_memory(request, view="staff", client=who)
    if result is None:
        result = await run_in_threadpool(p.checker.check, request, view="staff", client=who)
    metrics.observe_check("staff", result.outcome.value)
    return adapt_check(result)


_staff_check = staff("check")


def _fast_check_body(content_type: str | None, raw: bytes) -> CheckIn | None:
    """The body of a well-formed check, or None: anything else (no or another content type, not
    JSON, a bad field) is left to the documented route, so every error answer is FastAPI's own.
    Parsed as FastAPI parses it (``json.loads``, then the model in Python mode), so values agree."""
    if not raw or content_type is None or content_type.partition(";")[0].strip().lower() != "application/json":
        return None
    try:
        return CheckIn.model_validate(json.loads(raw))
    except (ValueError, ValidationError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None


class _CheckRoute(Route):
    """``POST /api/v1/check`` ahead of every other route (#19): the payee check's hot path.

    FastAPI's routing and dependency solving were about a quarter of a served check's CPU. For a
    well-formed check this route runs the same steps in FastAPI's order (the body, the platform,
    the key with its audit record, :func:`check`'s body) and answers with the same bytes (the
    response model dumped by alias, as FastAPI does); any other request, errors included, goes
    to the documented route with the body it read, so every error answer is FastAPI's own. It
    matches only ``POST`` on the exact path; the FastAPI route stays for the OpenAPI document."""

    def __init__(self, documented: Any) -> None:
        super().__init__(documented.path, check, methods=["POST"], name=documented.name, include_in_schema=False)
        self.documented = documented

    def matches(self, scope: Any) -> tuple[Match, Any]:
        if scope["type"] == "http" and scope["method"] == "POST" and get_route_path(scope) == self.path:
            return Match.FULL, {"endpoint": self.documented.endpoint, "path_params": {}, "route": self.documented}
        return Match.NONE, {}

    async def handle(self, scope: Any, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        raw = await request.body()
        body = _fast_check_body(request.headers.get("content-type"), raw)
        if body is None:
            await self.documented.handle(scope, replay(raw, receive), send)
            return
        p = await platform_dependency(request)
        key = await _staff_check(request, await api_key_header(request))
        out = await check(body, p, key)
        await Response(out.model_dump_json(by_alias=True), media_type="application/json")(scope, receive, send)


def check_route() -> Route:
    """The fast route for ``POST /api/v1/check``, to put first in the app's routes."""
    documented = next(r for r in router.routes if getattr(r, "endpoint", None) is check)
    return _CheckRoute(documented)


@router.post("/check/batch", response_model=BatchOut, tags=["check"], summary="Check up to 10,000 payees at once")
def check_batch(body: BatchIn, p: P, key: Annotated[ApiKey, Depends(staff("check"))]) -> Response:
    results = p.checker.check_many([i.to_domain() for i in body.items], view="batch", client=f"key:{key.name}")
    out: list[dict[str, object]] = []
    for i, r in enumerate(results):
        if isinstance(r, InvalidInput):
            out.append({"index": i, "result": None, "error": envelope(422, r.code, r.message, r.problems)["error"]})
        else:
            out.append({"index": i, "result": check_dict(r), "error": None})
    metrics.observe_batch(len(out))
    # Built as plain data and encoded once: validating 10,000 response models again would cost
    # more than the checks. The shape is BatchOut's (pinned by a test against the schema).
    return Response(json.dumps({"count": len(out), "results": out}, ensure_ascii=False), media_type="application/json")


@router.post("/public/check", response_model=PublicCheckOut, tags=["public"], summary="Check a payee (public, anonymous)")
def public_check(body: PublicCheckIn, request: Request, p: P) -> PublicCheckOut:
    who = client(request)
    edge = request.app.state.public_edge
    edge.admit(who.id, who.subnet)
    result = p.checker.check(body.to_domain(), view="public", client=who.id)
    edge.observe(who.id, who.subnet, {"account": body.account, "card": body.card, "phone": body.phone})
    metrics.observe_check("public", result.outcome.value)
    return adapt_public(public_view(result))


@router.get("/lists", response_model=list[ListOut], tags=["lists"])
def lists(p: P, _: Annotated[ApiKey, Depends(staff("read"))]) -> list[ListOut]:
    return [adapt_list(lst, p.list_store.count_entries(lst.code, active_only=True)) for lst in p.lists.all_lists()]


@router.post("/lists", response_model=ListOut, status_code=201, tags=["lists"])
def create_list(body: ListIn, p: P, _: Annotated[ApiKey, Depends(staff("admin"))]) -> ListOut:
    return adapt_list(p.lists.create_list(body.code, body.name, body.kind, body.owner, body.default_level, body.description), 0)


@router.get("/lists/{code}", response_model=ListOut, tags=["lists"])
def get_list(code: str, p: P, _: Annotated[ApiKey, Depends(staff("read"))]) -> ListOut:
    return adapt_list(p.lists.get_list(code), p.list_store.count_entries(code, active_only=True))


@router.get("/lists/{code}/entries", response_model=list[EntryOut], tags=["lists"])
def list_entries(
    code: str,
    p: P,
    _: Annotated[ApiKey, Depends(staff("read"))],
    active_only: bool = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[EntryOut]:
    return [adapt_entry(e) for e in p.lists.list_entries(code, active_only=active_only, limit=limit, offset=offset)]


def _entry_or_pending(found: Entry | PendingChange, status: int = 200) -> Response:
    """The entry written, or 202 with the pending change when the write waits for approval."""
    if isinstance(found, PendingChange):
        return JSONResponse(adapt_pending(found).model_dump(mode="json"), status_code=202)
    return JSONResponse(adapt_entry(found).model_dump(mode="json"), status_code=status)


PENDING: dict[int | str, dict[str, Any]] = {
    202: {"model": PendingChangeOut, "description": "The change can lower outcomes: it waits for a second person's approval."}
}


@router.post("/lists/{code}/entries", response_model=EntryOut, status_code=201, tags=["lists"], responses=PENDING)
def add_entry(code: str, body: EntryIn, p: P, key: Annotated[ApiKey, Depends(staff("write"))]) -> Response:
    draft = draft_from_record(body.to_record())
    return _entry_or_pending(p.list_authority.add_entry(code, draft, key.principal), 201)


@router.get("/entries", response_model=list[EntryOut], tags=["lists"], summary="Find entries by identifier")
def find_entries(
    id_type: IdType, value: Annotated[str, Query(min_length=1, max_length=256)], p: P, _: Annotated[ApiKey, Depends(staff("read"))]
) -> list[EntryOut]:
    return [adapt_entry(e) for e in p.lists.find_by_identifier(id_type, value)]


@router.get("/entries/search", response_model=list[EntryOut], tags=["lists"], summary="Find entries by name (every word)")
def search_entries(
    name: Annotated[str, Query(min_length=1, max_length=500)],
    p: P,
    _: Annotated[ApiKey, Depends(staff("read"))],
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> list[EntryOut]:
    """Entries whose name holds every word of ``name`` (case, accents, punctuation and order ignored)."""
    return [adapt_entry(e) for e in p.lists.find_by_name(name, limit)]


@router.get("/entries/{entry_id}", response_model=EntryOut, tags=["lists"])
def get_entry(entry_id: EntryId, p: P, _: Annotated[ApiKey, Depends(staff("read"))]) -> EntryOut:
    return adapt_entry(p.lists.get_entry(entry_id))


@router.patch("/entries/{entry_id}", response_model=EntryOut, tags=["lists"], responses=PENDING)
def modify_entry(entry_id: EntryId, body: EntryPatch, p: P, key: Annotated[ApiKey, Depends(staff("write"))]) -> Response:
    changes = body.model_dump(exclude_unset=True)
    return _entry_or_pending(p.list_authority.modify_entry(entry_id, changes, key.principal))


@router.post("/entries/{entry_id}/delist", response_model=EntryOut, tags=["lists"], responses=PENDING)
def delist_entry(entry_id: EntryId, body: DelistIn, p: P, key: Annotated[ApiKey, Depends(staff("write"))]) -> Response:
    return _entry_or_pending(p.list_authority.delist(entry_id, body.reason, key.principal))


@router.post("/lists/{code}/import", response_model=ImportOut, tags=["lists"], summary="Import a list file (the request body)")
async def import_list(
    code: str,
    request: Request,
    p: P,
    key: Annotated[ApiKey, Depends(staff("write"))],
    format: Literal["csv", "jsonl", "un", "eu", "uk"] = "csv",
    mode: Literal["sync", "append"] = "sync",
    skip_bad_rows: bool = False,
    allow_mass_delist: Annotated[
        bool, Query(description="Let a sync import delist more than the set share of the list's active entries (default 20%).")
    ] = False,
) -> ImportOut:
    from starlette.concurrency import run_in_threadpool

    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / f"upload.{format}"
        await save_body(request, path, MAX_IMPORT_BYTES)
        report = await run_in_threadpool(
            p.import_file,
            code,
            format,
            path,
            who=key.principal,
            mode=mode,
            skip_bad_rows=skip_bad_rows,
            allow_mass_delist=allow_mass_delist,
        )
    return adapt_import(report)


@router.get("/lists/{code}/export", tags=["lists"], response_class=PlainTextResponse)
def export_list(code: str, p: P, _: Annotated[ApiKey, Depends(staff("read"))], format: Literal["csv", "jsonl"] = "jsonl") -> Response:
    records = export_records((d, lvl) for _id, d, lvl in p.lists.state_at(code, p.follower.seq))
    out = io.StringIO()
    (write_csv if format == "csv" else write_jsonl)(records, out)
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    return Response(out.getvalue(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{code}.{format}"'})


@router.get("/lists/{code}/state", response_model=list[EntryOut], tags=["lists"], summary="The list as it stood at a sequence")
def list_state(
    code: str, seq: Annotated[int, Query(ge=0, le=MAX_ID)], p: P, _: Annotated[ApiKey, Depends(staff("read"))]
) -> list[EntryOut]:
    lst = p.lists.get_list(code)
    return [adapt_entry(Entry(entry_id, code, lst.kind, draft, level, 0, 0, 0)) for entry_id, draft, level in p.lists.state_at(code, seq)]


@router.get("/changes", response_model=ChangesOut, tags=["lists"], summary="The change-log feed")
def changes(
    p: P,
    _: Annotated[ApiKey, Depends(staff("read"))],
    since: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> ChangesOut:
    found = p.lists.changes_since(since, limit)
    return ChangesOut(since=since, next=found[-1].seq if found else since, changes=[adapt_change(c) for c in found])
