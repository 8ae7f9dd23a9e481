"""Wiring of the case engine: the service over its SQL store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import Request
from sqlalchemy import Engine

from finguard.alerts.service.cases import CaseService
from finguard.alerts.store.cases import SqlCaseStore
from finguard.core.clock import utcnow


def make_cases(engine: Engine, clock: Callable[[], datetime] = utcnow) -> CaseService:
    return CaseService(SqlCaseStore(engine), clock)


def case_service(request: Request) -> CaseService:
    """``Platform.cases`` once the app wires it; until then one built on first use over the
    platform's engine and kept on the app."""
    platform = request.app.state.platform
    wired: CaseService | None = getattr(platform, "cases", None)
    if wired is not None:
        return wired
    state = request.app.state
    service: CaseService | None = getattr(state, "case_service", None)
    if service is None:
        service = make_cases(platform.engine)
        state.case_service = service
    return service
