"""Issue #19, stop 22: the model's cost a row with contributions only where shown, and the plain
score's parity with the explained one (thread CPU, one process, alternated).

    PYTHONPATH=src .venv/bin/python bench/guard/explain_floor22.py [--events 3000] [--warmup 1000] [--replay 5]

The guard bench's set-up and model (as ``explain_micro19.py``): ``--warmup`` decisions one each, then
``--events`` through ``decide_many`` in batches of 64, keeping every run the model scored (the events
and what the model saw). Then the kept runs, ``--replay`` times each way, alternated:

* ``every``: every row explained (``explain_many``: what a decision cost before stop 22);
* ``floor_allowed``: plain scores (``prepare``), then the rows at or above the floor explained from the
  kept rows: the cost when every decision is allowed (a bank's usual mix);
* ``floor_shown_all``: plain scores, then every row explained: the cost when no decision is allowed
  (the worst case: the plain scoring on top of every explanation).

And on every row: the plain calibrated score against the explained one (equal?), and LightGBM's raw
margin (``raw_score=True``) against the sum of the row's contributions (bit-equal? largest gap).
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=1000)
    ap.add_argument("--replay", type=int, default=5)
    ap.add_argument("--floor", type=float, default=0.05)
    bench.add_payee_args(ap)
    args = ap.parse_args()
    platform, guard = bench.fresh_setup(args, "guard-explain22.db")
    from finguard.guard.model.events import parse_event

    model = guard.model
    if not hasattr(model, "prepare"):
        raise SystemExit(f"no model at {bench.MODEL} (run bench/guard/quality.py), or a checkout before stop 22")
    runs: list[list[Any]] = []
    cls = type(model)

    def keeping(items: Any) -> Any:
        runs.append(list(items))
        return cls.prepare(model, items)

    rng = random.Random(4)
    now = datetime.now(UTC)
    bench.warm_up(guard, args.warmup, now, rng)
    model.prepare = keeping  # type: ignore[method-assign]
    for s in range(0, args.events, 64):
        guard.decide_many([parse_event(bench.event_body(args.warmup + s + j, now, rng), guard.clock()) for j in range(64)])
    rows = sum(len(r) for r in runs)
    timing: dict[str, list[float]] = {"every": [], "floor_allowed": [], "floor_shown_all": []}
    load_start = bench.load()
    for _ in range(args.replay):
        c = time.thread_time()
        every = [x for r in runs for x in cls.explain_many(model, r)]
        timing["every"].append((time.thread_time() - c) / rows * 1e6)
        c = time.thread_time()
        for r in runs:
            p = cls.prepare(model, r)
            p.explain([k for k, x in enumerate(p.scores) if x is not None and x.score >= args.floor])
        timing["floor_allowed"].append((time.thread_time() - c) / rows * 1e6)
        c = time.thread_time()
        shown = []
        for r in runs:
            p = cls.prepare(model, r)
            shown += p.explain(list(range(len(r))))
        timing["floor_shown_all"].append((time.thread_time() - c) / rows * 1e6)
        assert shown == every
    plain = [x for r in runs for x in cls.prepare(model, r).scores]
    pairs = [(p, e) for p, e in zip(plain, every, strict=True) if p is not None and e is not None]
    # raw margins: LightGBM's raw score against the sum of the row's contributions
    xs = [cls.prepare(model, r).x for r in runs]
    x = np.vstack([m for m in xs if len(m)])
    booster = model._booster  # type: ignore[attr-defined]
    margin = np.asarray(booster.predict(x, raw_score=True, num_threads=1), dtype=np.float64)
    summed = np.asarray(booster.predict(x, pred_contrib=True, num_threads=1), dtype=np.float64).sum(axis=1)
    summed_py = np.asarray([float(c.sum()) for c in np.asarray(booster.predict(x, pred_contrib=True, num_threads=1))])
    out = {
        "finguard": str(Path(bench.__file__).resolve().parents[2] / "src"),
        "runs": len(runs),
        "rows": rows,
        "scored_rows": len(pairs),
        "below_floor": sum(p.score < args.floor for p, _ in pairs),
        "floor": args.floor,
        "us_a_row": {k: sorted(round(v) for v in vs) for k, vs in timing.items()},
        "scores_equal": sum(p.score == e.score for p, e in pairs),
        "margins_bit_equal": int((margin == summed_py).sum()),
        "margin_max_gap": float(np.max(np.abs(margin - summed))) if len(margin) else 0.0,
        "load": [load_start, bench.load()],
    }
    print(json.dumps(out))
    platform.close()


if __name__ == "__main__":
    main()
