"""#19: the guard's SQLite batch writer (multi-row VALUES of driver values) stores exactly the rows
the dict path (SQLAlchemy's INSERTs through ``core.db.insert_batch``, as before) stores: every
column as SQLite holds it (``typeof`` and the value), events already stored skipped alike."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from finguard.core.db import make_engine, upgrade
from finguard.guard.model.decision import Outcome
from finguard.guard.model.events import parse_event
from finguard.guard.model.rules import Rule
from finguard.guard.provider import make_guard
from finguard.guard.service.engine import DecisionRecord
from finguard.guard.service.velocity import MemoryBackend, Read, Update, Velocity, _Buckets
from finguard.guard.store.repo import SqlGuardStore
from tests.guard_helpers import T0, Clock, luhn, transfer

_TABLES = {"guard_event": "rowid", "guard_decision": "rowid", "alert": "id", "transfer": "id", "ledger_account": "account"}


def _rows(path: Path) -> dict[str, list[Any]]:
    conn = sqlite3.connect(path)
    try:
        out = {}
        for table, order in _TABLES.items():
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            out[table] = conn.execute(f"SELECT {', '.join(f'typeof({c}), {c}' for c in cols)} FROM {table} ORDER BY {order}").fetchall()
        return out
    finally:
        conn.close()


def test_the_sqlite_batch_writer_stores_the_rows_the_dict_path_stores(tmp_path: Path) -> None:
    clock = Clock(T0 + timedelta(hours=1))
    engines = [make_engine(f"sqlite:///{tmp_path / name}") for name in ("lean.db", "dict.db")]
    for e in engines:
        upgrade(e)
    guard = make_guard(engines[0], None, clock=clock)
    guard.rules.save(Rule("r.big", "event.amount >= 1000", "a large payment", score=40), "t")
    guard.rules.save(Rule("r.bigger", "event.amount >= 5000", "a larger payment", outcome=Outcome.HOLD), "t")
    lean = guard.store
    assert isinstance(lean, SqlGuardStore) and lean._sqlite is not None
    twin = SqlGuardStore(engines[1])
    twin._sqlite = None  # the dict path
    batches: list[tuple[list[DecisionRecord], Any]] = []
    record = lean.record_decisions

    def tee(records: Any, now: Any) -> Any:
        batches.append((list(records), now))
        twin.record_decisions(records, now)
        return record(records, now)

    lean.record_decisions = tee  # type: ignore[method-assign]
    bodies = [
        transfer("e1"),  # allowed: a ledger transfer and its accounts
        transfer("e2", amount="900000.00", payee={"account": "6228000099998888", "name": "Zhang 三"}),  # over the limits: an alert
        transfer("e3", amount="2000.50", customer_id="c2", account="6222000011113333", channel="web", attributes={"n": "x\u00e9\n\u2028"}),
        {
            "event_id": "e4",
            "type": "login",
            "occurred_at": (T0 + timedelta(seconds=1, microseconds=5)).isoformat(),
            "customer_id": "c3",
            "channel": "mobile",
            "device": "dev-0009",
        },
    ]
    guard.decide_raw(bodies[0])  # one row alone
    guard.decide_many([parse_event(b, clock()) for b in bodies[1:]])
    # a batch whose first event is stored already: skipped by both, the others stored
    records, _ = batches[-1]
    fresh = [DecisionRecord(r.event, r.body_hash, r.decision, r.inputs, r.alert, r.payment, r.body) for r in records]
    clock.advance(seconds=5)
    more = [parse_event(transfer(f"e{n}", customer_id=f"k{n}", account=f"62220000111{n:05d}"), clock()) for n in range(5, 9)]
    guard.decide_many(more)
    out_lean = lean.record_decisions(fresh, clock())
    out_twin = twin.record_decisions(fresh, clock())
    assert [f[1].decision_id for f in out_lean] == [f[1].decision_id for f in out_twin] == [r.decision.decision_id for r in fresh]
    for e in engines:
        e.dispose()
    lean_rows, dict_rows = _rows(tmp_path / "lean.db"), _rows(tmp_path / "dict.db")
    assert len(lean_rows["guard_event"]) == 8 and len(lean_rows["alert"]) >= 1 and len(lean_rows["transfer"]) >= 1
    assert lean_rows == dict_rows


def _plain_add(buckets: dict[int, int], bucket: int, value: int, keep_from: int, keep: int) -> None:
    """MemoryBackend's add as it was (#19, before the running totals)."""
    buckets[bucket] = buckets.get(bucket, 0) + value
    if len(buckets) > keep:
        for b in [b for b in buckets if b < keep_from]:
            del buckets[b]


