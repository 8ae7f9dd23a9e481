"""Issue #19: where a decision's time goes. cProfile over ``decide_raw`` on the guard bench's set-up.

    .venv/bin/python bench/guard/profile_decide.py [--db sqlite|postgres] [--events 1000] [--batch 1]

``--batch N`` decides N events per ``decide_many`` call (the stream's and the HTTP batcher's path).
Prints the top functions by cumulative and by own time.
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
    args = ap.parse_args()
    bench.WORK.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        db = bench.WORK / "guard-profile.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    else:
        url = bench.PG_URL
    platform, guard = bench.setup(url)
    from finguard.guard.model.events import parse_event

    rng = random.Random(4)
    now = datetime.now(UTC)
    for i in range(300):
        guard.decide_raw(bench.event_body(i, now, rng))
    bodies = [bench.event_body(i, now, rng) for i in range(args.events)]
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    if args.batch <= 1:
        for b in bodies:
            guard.decide_raw(b)
    else:
        for s in range(0, len(bodies), args.batch):
            guard.decide_many([parse_event(b, guard.clock()) for b in bodies[s : s + args.batch]])
    prof.disable()
    elapsed = time.perf_counter() - t
    print(f"{args.events} decisions, batch {args.batch}: {elapsed / args.events * 1000:.3f} ms each under cProfile ({bench.load()})")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
        print(out.getvalue())
    platform.close()


if __name__ == "__main__":
    main()
