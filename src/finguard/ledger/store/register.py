"""The account register's rows (``ledger_account_event``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select

from finguard.core.db import begin_write, dialect_insert
from finguard.ledger.model import AccountEvent, AccountEventKind, HolderIdType, SettlementAccountType
from finguard.ledger.store.tables import ledger_account_event


def event_of(r: Any) -> AccountEvent:
    return AccountEvent(r.account, AccountEventKind(r.event), r.event_date, SettlementAccountType(r.account_type),
                        r.holder_name, HolderIdType(r.id_type), r.id_number, r.branch_code, r.reason)


class SqlAccountRegister:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, events: list[AccountEvent], actor: str, source: str, now: datetime) -> int:
        """Record the events in one transaction; returns how many were new (an event already
        recorded is skipped)."""
        if not events:
            return 0
        rows = [{"account": e.account, "event": e.event.value, "event_date": e.event_date, "account_type": e.account_type.value,
                 "holder_name": e.holder_name, "id_type": e.id_type.value, "id_number": e.id_number,
                 "branch_code": e.branch_code, "reason": e.reason, "fingerprint": e.fingerprint(), "recorded_at": now,
                 "recorded_by": actor[:200], "source": source[:200]} for e in events]
        added = 0
        with begin_write(self.engine) as conn:
            for row in rows:
                stmt = dialect_insert(conn, ledger_account_event).values(**row)
                done = conn.execute(stmt.on_conflict_do_nothing(index_elements=["fingerprint"])
                                    .returning(ledger_account_event.c.id)).first()
                added += done is not None
        return added

    def on_day(self, day: date) -> list[AccountEvent]:
        c = ledger_account_event.c
        with self.engine.connect() as conn:
            return [event_of(r) for r in conn.execute(select(ledger_account_event).where(c.event_date == day).order_by(c.id))]

    def of_account(self, account: str, limit: int = 200) -> list[AccountEvent]:
        c = ledger_account_event.c
        with self.engine.connect() as conn:
            return [event_of(r) for r in conn.execute(select(ledger_account_event).where(c.account == account)
                                                       .order_by(c.id).limit(limit))]
