"""Wiring of the fund-flow ledger: the service over its SQL store, and the account register."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine

from finguard.core.clock import utcnow
from finguard.ledger.service import LedgerService
from finguard.ledger.service.register import AccountRegister
from finguard.ledger.store.register import SqlAccountRegister
from finguard.ledger.store.repo import SqlLedgerStore


def make_ledger(engine: Engine) -> LedgerService:
    return LedgerService(SqlLedgerStore(engine))


def make_register(engine: Engine, clock: Callable[[], datetime] = utcnow) -> AccountRegister:
    """The account register (#13): settlement accounts opened, changed, closed."""
    return AccountRegister(SqlAccountRegister(engine), clock)
