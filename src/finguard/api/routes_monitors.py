"""Pattern-monitor routes (#5): run the monitors over the ledger, list their alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from finguard.api.deps import platform, staff
from finguard.domain.monitors import MonitorConfig, Typology
from finguard.runtime import Platform
from finguard.services.keys import ApiKey
from finguard.services.monitors import monitor_ledger, parse_typologies
from finguard.store.monitor_repo import SqlMonitorStore

router = APIRouter(prefix="/api/v1/monitors", tags=["monitors"])
P = Annotated[Platform, Depends(platform)]


class MonitorRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: datetime | None = Field(default=None, description="Only transfers at or after this time.")
    until: datetime | None = Field(default=None, description="Only transfers before this time.")
    typologies: list[str] = Field(default_factory=list, max_length=len(Typology), description="Default: every typology.")
    thresholds: dict[str, dict[str, float]] = Field(
        default_factory=dict, description='Overrides of the documented defaults, e.g. {"fan_in": {"min_counterparties": 8}}.'
    )


class MonitorRunOut(BaseModel):
    transfers: int
    dropped_self_transfers: int
    dropped_non_positive: int
    alerts: dict[str, int]
    new_alert_ids: list[int]
    truncated: dict[str, bool]
    seconds: dict[str, float]


class MonitorAlertOut(BaseModel):
    id: int
    kind: str
    subject: str
    severity: str
    status: str
    summary: str
    details: dict[str, Any]
    created_at: datetime


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


@router.post("/run", response_model=MonitorRunOut, summary="Run the pattern monitors over the ledger; store new alerts")
def run_monitors(body: MonitorRunIn, p: P, _: Annotated[ApiKey, Depends(staff("write"))]) -> MonitorRunOut:
    config = MonitorConfig().with_overrides(body.thresholds)
    result = monitor_ledger(
        SqlMonitorStore(p.engine),
        datetime.now(UTC),
        config,
        parse_typologies(body.typologies),
        since=_aware(body.since),
        until=_aware(body.until),
    )
    r = result.run
    return MonitorRunOut(
        transfers=r.transfers,
        dropped_self_transfers=r.dropped_self,
        dropped_non_positive=r.dropped_nonpositive,
        alerts=r.counts(),
        new_alert_ids=result.alert_ids,
        truncated=r.truncated,
        seconds=r.seconds,
    )


@router.get("/results", response_model=list[MonitorAlertOut], summary="Stored monitor alerts, newest first")
def results(
    p: P,
    _: Annotated[ApiKey, Depends(staff("read"))],
    typology: Annotated[str | None, Query(description="Only this typology.")] = None,
    status: Annotated[str | None, Query(description="open or closed; default all.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[MonitorAlertOut]:
    t = next(iter(parse_typologies([typology]))).value if typology else None
    return [MonitorAlertOut(**row) for row in SqlMonitorStore(p.engine).results(t, status, limit, offset)]
