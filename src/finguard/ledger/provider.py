"""Wiring of the fund-flow ledger: the service over its SQL store."""

from __future__ import annotations

from sqlalchemy import Engine

from finguard.ledger.service import LedgerService
from finguard.ledger.store.repo import SqlLedgerStore


def make_ledger(engine: Engine) -> LedgerService:
    return LedgerService(SqlLedgerStore(engine))
