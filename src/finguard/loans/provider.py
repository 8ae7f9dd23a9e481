"""Wiring of the loans capability: the service over its SQL store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from fastapi import Request
from sqlalchemy import Engine

from finguard.core.clock import utcnow
from finguard.loans.model.outreach import CHINA
from finguard.loans.service import LoanService
from finguard.loans.service.education import EducationService
from finguard.loans.service.outreach import OutreachService
from finguard.loans.store import SqlLoanStore
from finguard.loans.store.education import SqlEducationStore
from finguard.loans.store.outreach import SqlOutreachStore


def make_loans(engine: Engine) -> LoanService:
    return LoanService(SqlLoanStore(engine))


def make_outreach(engine: Engine, clock: Callable[[], datetime] = utcnow) -> OutreachService:
    return OutreachService(SqlOutreachStore(engine), make_loans(engine), clock)


def loans_service(request: Request) -> LoanService:
    """The platform's loans service (``Platform.loans``) once the app wires it; until then one
    built on first use over the platform's engine and kept on the app."""
    platform = request.app.state.platform
    wired: LoanService | None = getattr(platform, "loans", None)
    if wired is not None:
        return wired
    state = request.app.state
    service: LoanService | None = getattr(state, "loans_service", None)
    if service is None:
        service = make_loans(platform.engine)
        state.loans_service = service
    return service


def outreach_service(request: Request) -> OutreachService:
    """Outreach over the same engine, built on first use and kept on the app."""
    state = request.app.state
    service: OutreachService | None = getattr(state, "loans_outreach", None)
    if service is None:
        service = OutreachService(SqlOutreachStore(state.platform.engine), loans_service(request), utcnow)
        state.loans_outreach = service
    return service


def make_education(engine: Engine, clock: Callable[[], datetime] = utcnow) -> EducationService:
    return EducationService(SqlEducationStore(engine), clock)


def education_service(request: Request) -> EducationService:
    state = request.app.state
    service: EducationService | None = getattr(state, "loans_education", None)
    if service is None:
        service = make_education(state.platform.engine)
        state.loans_education = service
    return service


def china_today() -> date:
    """Today in China, where the relief dates and the branches are."""
    return utcnow().astimezone(CHINA).date()
