"""SQL store of confirmed fraud (``guard_confirmed_fraud``): what the merchant's features count.

Written by an analyst's review in the review's own transaction (``store.reviews``) and by a
label file imported (:meth:`SqlConfirmedFraudStore.add_confirmations`); every change bumps the
``fraud`` counter of ``guard_counter`` (other processes reload when it moves) and this process's
own change count (every store on the engine reloads at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, or_, select, update

from finguard.core.db import dialect_insert
from finguard.guard.model.merchant_risk import Confirmation
from finguard.guard.store.repo import _bump, _local
from finguard.guard.store.tables import guard_confirmed_fraud as cf
from finguard.guard.store.tables import guard_counter

COUNTER = "fraud"


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def confirm_in(conn: Connection, row: dict[str, Any]) -> bool:
    """Record fraud confirmed on an event in the caller's transaction: a new row, or a withdrawn
    one confirmed again (from this confirmation's time). An event confirmed already keeps its
    first confirmation time. True when something changed."""
    values = {**row, "occurred_at": _utc(row["occurred_at"]), "confirmed_at": _utc(row["confirmed_at"]), "withdrawn_at": None}
    stmt = dialect_insert(conn, cf).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[cf.c.event_id],
        set_={
            "confirmed_at": stmt.excluded.confirmed_at,
            "withdrawn_at": None,
            "source": stmt.excluded.source,
            "actor": stmt.excluded.actor,
        },
        where=cf.c.withdrawn_at.is_not(None),
    )
    changed = conn.execute(stmt.returning(cf.c.event_id)).first() is not None
    if changed:
        _bump(conn, COUNTER)
    return changed


def withdraw_in(conn: Connection, event_id: str, at: datetime) -> bool:
    """A later review says the event was not fraud: it counts no more from ``at``."""
    result = conn.execute(update(cf).where(cf.c.event_id == event_id, cf.c.withdrawn_at.is_(None)).values(withdrawn_at=_utc(at)))
    if result.rowcount:
        _bump(conn, COUNTER)
    return bool(result.rowcount)


def _confirmation(r: Any) -> Confirmation:
    withdrawn = r.withdrawn_at
    return Confirmation(r.event_id, r.merchant_id, r.occurred_at, r.confirmed_at, withdrawn)


class SqlConfirmedFraudStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = _local(engine)

    def local_changes(self) -> int:
        return self._local.fraud

    def version(self) -> int:
        with self.engine.connect() as conn:
            found = conn.execute(select(guard_counter.c.value).where(guard_counter.c.name == COUNTER)).scalar()
        return int(found or 0)

    def confirmations(self, since: datetime) -> list[Confirmation]:
        """Confirmations at a merchant confirmed from ``since`` on (withdrawn ones too: they counted until withdrawn)."""
        query = (
            select(cf)
            .where(cf.c.merchant_id.is_not(None), cf.c.confirmed_at >= _utc(since))
            .where(or_(cf.c.withdrawn_at.is_(None), cf.c.withdrawn_at >= _utc(since)))
            .order_by(cf.c.confirmed_at, cf.c.event_id)
        )
        with self.engine.connect() as conn:
            return [_confirmation(r) for r in conn.execute(query)]

    def confirmation_times(self, since: datetime) -> list[tuple[str, datetime, datetime | None]]:
        """What the live index needs of :meth:`confirmations`, and only that: (merchant, confirmed,
        withdrawn) in confirmation order. Three columns instead of the whole row: a reload of
        50,000 confirmations spent most of its time turning the unused columns into objects."""
        query = (
            select(cf.c.merchant_id, cf.c.confirmed_at, cf.c.withdrawn_at)
            .where(cf.c.merchant_id.is_not(None), cf.c.confirmed_at >= _utc(since))
            .where(or_(cf.c.withdrawn_at.is_(None), cf.c.withdrawn_at >= _utc(since)))
            .order_by(cf.c.confirmed_at, cf.c.event_id)
        )
        with self.engine.connect() as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(query)]

    def add_confirmations(self, confirmations: Sequence[Confirmation], *, customers: dict[str, str], source: str, actor: str) -> int:
        """Record confirmations (an imported label file) in one transaction; how many changed."""
        changed = 0
        with self.engine.begin() as conn:
            for c in confirmations:
                row = {
                    "event_id": c.event_id,
                    "merchant_id": c.merchant_id,
                    "customer_id": customers.get(c.event_id, ""),
                    "occurred_at": c.occurred_at,
                    "confirmed_at": c.confirmed_at,
                    "source": source,
                    "actor": actor,
                }
                changed += confirm_in(conn, row)
        if changed:
            self._local.changed("fraud")
        return changed

    def changed_here(self) -> None:
        self._local.changed("fraud")
