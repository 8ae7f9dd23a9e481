"""Wiring of the robots: the service over its SQL stores, the case engine's sync as the step that
turns their alerts into cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from finguard.alerts.provider import make_cases
from finguard.core.clock import utcnow
from finguard.robots.service.robots import RobotService
from finguard.robots.store.diligence import SqlDiligenceStore
from finguard.robots.store.freshness import SqlFreshnessStore
from finguard.robots.store.jobs import SqlJobStore
from finguard.robots.store.reports import SqlReportStore


def make_robots(engine: Engine, *, clock: Callable[[], datetime] = utcnow, list_max_age_hours: float = 168.0) -> RobotService:
    cases = make_cases(engine, clock)
    return RobotService(jobs=SqlJobStore(engine), diligence=SqlDiligenceStore(engine), fresh=SqlFreshnessStore(engine),
                        reports=SqlReportStore(engine), sync_cases=cases.sync, clock=clock,
                        list_max_age_hours=list_max_age_hours)
