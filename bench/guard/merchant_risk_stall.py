"""Can ``MerchantRiskService.index()``'s stored-counter read stall a decision? (hygiene, item 2)

    PYTHONPATH=src .venv/bin/python bench/guard/merchant_risk_stall.py [--db sqlite|postgres] [--hold 1.0]

Part 1, a lock held elsewhere for ``--hold`` seconds, then, 0.1 s into it, timed alone:
``counter`` the merchant-risk counter read (``SqlConfirmedFraudStore.version``), ``cache`` the
read of the same table the decision makes first (``SqlGuardStore._cache_generation``, for its
conditions and controls), ``decision`` a whole card decision at a merchant (both reads due),
``decision_without_merchant_risk`` the same decision with no merchant-risk read at all (the best
a move of that read off the decision could give).
Locks: SQLite, a write transaction that bumped the counter (an analyst's review in progress);
PostgreSQL, the same (a row lock) and ``LOCK TABLE guard_counter`` (DDL, a migration).

Part 2, the reload a decision pays inline once the counter moved: ``index()`` after a change,
for N stored confirmations. Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from finguard.core.db import begin_write, make_engine, upgrade
from finguard.guard.model.events import parse_event
from finguard.guard.provider import make_guard
from finguard.guard.store.repo import _bump
from finguard.guard.store.tables import guard_confirmed_fraud

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.guard_helpers import luhn

PG_URL = os.environ.get("FINGUARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime.now(UTC).replace(microsecond=0)


def card(event_id: str) -> dict[str, object]:
    return {
        "event_id": event_id,
        "type": "card_auth",
        "occurred_at": NOW.isoformat(),
        "customer_id": "cust1",
        "channel": "pos",
        "card": luhn("622200000000001"),
        "amount": "80.00",
        "merchant": {"id": "skim-1", "mcc": "5411", "region": "CN-BJ"},
    }


def held(engine, kind: str, hold: float, ready: threading.Event) -> threading.Thread:  # type: ignore[no-untyped-def]
    def run() -> None:
        if kind == "table":
            with engine.connect() as conn, conn.begin():
                conn.execute(text("LOCK TABLE guard_counter IN ACCESS EXCLUSIVE MODE"))
                ready.set()
                time.sleep(hold)
            return
        with begin_write(engine) as conn:
            _bump(conn, "fraud")
            ready.set()
            time.sleep(hold)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def part1(url: str, db: str, hold: float) -> None:
    engine = make_engine(url)
    upgrade(engine)
    guard = make_guard(engine, None, clock=lambda: NOW)
    risk, store = guard.merchant_risk, guard.store
    assert risk is not None
    guard.decide(parse_event(card("warm"), NOW))
    n = 0

    def timed(what: str) -> float:
        nonlocal n
        n += 1
        risk._checked = float("-inf")  # the read is due
        store._cache.checked = float("-inf")
        started = time.perf_counter()
        if what == "counter":
            risk.store.version()
        elif what == "cache":
            store._cache_generation()
        elif what == "decision":
            guard.decide(parse_event(card(f"e{n}"), NOW))
        else:  # the best any move of the merchant-risk read off the decision could do: no read at all
            guard.merchant_risk = None
            try:
                guard.decide(parse_event(card(f"e{n}"), NOW))
            finally:
                guard.merchant_risk = risk
        return time.perf_counter() - started

    for kind in ["row"] + (["table"] if db == "postgres" else []):
        for what in ("counter", "cache", "decision", "decision_without_merchant_risk"):
            ready = threading.Event()
            t = held(engine, kind, hold, ready)
            ready.wait()
            time.sleep(0.1)
            seconds = timed(what)
            t.join()
            free = min(timed(what) for _ in range(5))
            print(json.dumps({"db": db, "lock": kind, "hold_s": hold, "timed": what, "while_held_ms": round(seconds * 1000, 1),
                              "unlocked_min_ms": round(free * 1000, 2)}), flush=True)  # fmt: skip
    engine.dispose()


def part2(url: str, db: str, sizes: list[int]) -> None:
    engine = make_engine(url)
    upgrade(engine)
    guard = make_guard(engine, None, clock=lambda: NOW)
    risk = guard.merchant_risk
    assert risk is not None
    stored = 0
    for size in sizes:
        rows = [
            {"event_id": f"f{i}", "merchant_id": f"m{i % 500}", "customer_id": "c", "occurred_at": NOW - timedelta(days=40, seconds=i),
             "confirmed_at": NOW - timedelta(days=30, seconds=i), "source": "import", "actor": "bench"}
            for i in range(stored, size)
        ]  # fmt: skip
        with engine.begin() as conn:
            for i in range(0, len(rows), 5000):
                conn.execute(insert(guard_confirmed_fraud), rows[i : i + 5000])
        stored = size
        times = []
        for _ in range(3):
            risk.store.changed_here()  # a confirmation in this process: the next decision reloads
            started = time.perf_counter()
            risk.index()
            times.append(time.perf_counter() - started)
        print(json.dumps({"db": db, "confirmations": size, "reload_min_ms": round(min(times) * 1000, 1),
                          "reload_max_ms": round(max(times) * 1000, 1)}), flush=True)  # fmt: skip
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--hold", type=float, default=1.0)
    ap.add_argument("--sizes", default="1000,10000,50000")
    args = ap.parse_args()
    print(json.dumps({"uptime": Path("/proc/loadavg").read_text().split()[:3]}), flush=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            part1(f"sqlite:///{tmp}/a.db", "sqlite", args.hold)
            part2(f"sqlite:///{tmp}/b.db", "sqlite", sizes)
        return
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    for part in (1, 2):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
        try:
            part1(url, "postgres", args.hold) if part == 1 else part2(url, "postgres", sizes)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
    print(json.dumps({"uptime": Path("/proc/loadavg").read_text().split()[:3]}), flush=True)


if __name__ == "__main__":
    main()
