"""Issue #19: the model's share of a batched decision (thread CPU of ``explain`` / ``explain_many``).

    PYTHONPATH=src .venv/bin/python bench/guard/explain_micro19.py [--events 3000] [--warmup 1000] [--batch 64]

The guard bench's set-up (SQLite, velocity in memory, demo lists, 50 rules, the bench's model at
``bench/work/guard-quality/paysim/model.txt``, written by ``quality.py``), ``--warmup`` decisions one
each, then ``--events`` through ``decide_many`` in batches of ``--batch``, with the model's
``explain`` and (where the checkout has it) ``explain_many`` timed by ``time.thread_time``. Prints
one JSON line: ms a decision for ``decide_many`` as a whole and for the model, the calls, the rows
a call, and the load. For A/B runs of two checkouts through PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument(
        "--replay", type=int, default=0, help="then explain the runs kept N times each way, alternated (explain_many's checkout)"
    )
    bench.add_payee_args(ap)
    args = ap.parse_args()
    platform, guard = bench.fresh_setup(args, "guard-explain19.db")
    import finguard
    from finguard.guard.model.events import parse_event

    model = guard.model
    if not hasattr(model, "_booster"):
        raise SystemExit(f"no model at {bench.MODEL}: run bench/guard/quality.py first")
    spent = {"cpu": 0.0, "calls": 0, "rows": 0}

    def timed(fn: Any) -> Any:
        def wrapper(*a: Any, **kw: Any) -> Any:
            c = time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                spent["cpu"] += time.thread_time() - c
                spent["calls"] += 1
                spent["rows"] += len(a[0]) if fn.__name__ == "explain_many" else 1

        return wrapper

    rng = random.Random(4)
    now = datetime.now(UTC)
    bench.warm_up(guard, args.warmup, now, rng)
    runs: list[list[Any]] = []
    model.explain = timed(model.explain)
    if hasattr(model, "explain_many"):
        many = timed(model.explain_many)

        def keeping(items: Any) -> Any:
            runs.append(list(items))
            return many(items)

        keeping.__name__ = "explain_many"
        model.explain_many = keeping
    load_start = bench.load()
    bodies = [bench.event_body(i, now, rng) for i in range(args.events)]
    c = time.thread_time()
    for s in range(0, len(bodies), args.batch):
        guard.decide_many([parse_event(b, guard.clock()) for b in bodies[s : s + args.batch]])
    total = time.thread_time() - c
    out = {
        "finguard": str(Path(finguard.__file__).parents[1]),
        "decide_many_ms": round(total / args.events * 1000, 3),
        "model_ms": round(spent["cpu"] / args.events * 1000, 3),
        "model_calls": spent["calls"],
        "rows_per_call": round(spent["rows"] / max(1, spent["calls"]), 1),
        "load": [load_start, bench.load()],
    }
    if args.replay and runs:
        # The same runs (the events and what the model saw), explained one call an event and one call a
        # run, alternated in this process: the model's cost without the rest of the decision.
        cls = type(model)
        rows = sum(len(r) for r in runs)
        one_by_one: list[float] = []
        together: list[float] = []
        for _ in range(args.replay):
            c = time.thread_time()
            alone = [cls.explain(model, e, f) for r in runs for e, f in r]
            one_by_one.append((time.thread_time() - c) / rows * 1e6)
            c = time.thread_time()
            joint = [x for r in runs for x in cls.explain_many(model, r)]
            together.append((time.thread_time() - c) / rows * 1e6)
            assert alone == joint
        out["replay_us_a_row"] = {"explain": sorted(round(x) for x in one_by_one), "explain_many": sorted(round(x) for x in together)}
        out["replay_rows"] = rows
        out["load_end"] = bench.load()
    print(json.dumps(out))
    platform.close()


if __name__ == "__main__":
    main()
