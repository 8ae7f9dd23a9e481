"""Issue #19, stop 22: the model's part of one event's decision, base / main / branch ways, in one process.

    PYTHONPATH=src:<faker> python bench/guard/single_row22.py [--mix bench|bank] [--events 1500] [--rows 600]

Decides ``--events`` of ``mix.py``'s events (``--mix``) in the bench's set-up, keeping what
the model was given (event, features), then times on ``--rows`` of them, alternated, 3 rounds (thread
CPU µs an event, sorted): ``explain`` through ``predict`` (the base: contributions at once), a plain
score then the contributions from the kept row through ``predict`` (main), the same through LightGBM's
single-row path (branch), and the plain score alone both ways.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench
from mix import Events


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mix", choices=["bench", "bank"], default="bench")
    ap.add_argument("--events", type=int, default=1500)
    ap.add_argument("--rows", type=int, default=600)
    bench.add_payee_args(ap)
    args = ap.parse_args()
    platform, guard = bench.fresh_setup(args, "guard-single-row.db")
    from finguard.guard.service import model as m

    items: list[Any] = []
    prepare, explain = m.LightGBMScorer.prepare, m.LightGBMScorer.explain

    def kept_prepare(self: Any, its: Any) -> Any:
        items.extend(its)
        return prepare(self, its)

    def kept_explain(self: Any, event: Any, features: Any) -> Any:
        items.append((event, features))
        return explain(self, event, features)

    m.LightGBMScorer.prepare, m.LightGBMScorer.explain = kept_prepare, kept_explain  # type: ignore[method-assign]
    events = Events(args.mix, 0.015, datetime.now(UTC), random.Random(4), args.events)
    events.history(guard)
    items.clear()
    for i in range(args.events):
        guard.decide_raw(events.body(i))
    m.LightGBMScorer.prepare, m.LightGBMScorer.explain = prepare, explain  # type: ignore[method-assign]
    platform.close()
    rows = items[: args.rows]
    fast = m.LightGBMScorer(bench.MODEL)
    plain = m.LightGBMScorer(bench.MODEL)
    plain._raw_one = plain._contrib_one = None  # predict() only
    ways = {
        "base: explain (predict, contributions)": lambda it: plain.explain(*it),
        "main: plain score, then contributions from the kept row": lambda it: plain.prepare([it]).explain([0]),
        "branch: the same through the single-row path": lambda it: fast.prepare([it]).explain([0]),
        "main: plain score only": lambda it: plain.prepare([it]),
        "branch: plain score only": lambda it: fast.prepare([it]),
    }
    spent: dict[str, list[int]] = {k: [] for k in ways}
    for r in range(3):
        for name, way in ways.items() if r % 2 == 0 else reversed(list(ways.items())):
            c = time.thread_time()
            for it in rows:
                way(it)
            spent[name].append(round((time.thread_time() - c) / len(rows) * 1e6))
    print(f"{args.mix}: {len(rows)} events, thread CPU µs an event, load {os.getloadavg()}")
    for name, v in spent.items():
        print(f"| {name} | {' / '.join(map(str, sorted(v)))} |")


if __name__ == "__main__":
    main()
