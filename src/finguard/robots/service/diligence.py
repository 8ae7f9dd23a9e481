"""The nightly "new listings" robot (bank-card due diligence).

1. **Register** the bank's own instruments not seen before: ledger accounts (one anti-join read
   as a stream, registered 20,000 at a time), the customers' own accounts and cards in guard events received since
   the last run, the firms' codes and disbursement accounts of credit applications. Each string is
   normalised once, on first sight (``model.instrument_forms``), and stored with its type.
2. **Match** in SQL: instruments registered since the last run against every active entry, in
   id ranges of 200,000; then entries the change log added or changed since the last run against
   every instrument. A hit is one row per (instrument, entry), written with its alert and the
   cursor in one transaction.

Every step commits with the cursor that records it, so a run killed half-way resumes where it
stopped, and the unique pair means a second run, or two at once, never raises an alert twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, Protocol

from finguard.robots.model import epoch_us, from_epoch_us, instrument_forms, uscc_form
from finguard.robots.service.runner import Context

REGISTER_BATCH = 20_000
MATCH_CHUNK = 200_000
# Guard events are read back this far behind the cursor: one committed late (its transaction
# slower than a later one's) is still seen; registering a card twice is a no-op.
GUARD_OVERLAP = timedelta(hours=1)


class DiligenceStore(Protocol):
    def cursor(self, name: str) -> int: ...
    def set_cursor(self, name: str, value: int) -> None: ...
    def unregistered_ledger(self, batch: int) -> Iterator[list[tuple[str, str | None]]]: ...
    def ledger_backlog(self) -> int: ...
    def add_instruments(self, rows: list[dict[str, Any]], *, exact: bool = True) -> int: ...
    def guard_customers(self, since: datetime) -> tuple[list[tuple[str, str | None, str | None]], datetime | None]: ...
    def credit_firms(self, after_id: int, limit: int) -> list[tuple[int, str, str | None, str | None]]: ...
    def heads(self) -> tuple[int, int]: ...
    def match_instruments(self, lo: int, hi: int, run_id: int, now: datetime) -> tuple[int, int]: ...
    def match_listings(self, from_seq: int, to_seq: int, upto_instrument: int, run_id: int, now: datetime) -> tuple[int, int]: ...
    def hits(self, limit: int) -> list[dict[str, Any]]: ...
    def instrument_count(self) -> int: ...


CURSOR_SEQ = "robots.new_listings.seq"
CURSOR_INSTRUMENT = "robots.new_listings.instrument"
CURSOR_GUARD = "robots.instruments.guard_us"
CURSOR_CREDIT = "robots.instruments.credit_id"


def _rows(source: str, ref: str, owner: str | None, forms: list[tuple[str, str]], now: datetime) -> list[dict[str, Any]]:
    owner = owner[:200] if owner else None
    # A string that is no identifier is kept as seen (empty type), so it is not read again.
    return [{"source": source, "ref": ref[:200], "id_type": t, "id_value": v, "owner": owner, "first_seen_at": now}
            for t, v in (forms or [("", "")])]


def register(store: DiligenceStore, ctx: Context) -> dict[str, int]:
    now = ctx.clock()
    counts = {"ledger_accounts_read": 0, "instruments_added": 0}
    backlog = store.ledger_backlog()
    for fresh in store.unregistered_ledger(REGISTER_BATCH):
        rows: list[dict[str, Any]] = []
        for account, name in fresh:
            rows.extend(_rows("ledger", account, name, instrument_forms(account), now))
        counts["instruments_added"] += store.add_instruments(rows, exact=False)
        counts["ledger_accounts_read"] += len(fresh)
        ctx.counts.update(counts)
        ctx.progress("register_ledger", counts["ledger_accounts_read"], max(backlog, counts["ledger_accounts_read"]))
    ctx.progress("register_ledger", counts["ledger_accounts_read"], counts["ledger_accounts_read"])

    since_us = store.cursor(CURSOR_GUARD)
    since = from_epoch_us(since_us) - GUARD_OVERLAP if since_us else from_epoch_us(0)
    customers, newest = store.guard_customers(since)
    rows = []
    for customer, own_account, own_card in customers:
        for raw in (own_account, own_card):
            if raw:
                rows.extend(_rows("guard", raw, customer, instrument_forms(raw), now))
    for i in range(0, len(rows), REGISTER_BATCH):
        counts["instruments_added"] += store.add_instruments(rows[i:i + REGISTER_BATCH])
    if newest is not None:
        store.set_cursor(CURSOR_GUARD, max(epoch_us(newest), since_us))
    ctx.progress("register_guard", len(customers), len(customers))

    after_id = store.cursor(CURSOR_CREDIT)
    while firms := store.credit_firms(after_id, REGISTER_BATCH):
        rows = []
        for app_id, uscc, firm, paid_to in firms:
            owner = firm or f"application {app_id}"
            rows.extend(r for r in _rows("credit", uscc, owner, uscc_form(uscc), now) if r["id_type"])
            if paid_to:
                rows.extend(r for r in _rows("credit", paid_to, owner, instrument_forms(paid_to), now) if r["id_type"])
        counts["instruments_added"] += store.add_instruments(rows)
        after_id = firms[-1][0]
        store.set_cursor(CURSOR_CREDIT, after_id)
    ctx.counts.update(counts)
    return counts


def new_listings(store: DiligenceStore, ctx: Context) -> dict[str, Any]:
    counts: dict[str, Any] = dict(register(store, ctx))
    to_seq, to_inst = store.heads()
    from_seq, from_inst = store.cursor(CURSOR_SEQ), store.cursor(CURSOR_INSTRUMENT)
    counts.update({"hits": 0, "alerts": 0, "instruments_checked": max(to_inst - from_inst, 0),
                   "changes_checked": max(to_seq - from_seq, 0), "from_seq": from_seq, "to_seq": to_seq})
    lo = from_inst
    while lo < to_inst:
        hi = min(lo + MATCH_CHUNK, to_inst)
        hits, raised = store.match_instruments(lo, hi, ctx.run.id, ctx.clock())
        counts["hits"] += hits
        counts["alerts"] += raised
        lo = hi
        ctx.counts.update(counts)
        ctx.progress("match_new_instruments", lo - from_inst, to_inst - from_inst)
    if to_seq > from_seq:
        hits, raised = store.match_listings(from_seq, to_seq, to_inst, ctx.run.id, ctx.clock())
        counts["hits"] += hits
        counts["alerts"] += raised
    ctx.counts.update(counts)
    ctx.progress("match_new_listings", 1, 1)
    return counts
