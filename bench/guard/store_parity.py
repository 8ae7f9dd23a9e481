"""Issue #19: do the guard's two SQLite write paths store the same rows, byte for byte?

    PYTHONPATH=src:/tmp/faker_env .venv/bin/python bench/guard/store_parity.py --events-file parity-events.json

Decides ``decision_parity.py``'s events (the first third one ``decide`` each, the rest through
``decide_many`` in batches of 64 and 200) on a fresh SQLite database, and hands every batch the
store writes (``record_decisions``, with its time) and every alert it adds to a twin store on a
second fresh database that writes them through the dict path (``SqlGuardStore._write_rows``, the
code main runs: SQLAlchemy's INSERTs through ``core.db.insert_batch``). Then compares every column
of ``guard_event``, ``guard_decision``, ``alert``, ``transfer`` and ``ledger_account`` row by row,
as SQLite holds them (``typeof`` and the value). Prints one JSON line; exits 1 on a difference.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench

TABLES = {
    "guard_event": "rowid",
    "guard_decision": "rowid",
    "alert": "id",
    "transfer": "id",
    "ledger_account": "account",
    "ledger_account_code": "code",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events-file", required=True)
    args = ap.parse_args()
    from sqlalchemy import text

    from finguard.core.db import make_engine, upgrade
    from finguard.guard.model.events import parse_event
    from finguard.guard.store.repo import SqlGuardStore

    bench.WORK.mkdir(parents=True, exist_ok=True)
    paths = [bench.WORK / "store-parity-lean.db", bench.WORK / "store-parity-twin.db"]
    for db in paths:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    platform, guard = bench.setup(f"sqlite:///{paths[0]}")
    twin_engine = make_engine(f"sqlite:///{paths[1]}")
    upgrade(twin_engine)
    twin = SqlGuardStore(twin_engine)
    twin._sqlite = None  # the dict path, as main writes
    store = guard.store
    assert store._sqlite is not None
    record, add_alert = store.record_decisions, store.add_guard_alert

    def tee_record(records: Any, now: Any) -> Any:
        twin.record_decisions(records, now)
        return record(records, now)

    def tee_alert(draft: Any, now: Any) -> None:
        twin.add_guard_alert(draft, now)
        add_alert(draft, now)

    store.record_decisions, store.add_guard_alert = tee_record, tee_alert
    bodies = json.loads(Path(args.events_file).read_text())["bodies"]
    third = len(bodies) // 3
    for b in bodies[:third]:
        try:
            guard.decide_raw(b)
        except Exception as exc:  # the conflict
            assert type(exc).__name__ == "Conflict", exc
    rest, s, size = bodies[third:], 0, 64
    while s < len(rest):
        guard.decide_many([parse_event(b, guard.clock()) for b in rest[s : s + size]])
        s += size
        size = 200 if size == 64 else 64
    for b in bodies[:50]:
        guard.decide_raw(b)
    platform.close()
    twin_engine.dispose()
    # the twin's ledger holds only what the guard wrote; the main database's too (the demo load writes none)
    with platform.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM transfer WHERE source != 'guard'")).scalar_one() == 0
    report: dict[str, Any] = {}
    differ = 0
    a, b = sqlite3.connect(paths[0]), sqlite3.connect(paths[1])
    for table, order in TABLES.items():
        cols = [r[1] for r in a.execute(f"PRAGMA table_info({table})")]
        select = ", ".join(f"typeof({c}), {c}" for c in cols)
        ra = a.execute(f"SELECT {select} FROM {table} ORDER BY {order}").fetchall()
        rb = b.execute(f"SELECT {select} FROM {table} ORDER BY {order}").fetchall()
        bad = sum(x != y for x, y in zip(ra, rb, strict=False)) + abs(len(ra) - len(rb))
        report[table] = {"rows": [len(ra), len(rb)], "differing": bad}
        differ += bad
        for x, y in [(x, y) for x, y in zip(ra, rb, strict=False) if x != y][:2]:
            print(f"{table}\n  lean: {str(x)[:800]}\n  twin: {str(y)[:800]}")
    report["identical"] = differ == 0
    print(json.dumps(report))
    for db in paths:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()
