"""Issue #19: where a decision's time goes. cProfile over ``decide_raw`` on the guard bench's set-up.

    .venv/bin/python bench/guard/profile_decide.py [--db sqlite|postgres] [--events 1000] [--batch 1] [--timer cpu]
    .venv/bin/python bench/guard/profile_decide.py --cpu [--events 3000] [--batch 64] [--warmup 1000]

``--batch N`` decides N events per ``decide_many`` call (the stream's and the HTTP batcher's path).
Prints the top functions by cumulative and by own time.

``--cpu``: no profiler; CPU per decision (``time.thread_time`` of the deciding thread, and
``time.process_time`` of the process with its follower and log-writer threads) for ``--events``
decisions one ``decide_raw`` each, then ``--events`` more through ``decide_many`` in batches of
``--batch``, after ``--warmup`` untimed ones; with the name screener's cache hits and misses per
phase, the load average, and which ``finguard`` ran (for A/B runs of two checkouts through
PYTHONPATH). Prints one JSON line. Payees as in ``run.py`` (``--payees pool|fixed``).

``--mix bench`` (the default) is ``run.py``'s events, ~80 % blocked; ``--mix bank`` a bank's traffic,
mostly ordinary payments allowed with low model scores (``mix.py`` says how, ``--risky`` the share
of ``run.py``'s events in it). The JSON line reports the outcome shares and the share of model
scores below the explain floor of each timed phase.
``FINGUARD_GUARD_EXPLAIN_FLOOR`` in the environment sets the guard's explain floor (code that has one).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import os
import pstats
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench
from mix import Events, add_mix_args


def shares(decisions: list[Any], floor: float) -> dict[str, Any]:
    """Outcome shares, and the model's scores: how many, and the share below ``floor`` (the guard's
    explain floor; 0.05 where it has none or it is 0); the decisions allowed with a score below it."""
    n = max(len(decisions), 1)
    outcomes = Counter(d.outcome.value for d in decisions)
    scores = [r.values.get("score") for d in decisions for r in d.reasons if r.kind.value == "model" and r.enforced]
    scores = [s for s in scores if s is not None]
    below = [s for s in scores if s < floor]
    allowed_below = sum(
        1
        for d in decisions
        if d.outcome.value == "allow"
        and any(
            r.kind.value == "model" and r.enforced and r.values.get("score") is not None and r.values["score"] < floor for r in d.reasons
        )
    )
    return {
        "outcomes": {k: round(v / n, 4) for k, v in sorted(outcomes.items())},
        "model_scored": len(scores),
        "below_floor": round(len(below) / max(len(scores), 1), 4),
        "allowed_below_floor": round(allowed_below / n, 4),
        "unexplained": sum(1 for d in decisions for r in d.reasons if r.kind.value == "model" and r.values.get("explained") is False),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--top", type=int, default=45)
    ap.add_argument("--cpu", action="store_true", help="CPU per decision, no profiler (one JSON line)")
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--timer", choices=["wall", "cpu"], default="wall", help="cProfile's clock: wall time, or the thread's CPU time")
    ap.add_argument("--redis", default="", help="velocity in Redis at this URL (its database is flushed first), as with --workers 2")
    ap.add_argument("--dump", help="also write the profile to this file (pstats), for callers/callees")
    add_mix_args(ap)
    bench.add_payee_args(ap)
    args = ap.parse_args()
    payee_setup = bench.use_payees(args)
    # FINGUARD_BENCH_DB_NAME: another SQLite file, for runs side by side (two models: FINGUARD_BENCH_MODEL in run.py).
    schema = None
    if args.db == "sqlite":
        url = bench.fresh_sqlite(os.environ.get("FINGUARD_BENCH_DB_NAME") or "guard-profile.db")
    else:  # a fresh schema, dropped after (the database's own schema kept the events of earlier runs: a Conflict)
        from sqlalchemy import create_engine, text

        schema = f"profile_decide_{time.monotonic_ns()}"
        with create_engine(bench.PG_URL, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{bench.PG_URL}{'&' if '?' in bench.PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        run_profile(args, url, payee_setup)
    finally:
        if schema is not None:
            with create_engine(bench.PG_URL, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def run_profile(args: argparse.Namespace, url: str, payee_setup: dict[str, object]) -> None:
    platform, guard = bench.setup(url, args.sanctions)
    floor = os.environ.get("FINGUARD_GUARD_EXPLAIN_FLOOR")
    if floor is not None and hasattr(guard.config, "explain_floor"):
        guard.config = dataclasses.replace(guard.config, explain_floor=float(floor))
    if args.redis:
        import redis

        from finguard.guard.service.velocity_redis import RedisBackend

        redis.Redis.from_url(args.redis).flushdb()
        guard.velocity.backend = RedisBackend(args.redis)
    from finguard.guard.model.events import parse_event

    rng = random.Random(4)
    now = datetime.now(UTC)
    events = Events(args.mix, args.risky, now, rng, args.warmup + args.events * (2 if args.cpu else 1))
    history = events.history(guard)
    for i in range(args.warmup):
        guard.decide_raw(events.body(i))
    if args.cpu:
        cpu_run(args, platform, guard, events, payee_setup, url, history)
        platform.close()
        return
    bodies = [events.body(i) for i in range(args.events)]
    prof = cProfile.Profile(time.thread_time) if args.timer == "cpu" else cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    if args.batch <= 1:
        for b in bodies:
            guard.decide_raw(b)
    else:
        for s in range(0, len(bodies), args.batch):
            guard.decide_many([parse_event(b, guard.clock()) for b in bodies[s : s + args.batch]])
    prof.disable()
    if args.dump:
        prof.dump_stats(args.dump)
    elapsed = time.perf_counter() - t
    print(f"{args.events} decisions, batch {args.batch}: {elapsed / args.events * 1000:.3f} ms each under cProfile ({bench.load()})")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
        print(out.getvalue())
    platform.close()


def cpu_run(args: argparse.Namespace, platform: object, guard: Any, events: Events,
            payee_setup: dict[str, object], url: str, history: int) -> None:  # fmt: skip
    import json

    import finguard
    from finguard.guard.model.events import parse_event

    out: dict[str, object] = {"finguard": str(Path(finguard.__file__).parents[1]), "db": args.db, "sanctions": args.sanctions}
    out["velocity"] = "redis" if args.redis else "in process"
    floor = getattr(guard.config, "explain_floor", None)
    out["mix"], out["explain_floor"], out["history"] = args.mix, floor, history
    if args.mix == "bank":
        out["risky"], out["regular_payees_replaced"] = args.risky, events.replaced
    out.update(payee_setup)
    load_start = bench.load()
    one = [events.body(i) for i in range(args.events)]
    before = bench.name_cache(platform)
    decided: list[Any] = []
    c, p, t = time.thread_time(), time.process_time(), time.perf_counter()
    for b in one:
        decided.append(guard.decide_raw(b))
    out["decide"] = {
        "thread_cpu_ms": round((time.thread_time() - c) / args.events * 1000, 3),
        "process_cpu_ms": round((time.process_time() - p) / args.events * 1000, 3),
        "wall_ms": round((time.perf_counter() - t) / args.events * 1000, 3),
        "name_cache": bench.cache_delta(before, bench.name_cache(platform)),
        **shares(decided, floor or 0.05),
    }
    many = [events.body(i) for i in range(args.events)]
    batch = max(args.batch, 2)
    before = bench.name_cache(platform)
    decided = []
    c, p, t = time.thread_time(), time.process_time(), time.perf_counter()
    for s in range(0, len(many), batch):
        decided += guard.decide_many([parse_event(b, guard.clock()) for b in many[s : s + batch]])
    out[f"decide_many_{batch}"] = {
        "thread_cpu_ms": round((time.thread_time() - c) / args.events * 1000, 3),
        "process_cpu_ms": round((time.process_time() - p) / args.events * 1000, 3),
        "wall_ms": round((time.perf_counter() - t) / args.events * 1000, 3),
        "name_cache": bench.cache_delta(before, bench.name_cache(platform)),
        "note": "includes parse_event",
        **shares(decided, floor or 0.05),
    }
    out["events"] = dict(events.kinds)
    out["payee_stream"] = bench.stream_stats()
    out["load_start"], out["load_end"] = load_start, bench.load()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
