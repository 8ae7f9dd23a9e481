"""Wiring of the loans capability: the service over its SQL store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

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


def make_education(engine: Engine, clock: Callable[[], datetime] = utcnow) -> EducationService:
    return EducationService(SqlEducationStore(engine), clock)


def china_today() -> date:
    """Today in China, where the relief dates and the branches are."""
    return utcnow().astimezone(CHINA).date()
