"""Issue #19: thread CPU of velocity's ``observe`` (memory backend, or Redis with ``--redis``) when
slots hold many buckets: the guard bench's events (500 customers, realistic payees) spread evenly
over ``--days`` days, the last ``--timed`` of ``--events`` timed (best of ``--repeat`` passes over
fresh backends). For A/B runs of two checkouts through PYTHONPATH.

    PYTHONPATH=src:/tmp/faker_env .venv/bin/python bench/guard/vel_micro16.py [--events 60000] [--days 30]

Prints one JSON line: µs per ``observe``, with the slots' bucket counts and the load.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=60_000)
    ap.add_argument("--timed", type=int, default=10_000)
    ap.add_argument("--days", type=float, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--redis", default="")
    bench.add_payee_args(ap)
    args = ap.parse_args()
    bench.use_payees(args)
    import finguard
    from finguard.guard.model.events import parse_event
    from finguard.guard.service.velocity import MemoryBackend, Velocity

    rng = random.Random(16)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    step = timedelta(days=args.days) / args.events
    events = []
    for i in range(args.events):
        at = start + step * i
        events.append(parse_event(bench.event_body(i, at, rng), at))
    best = float("inf")
    sizes: list[int] = []
    for _ in range(args.repeat):
        if args.redis:
            import redis

            from finguard.guard.service.velocity_redis import RedisBackend

            redis.Redis.from_url(args.redis).flushdb()
            backend: object = RedisBackend(args.redis)
        else:
            backend = MemoryBackend()
        v = Velocity(backend)  # type: ignore[arg-type]
        cut = len(events) - args.timed
        for e in events[:cut]:
            v.observe(e)
        t = time.thread_time()
        for e in events[cut:]:
            v.observe(e)
        best = min(best, time.thread_time() - t)
        if not args.redis:
            sizes = sorted(len(b) for b in backend._buckets.values())  # type: ignore[attr-defined]
    out = {
        "finguard": str(Path(finguard.__file__).parents[1]),
        "backend": "redis" if args.redis else "memory",
        "events": args.events,
        "days": args.days,
        "observe_us": round(best / args.timed * 1e6, 2),
        "slots": len(sizes),
        "buckets_max": sizes[-1] if sizes else None,
        "buckets_p90": sizes[int(len(sizes) * 0.9)] if sizes else None,
        "load": bench.load(),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