def test_a_slots_running_total_reads_every_window_as_the_scan_does() -> None:
    rng = random.Random(16)
    for _ in range(60):
        kept, plain = _Buckets(), {}
        width = rng.choice([1, 3, 24, 720])
        t = rng.randrange(-50, 50)
        for _ in range(rng.randrange(1, 3000)):
            # mostly forward in time, sometimes back (a late event), sometimes a long gap
            r = rng.random()
            t += 0 if r < 0.4 else 1 if r < 0.8 else -rng.randrange(1, 2 * width + 2) if r < 0.9 else rng.randrange(2, 3 * width)
            value = rng.choice([1, 1, 0, rng.randrange(-5, 10**9)])
            kept.add(t, value, t - width + 1, width + 1)
            _plain_add(plain, t, value, t - width + 1, width + 1)
            assert kept == plain and kept.total == sum(plain.values())
            for lo, hi in [
                (t - width + 1, t),
                (t - rng.randrange(0, 3 * width), t + rng.randrange(-2, 3)),
                (t + 1, t + 5),
                (t - 5 * width, t - 4 * width),
            ]:
                assert kept.sum(lo, hi) == sum(v for b, v in plain.items() if lo <= b <= hi)


class _Both:
    """The backend answering through ``apply`` (running totals) and, beside it, through the
    per-update and per-read methods (every bucket visited): both must give the same numbers."""

    def __init__(self) -> None:
        self.fast, self.slow = MemoryBackend(), MemoryBackend()
        self.reads = 0

    def apply(self, dedup: str, updates: Sequence[Update], reads: Sequence[Read]) -> list[int]:
        out = self.fast.apply(dedup, updates, reads)
        if dedup not in self.slow._seen:
            self.slow._seen[dedup] = None
            for u in updates:
                self.slow._update(u)
        assert out == [self.slow._read(r) for r in reads]
        self.reads += len(reads)
        return out


def test_memory_backend_sums_over_30_days_are_the_scans() -> None:
    """Card payments over 40 days at one busy merchant, some arriving late: every read the same."""
    rng = random.Random(19)
    both = _Both()
    v = Velocity(both)
    at = T0
    for n in range(2500):
        at += timedelta(minutes=rng.randrange(0, 45))
        when = at - timedelta(hours=rng.randrange(1, 40)) if rng.random() < 0.05 else at
        body = {
            "event_id": f"m{n}",
            "type": "card_auth",
            "occurred_at": when.isoformat(),
            "customer_id": f"c{rng.randrange(3)}",
            "channel": "pos",
            "card": luhn(f"62220000000{rng.randrange(3):04d}"),
            "amount": f"{rng.randrange(1, 5000)}.{rng.randrange(100):02d}",
            "merchant": {"id": "m-hot", "mcc": "5411", "region": "CN-SH"},
        }
        e = parse_event(body, when)
        v.observe(e)
        if n % 3:
            v.record_allowed(e)
    assert both.fast._buckets == both.slow._buckets and both.fast._members == both.slow._members
    assert max(len(b) for b in both.fast._buckets.values()) > 500  # the 30-day windows filled up
    assert all(b.total == sum(b.values()) for b in both.fast._buckets.values())
