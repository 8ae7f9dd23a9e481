"""Issue #19: the thread CPU of storing a batch (``record_decisions``) and of velocity's ``observe``,
timed alone inside ``decide_many`` on the guard bench's set-up (fresh database, demo lists, 50
rules, controls), for A/B runs of two checkouts through PYTHONPATH.

    PYTHONPATH=src:/tmp/faker_env .venv/bin/python bench/guard/store_micro.py [--db sqlite|postgres] \\
        [--events 3000] [--batch 64] [--warmup 1000] [--redis URL] [--profile]

Prints one JSON line: CPU ms per decision of ``record_decisions``, of ``observe`` and of the whole
``decide_many`` (``time.thread_time`` of the deciding thread), with the load average. ``--profile``:
also cProfile ``record_decisions`` alone (thread CPU clock) and print its top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench
from mix import Events, add_mix_args


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=1000)
    ap.add_argument("--redis", default="")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--parts", action="store_true", help="also time what record_decisions calls (this branch's names)")
    add_mix_args(ap)
    bench.add_payee_args(ap)
    args = ap.parse_args()
    bench.use_payees(args)
    bench.WORK.mkdir(parents=True, exist_ok=True)
    schema = None
    if args.db == "sqlite":
        db = bench.WORK / f"store-micro-{time.monotonic_ns()}.db"
        url = f"sqlite:///{db}"
    else:
        from sqlalchemy import create_engine, text

        schema = f"store_micro_{time.monotonic_ns()}"
        admin = create_engine(bench.PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{bench.PG_URL}{'&' if '?' in bench.PG_URL else '?'}options=-csearch_path%3D{schema}"
    platform, guard = bench.setup(url, False)
    if args.redis:
        import redis

        from finguard.guard.service.velocity_redis import RedisBackend

        redis.Redis.from_url(args.redis).flushdb()
        guard.velocity.backend = RedisBackend(args.redis)
    from finguard.guard.model.events import parse_event

    rng = random.Random(4)
    now = datetime.now(UTC)
    mix = Events(args.mix, args.risky, now, rng, args.warmup + args.events)
    mix.history(guard)
    for s in range(0, args.warmup, args.batch):
        guard.decide_many([parse_event(mix.body(i), guard.clock()) for i in range(s, min(s + args.batch, args.warmup))])
    spent = {"record_decisions": 0.0, "observe": 0.0}
    prof = cProfile.Profile(time.thread_time) if args.profile else None

    def wrap(owner: Any, name: str, label: str, profiled: bool = False) -> None:
        fn = getattr(owner, name)

        def timed(*a: Any, **k: Any) -> Any:
            if profiled and prof is not None:
                prof.enable()
            t = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                spent[label] += time.thread_time() - t
                if profiled and prof is not None:
                    prof.disable()

        setattr(owner, name, timed)

    wrap(guard.store, "record_decisions", "record_decisions", profiled=True)
    wrap(guard.velocity, "observe", "observe")
    if args.parts:
        import finguard.guard.store.repo as repo

        for name in ("execute_values_returning", "execute_values", "insert_transfers", "insert_batch"):
            if hasattr(repo, name):
                spent[name] = 0.0
                wrap(repo, name, name)
        if getattr(guard.store, "_sqlite", None) is not None:
            spent["sqlite_rows_write"] = 0.0
            wrap(guard.store._sqlite, "write", "sqlite_rows_write")
    events = [parse_event(mix.body(args.warmup + i), guard.clock()) for i in range(args.events)]
    load_start = bench.load()
    t = time.thread_time()
    for s in range(0, len(events), args.batch):
        guard.decide_many(events[s : s + args.batch])
    total = time.thread_time() - t
    import finguard

    out = {
        "finguard": str(Path(finguard.__file__).parents[1]),
        "db": args.db,
        "velocity": "redis" if args.redis else "memory",
        "batch": args.batch,
        **mix.describe(),
        "decide_many_ms": round(total / args.events * 1000, 4),
        **{f"{k}_ms": round(v / args.events * 1000, 4) for k, v in spent.items()},
        "load": [load_start, bench.load()],
    }
    platform.close()
    if schema is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    print(json.dumps(out))
    if prof is not None:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(args.top)
        print(s.getvalue())
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(args.top)
        print(s.getvalue())


if __name__ == "__main__":
    main()
