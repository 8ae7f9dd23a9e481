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
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench


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
    bench.add_payee_args(ap)
    args = ap.parse_args()
    payee_setup = bench.use_payees(args)
    bench.WORK.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        db = bench.WORK / "guard-profile.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    else:
        url = bench.PG_URL
    platform, guard = bench.setup(url, args.sanctions)
    if args.redis:
        import redis

        from finguard.guard.service.velocity_redis import RedisBackend

        redis.Redis.from_url(args.redis).flushdb()
        guard.velocity.backend = RedisBackend(args.redis)
    from finguard.guard.model.events import parse_event

    rng = random.Random(4)
    now = datetime.now(UTC)
    for i in range(args.warmup):
        guard.decide_raw(bench.event_body(i, now, rng))
    if args.cpu:
        cpu_run(args, platform, guard, rng, now, payee_setup, url)
        platform.close()
        return
    bodies = [bench.event_body(i, now, rng) for i in range(args.events)]
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


def cpu_run(args: argparse.Namespace, platform: object, guard: object, rng: random.Random, now: datetime,
            payee_setup: dict[str, object], url: str) -> None:  # fmt: skip
    import json

    import finguard
    from finguard.guard.model.events import parse_event

    out: dict[str, object] = {"finguard": str(Path(finguard.__file__).parents[1]), "db": args.db, "sanctions": args.sanctions}
    out["velocity"] = "redis" if args.redis else "in process"
    out.update(payee_setup)
    load_start = bench.load()
    one = [bench.event_body(i, now, rng) for i in range(args.events)]
    before = bench.name_cache(platform)
    c, p, t = time.thread_time(), time.process_time(), time.perf_counter()
    for b in one:
        guard.decide_raw(b)  # type: ignore[attr-defined]
    out["decide"] = {
        "thread_cpu_ms": round((time.thread_time() - c) / args.events * 1000, 3),
        "process_cpu_ms": round((time.process_time() - p) / args.events * 1000, 3),
        "wall_ms": round((time.perf_counter() - t) / args.events * 1000, 3),
        "name_cache": bench.cache_delta(before, bench.name_cache(platform)),
    }
    many = [bench.event_body(i, now, rng) for i in range(args.events)]
    batch = max(args.batch, 2)
    before = bench.name_cache(platform)
    c, p, t = time.thread_time(), time.process_time(), time.perf_counter()
    for s in range(0, len(many), batch):
        guard.decide_many([parse_event(b, guard.clock()) for b in many[s : s + batch]])  # type: ignore[attr-defined]
    out[f"decide_many_{batch}"] = {
        "thread_cpu_ms": round((time.thread_time() - c) / args.events * 1000, 3),
        "process_cpu_ms": round((time.process_time() - p) / args.events * 1000, 3),
        "wall_ms": round((time.perf_counter() - t) / args.events * 1000, 3),
        "name_cache": bench.cache_delta(before, bench.name_cache(platform)),
        "note": "includes parse_event",
    }
    out["payee_stream"] = bench.stream_stats()
    out["load_start"], out["load_end"] = load_start, bench.load()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
