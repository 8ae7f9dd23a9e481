"""Name screening and counterparty due diligence routes (#3)."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from finguard.access.http import staff
from finguard.access.service.keys import ApiKey
from finguard.core.errors import InvalidInput
from finguard.core.http import MAX_OFFSET, platform_dependency, read_body, read_upload
from finguard.lists.model.lists import Identifier
from finguard.screening.http.schemas import (
    AlertOut,
    BatchScreenOut,
    CounterpartyIn,
    DecisionIn,
    DecisionOut,
    NameQueryIn,
    PartyOut,
    ScreeningOut,
    ScreenOut,
    adapt_alert,
    adapt_decision,
    adapt_hit,
    adapt_screening,
)
from finguard.screening.model.diligence import counterparty_from_record
from finguard.screening.pages.report import render_report
from finguard.screening.service.diligence import name_outcome, read_party_batch
from finguard.screening.service.matcher import ScreenQuery

router = APIRouter(prefix="/api/v1")
P = Annotated[Any, Depends(platform_dependency)]
MAX_BATCH_BYTES = 64 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/screening/name", response_model=ScreenOut, tags=["screening"], summary="Screen a name (not stored)")
def screen_name(body: NameQueryIn, p: P, _: Annotated[ApiKey, Depends(staff("check"))]) -> ScreenOut:
    ids = tuple(Identifier.parse(i.type, i.value, f"identifiers[{n}].value") for n, i in enumerate(body.identifiers))
    query = ScreenQuery(body.name, body.kind, body.birth_date, body.country, body.gender, ids)
    hits = p.diligence.screen_name(query, limit=body.limit)
    return ScreenOut(outcome=name_outcome(hits).value, hits=[adapt_hit(h) for h in hits])


@router.post("/parties/screen", response_model=ScreeningOut, tags=["screening"], summary="Due diligence on one counterparty")
def screen_party(body: CounterpartyIn, p: P, _: Annotated[ApiKey, Depends(staff("check"))]) -> ScreeningOut:
    return adapt_screening(p.diligence.screen(counterparty_from_record(body.to_record())))


@router.post(
    "/parties/screen/batch",
    tags=["screening"],
    summary="Due diligence on a batch file (the request body, CSV or JSON Lines)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}}}},
)
async def screen_batch(
    request: Request,
    p: P,
    _: Annotated[ApiKey, Depends(staff("check"))],
    format: Literal["csv", "jsonl"] = "csv",
    report: Literal["json", "csv", "html"] = "json",
    purpose: Literal["contract", "merchant", "supplier", "hire", "customer"] = "customer",
    lang: Literal["zh", "en"] = "zh",
) -> Response:
    raw = await read_body(request, MAX_BATCH_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput.for_field("body", f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise InvalidInput.for_field("body", "is empty; send the file as the request body")
    from starlette.concurrency import run_in_threadpool

    records = read_party_batch(format, io.StringIO(text), "body", "the request body")
    results, problems = await run_in_threadpool(p.diligence.screen_records, records, default_purpose=purpose)
    if report == "json":
        out = BatchScreenOut(
            screened=len(results),
            matches=sum(1 for r in results if r.outcome.value == "match"),
            close_matches=sum(1 for r in results if r.outcome.value == "close_match"),
            rejected=[pr.as_dict() for pr in problems],
            results=[adapt_screening(r) for r in results],
        )
        return Response(out.model_dump_json(), media_type="application/json")
    body, media = render_report(results, problems, report, lang)
    return Response(body, media_type=media)


class BatchJobOut(BaseModel):
    id: str
    state: str = Field(description="queued, running, done, failed or interrupted (its process stopped)")
    name: str
    purpose: str
    by: str
    created_at: str
    updated_at: str
    total: int = Field(description="rows in the file")
    done: int = Field(description="rows screened so far")
    screened: int
    match: int
    close_match: int
    no_match: int
    rejected: int
    error: str
    report_csv: str | None = None
    report_xlsx: str | None = None


def _job_out(job: dict[str, Any]) -> BatchJobOut:
    done = job["state"] == "done"
    base = f"/api/v1/screening/batch-jobs/{job['id']}/report"
    return BatchJobOut(**{k: v for k, v in job.items() if k in BatchJobOut.model_fields},
                       report_csv=f"{base}.csv" if done else None, report_xlsx=f"{base}.xlsx" if done else None)


@router.post("/screening/batch-jobs", response_model=BatchJobOut, status_code=202, tags=["screening"],
             summary="Start batch due diligence in the background (multipart, part `file`: .csv or .jsonl); poll the job")
async def start_batch_job(
    request: Request, p: P, key: Annotated[ApiKey, Depends(staff("check"))],
    purpose: Literal["contract", "merchant", "supplier", "hire", "customer"] = "customer",
) -> BatchJobOut:
    from starlette.concurrency import run_in_threadpool

    name, data, _ = await read_upload(request, MAX_BATCH_BYTES)
    return _job_out(await run_in_threadpool(p.batch_dd.submit, name, data, purpose, key.principal.actor))


@router.get("/screening/batch-jobs/{job_id}", response_model=BatchJobOut, tags=["screening"],
            summary="A batch job's state and progress")
def batch_job(job_id: Annotated[str, Path(max_length=16)], p: P, _: Annotated[ApiKey, Depends(staff("check"))]) -> BatchJobOut:
    return _job_out(p.batch_dd.status(job_id))


@router.get("/screening/batch-jobs/{job_id}/report.{fmt}", tags=["screening"], summary="A finished job's report (csv or xlsx)",
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def batch_job_report(job_id: Annotated[str, Path(max_length=16)], fmt: Literal["csv", "xlsx"], p: P,
                     _: Annotated[ApiKey, Depends(staff("check"))]) -> Response:
    body = p.batch_dd.report(job_id, fmt)
    return Response(body, media_type="text/csv; charset=utf-8" if fmt == "csv" else XLSX, headers={
        "Content-Disposition": f'attachment; filename="due-diligence-{job_id}.{fmt}"', "X-Content-Type-Options": "nosniff"})


@router.get("/parties/{key}", response_model=PartyOut, tags=["screening"])
def get_party(key: str, p: P, _: Annotated[ApiKey, Depends(staff("read"))]) -> PartyOut:
    party, decisions = p.diligence.party(key)
    return PartyOut(
        party_key=party.key,
        name=party.name,
        kind=party.kind.value,
        purpose=party.purpose.value,
        decisions=[adapt_decision(d) for d in decisions],
    )


@router.post("/parties/{key}/decisions", response_model=DecisionOut, status_code=201, tags=["screening"])
def decide(key: str, body: DecisionIn, p: P, k: Annotated[ApiKey, Depends(staff("write"))]) -> DecisionOut:
    return adapt_decision(p.diligence.decide(key, body.entry_id, body.decision, body.reason, actor=f"key:{k.name}"))


@router.get("/alerts", response_model=list[AlertOut], tags=["alerts"])
def alerts(
    p: P,
    _: Annotated[ApiKey, Depends(staff("read"))],
    status: Literal["open", "closed", "all"] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[AlertOut]:
    return [adapt_alert(a) for a in p.diligence.alerts(None if status == "all" else status, limit, offset)]


@router.post("/screening/rescreen", response_model=list[int], tags=["screening"], summary="Delta-screen parties for list changes now")
def rescreen(p: P, _: Annotated[ApiKey, Depends(staff("admin"))]) -> list[int]:
    parties: list[int] = p.diligence.rescreen_pending()
    return parties
