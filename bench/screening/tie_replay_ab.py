"""CPU of two versions of ``matcher._tie_order`` on the same recorded calls, in one process (issue #16, dev split only).

    PYTHONHASHSEED=0 PYTHONPATH=src python bench/screening/tie_replay_ab.py OLD/matcher.py NEW/matcher.py

As ``replay_ab.py`` does for ``name_similarity``: screens the dev latency set's queries once with this tree
(``heldout.dev_latency_set``: OFAC + UN + 80k, never the held-out split), takes the 1 % slowest and 300 others, and
records every ``_tie_order`` call they make (the index built by this tree: a version that reads what an older one
did not keep cannot be the OLD one). Then replays the calls through both files' ``_tie_order``, seven times with the
order alternated, asserts equal answers and prints each side's CPU.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as H
from replay_ab import _load, slowest_share

from finguard.screening.service import matcher as M


def main() -> None:
    old, new = _load(sys.argv[1], "matcher_old"), _load(sys.argv[2], "matcher_new")
    s, queries = H.dev_latency_set()
    slow = set(slowest_share(s, queries))
    calls: list[tuple[bool, tuple[Any, ...]]] = []
    orig = M._tie_order
    current = [False]

    def record(*args: Any) -> Any:
        ix, pool, weight, spelled, initials = args
        calls.append((current[0], (ix, list(pool), dict(weight), spelled, set(initials))))
        return orig(*args)

    M._tie_order = record
    for q in [*slow, *random.Random(5).sample(queries, 300)]:
        current[0] = q in slow
        s.screen(M.ScreenQuery(q))
    M._tie_order = orig
    sets = {"slowest 1 %": [a for in_slow, a in calls if in_slow], "all recorded": [a for _, a in calls]}
    times: dict[tuple[str, str], list[float]] = {}
    for r in range(7):
        answers: dict[str, list[list[int]]] = {}
        for label, mod in [("old", old), ("new", new)][:: 1 if r % 2 == 0 else -1]:
            for name, args in sets.items():
                t = time.thread_time()
                out = [mod._tie_order(*a) for a in args]
                times.setdefault((label, name), []).append(time.thread_time() - t)
                answers[label] = out
        assert answers["old"] == answers["new"], "the two versions answer differently"
    for (label, name), ts in sorted(times.items()):
        ts.sort()
        print(f"{label} {name}: min {ts[0] * 1000:.1f} ms, median {ts[len(ts) // 2] * 1000:.1f} ms")
    print("calls", len(calls), "of the slowest", len(sets["slowest 1 %"]), "names", sum(len(a[1]) for _, a in calls))


if __name__ == "__main__":
    main()
