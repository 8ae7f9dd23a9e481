"""Pattern-monitor routes (#5): run the monitors over the ledger, list their alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from finguard.access.http import staff
from finguard.access.service.keys import ApiKey
from finguard.core.clock import utcnow
from finguard.core.errors import InvalidInput
from finguard.core.http import MAX_OFFSET, platform_dependency
from finguard.monitors.model import Typology
from finguard.monitors.service import monitor_ledger, monitor_ledger_incremental, parse_typologies

router = APIRouter(prefix="/api/v1/monitors", tags=["monitors"])
P = Annotated[Any, Depends(platform_dependency)]
INCREMENTAL_WINDOW = "an incremental run reads every transfer after the cursor; leave out since and until"


class MonitorRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: datetime | None = Field(default=None, description="Only transfers at or after this time.")
    until: datetime | None = Field(default=None, description="Only transfers before this time.")
    typologies: list[str] = Field(default_factory=list, max_length=len(Typology), description="Default: every typology.")
    thresholds: dict[str, dict[str, float]] = Field(
        default_factory=dict, description='Overrides of the documented defaults, e.g. {"fan_in": {"min_counterparties": 8}}.'
    )
    incremental: bool = Field(
        default=False,
        strict=True,
        description="Only the transfers stored since the last run (the monitors' cursor), then move the cursor. Not with since / until.",
    )


class MonitorRunOut(BaseModel):
    transfers: int
    dropped_self_transfers: int
    dropped_non_positive: int
    alerts: dict[str, int]
    new_alert_ids: list[int]
    truncated: dict[str, bool]
    seconds: dict[str, float]
    incremental: bool
    cursor_from: int | None = Field(description="Incremental runs: the transfers with ids above this were new.")
    cursor_to: int | None = Field(description="The monitors' cursor after the run (unchanged by windowed runs: null).")


class MonitorStatusOut(BaseModel):
    background: dict[str, Any] = Field(description="The background incremental runs (FINGUARD_MONITOR_INCREMENTAL_SECONDS).")
    cursors: dict[str, int] = Field(description="Per typology, the last transfer id its monitor evaluated.")
    latest_transfer_id: int
    mirror: dict[str, Any] = Field(description="This process's in-memory copy of the ledger's transfer columns.")


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
    config = p.monitor_config.with_overrides(body.thresholds)
    typologies = parse_typologies(body.typologies)
    if body.incremental:
        if body.since or body.until:
            raise InvalidInput.for_field("incremental", INCREMENTAL_WINDOW)
        result = monitor_ledger_incremental(p.monitor_store(), utcnow(), config, typologies)
    else:
        since, until = _aware(body.since), _aware(body.until)
        result = monitor_ledger(p.monitor_store(), utcnow(), config, typologies, since=since, until=until)
    r = result.run
    return MonitorRunOut(
        transfers=r.transfers,
        dropped_self_transfers=r.dropped_self,
        dropped_non_positive=r.dropped_nonpositive,
        alerts=r.counts(),
        new_alert_ids=result.alert_ids,
        truncated=r.truncated,
        seconds=r.seconds,
        incremental=body.incremental,
        cursor_from=result.cursor_from,
        cursor_to=result.cursor_to,
    )


@router.get("/status", response_model=MonitorStatusOut, summary="The monitors' cursors, background runs and ledger mirror")
def status(p: P, _: Annotated[ApiKey, Depends(staff("read"))]) -> MonitorStatusOut:
    store = p.monitor_store()
    mirror = p.ledger_mirror.state()
    return MonitorStatusOut(
        background=p.monitor_status.as_dict(),
        cursors={t.value: seq for t, seq in sorted(store.cursors(frozenset(Typology)).items())},
        latest_transfer_id=store.latest_id(),
        mirror={
            "loaded": mirror.loaded,
            "transfers": mirror.transfers,
            "accounts": mirror.accounts,
            "last_id": mirror.last_id,
            "bytes": mirror.bytes,
            "disabled": mirror.disabled,
        },
    )


@router.get("/results", response_model=list[MonitorAlertOut], summary="Stored monitor alerts, newest first")
def results(
    p: P,
    _: Annotated[ApiKey, Depends(staff("read"))],
    typology: Annotated[str | None, Query(description="Only this typology.")] = None,
    status: Annotated[str | None, Query(description="open or closed; default all.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[MonitorAlertOut]:
    t = next(iter(parse_typologies([typology]))).value if typology else None
    return [MonitorAlertOut(**row) for row in p.monitor_store().results(t, status, limit, offset)]
