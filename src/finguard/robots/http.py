"""The robots API (#13): the jobs and their run history, run one now, list freshness and refresh
periods, the stored settlement reports. Staff keys: ``read`` to look, ``write`` to run a robot,
``admin`` to change a list's refresh period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from finguard.access.http import staff
from finguard.access.service.keys import ApiKey
from finguard.robots.model import Freshness, Run
from finguard.robots.service.robots import RobotService


def robot_service(request: Request) -> RobotService:
    return request.app.state.platform.robots  # type: ignore[no-any-return]


router = APIRouter(prefix="/api/v1/robots", tags=["robots"])

S = Annotated[RobotService, Depends(robot_service)]
Reader = Annotated[ApiKey, Depends(staff("read"))]
Writer = Annotated[ApiKey, Depends(staff("write"))]
Admin = Annotated[ApiKey, Depends(staff("admin"))]
Name = Annotated[str, Path(max_length=64, description="new_listings, list_freshness, list_refresh, settlement_report or case_sla")]


class RunOut(BaseModel):
    id: int
    robot: str
    trigger: str = Field(description="schedule or manual")
    actor: str = Field(description="who started it (system:scheduler for a scheduled run)")
    started_at: datetime
    finished_at: datetime | None
    outcome: str = Field(description="running, ok, failed or crashed")
    stage: str
    done: int
    total: int
    counts: dict[str, Any]
    message: str


class JobOut(BaseModel):
    name: str
    schedule: dict[str, Any]
    enabled: bool
    next_due_at: datetime
    running: bool
    failures: int
    last_run: RunOut | None


class RunIn(BaseModel):
    day: date | None = Field(default=None, description="settlement_report: the China-time day (default: today so far)")
    wait: bool = Field(default=False, description="run here and answer when it ends (default: start it and answer 202)")
    list_code: str | None = Field(default=None, min_length=1, max_length=64,
                                  description="list_refresh: only this list (default: every configured source)")


class FreshnessOut(BaseModel):
    list_code: str
    name: str
    kind: str
    as_of: datetime
    last_import: datetime | None
    max_age_hours: float
    age_hours: float
    stale: bool
    source_date: datetime | None = Field(description="the source's own date: the publication date the file carries, "
                                                     "else the server's Last-Modified; null when unknown")
    refresh_error: str | None = Field(description="the last refresh from the configured source failed (the list is stale)")


class PeriodIn(BaseModel):
    max_age_hours: int | None = Field(ge=1, le=24 * 366, description="whole hours; null: back to the default")


class ReportOut(BaseModel):
    id: int
    kind: str = Field(description="settlement (cases and alerts) or accounts (the PBOC account filing)")
    day: date
    final: bool = Field(description="false: the day was not over when it was written (replaced by the next run)")
    rows: int
    created_at: datetime
    csv: str
    xlsx: str


def adapt_run(r: Run) -> RunOut:
    return RunOut(id=r.id, robot=r.robot, trigger=r.trigger.value, actor=r.actor, started_at=r.started_at,
                  finished_at=r.finished_at, outcome=r.outcome.value, stage=r.stage, done=r.done, total=r.total,
                  counts=r.counts, message=r.message)


def adapt_freshness(f: Freshness) -> FreshnessOut:
    return FreshnessOut(list_code=f.list_code, name=f.name, kind=f.kind, as_of=f.as_of, last_import=f.last_import,
                        max_age_hours=f.max_age.total_seconds() / 3600, age_hours=round(f.age.total_seconds() / 3600, 2),
                        stale=f.stale, source_date=f.source_date, refresh_error=f.refresh_error)


@router.get("", response_model=list[JobOut], summary="Every robot: schedule, next due time, last run")
def list_robots(s: S, _: Reader) -> list[JobOut]:
    now = s.clock()
    out = []
    for spec, job in s.runner.jobs():
        last = s.runner.store.run(job.last_run_id) if job.last_run_id else None
        out.append(JobOut(name=spec.name, schedule=spec.schedule.describe(), enabled=job.enabled,
                          next_due_at=job.next_due_at, running=job.locked(now), failures=job.failures,
                          last_run=adapt_run(last) if last else None))
    return out


@router.get("/runs", response_model=list[RunOut], summary="The run history, newest first")
def list_runs(s: S, _: Reader, robot: Annotated[str | None, Query(max_length=64)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[RunOut]:
    return [adapt_run(r) for r in s.runner.runs(robot, limit)]


@router.get("/runs/{run_id}", response_model=RunOut, summary="One run (poll it to follow a run's progress)")
def show_run(s: S, _: Reader, run_id: Annotated[int, Path(ge=1, le=2**62)]) -> RunOut:
    return adapt_run(s.runner.run_of(run_id))


@router.post("/{name}/runs", response_model=RunOut, status_code=202,
             summary="Run a robot now (409 if it is running); 202 with the run to poll, or 200 when it ends with wait")
def run_robot(s: S, key: Writer, name: Name, body: RunIn | None = None) -> Any:
    body = body or RunIn()
    params: dict[str, Any] = {"day": body.day.isoformat()} if body.day else {}
    if body.list_code:
        params["list"] = body.list_code
    if body.wait:
        run = s.runner.run(name, actor=key.principal.actor, params=params)
        return JSONResponse(adapt_run(run).model_dump(mode="json"), status_code=200)
    return adapt_run(s.runner.start(name, actor=key.principal.actor, params=params))


@router.get("/lists", response_model=list[FreshnessOut], summary='Each list\'s "as of" and whether it is stale')
def list_freshness(s: S, _: Reader) -> list[FreshnessOut]:
    return [adapt_freshness(f) for f in s.freshness()]


@router.put("/lists/{list_code}/period", response_model=FreshnessOut, summary="Set a list's refresh period")
def set_period(s: S, key: Admin, list_code: Annotated[str, Path(max_length=64)], body: PeriodIn) -> FreshnessOut:
    return adapt_freshness(s.set_period(list_code, body.max_age_hours, key.principal.actor))


@router.get("/reports", response_model=list[ReportOut], summary="Stored daily reports of a kind, newest day first")
def list_reports(s: S, _: Reader, limit: Annotated[int, Query(ge=1, le=1000)] = 60,
                 kind: Annotated[Literal["settlement", "accounts"], Query(
                     description="settlement (cases and alerts) or accounts (the PBOC account filing)")] = "settlement",
                 ) -> list[ReportOut]:
    return [ReportOut(id=r.id, kind=r.kind, day=r.day, final=r.final, rows=r.rows, created_at=r.created_at,
                      csv=f"/api/v1/robots/reports/{r.id}.csv", xlsx=f"/api/v1/robots/reports/{r.id}.xlsx")
            for r in s.reports(limit, kind)]


@router.get("/reports/{report_id}.{fmt}", summary="A stored report as CSV or XLSX (formula cells neutralised)")
def download_report(s: S, _: Reader, report_id: Annotated[int, Path(ge=1, le=2**62)],
                    fmt: Annotated[str, Path(max_length=8)]) -> Response:
    name, body, media = s.report_file(report_id, fmt)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
