"""Wiring of the case engine: the service over its SQL store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from finguard.alerts.service.cases import CaseService
from finguard.alerts.store.cases import SqlCaseStore
from finguard.core.clock import utcnow


def make_cases(engine: Engine, clock: Callable[[], datetime] = utcnow, attachment_limit: int | None = None) -> CaseService:
    if attachment_limit is None:
        return CaseService(SqlCaseStore(engine), clock)
    return CaseService(SqlCaseStore(engine), clock, attachment_limit)

