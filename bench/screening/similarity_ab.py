"""Name similarity of two trees on the same calls, in one process (issue #16, dev split only).

    PYTHONPATH=src python bench/screening/similarity_ab.py --before /path/to/main/src [--arabic] [--slowest 300]

Builds the latency benches' index (OFAC + UN + the 80k synthetic list, as ``latency_ab.py``), screens
the development split's queries (or ``--arabic``'s) once with this tree, keeping every
``name_similarity`` call the screener makes, then times those calls with this tree's
``similarity`` module and with the one under ``--before`` (loaded beside it), alternated
``--rounds`` times, each query's calls sharing one memo as ``screen`` does. Both see the same load
and the same objects, so the difference is the code's; it also checks that every answer is the
same. ``--slowest N``: only the N queries of most CPU (best of two timings). Prints JSON lines.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as H

from finguard.screening.service import ScreenQuery
from finguard.screening.service import matcher as M


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", type=Path, required=True, help="the other tree's src directory")
    ap.add_argument("--arabic", action="store_true", help="Arabic-script queries (arabic_dev.py)")
    ap.add_argument("--slowest", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    path = args.before / "finguard" / "screening" / "service" / "similarity.py"
    spec = importlib.util.spec_from_file_location("before_similarity", path)
    assert spec is not None and spec.loader is not None
    before: Any = importlib.util.module_from_spec(spec)
    sys.modules["before_similarity"] = before
    spec.loader.exec_module(before)
    s, queries = H.dev_latency_set()
    if args.arabic:
        from arabic_dev import arabic_dev, arabic_negatives

        base, _ = H.un_original_script(H.watchlist())
        _, ar_q = arabic_dev(base, 10**8, 300)
        queries = [q for _, q, _, _ in ar_q] + [q for _, q in arabic_negatives(300)]
    if args.slowest:
        cpu: dict[str, float] = {}
        for _ in range(2):
            for q in queries:
                c = time.thread_time()
                s.screen(ScreenQuery(q))
                ms = time.thread_time() - c
                cpu[q] = min(ms, cpu.get(q, ms))
        queries = sorted(queries, key=lambda q: -cpu[q])[: args.slowest]
    after = M.name_similarity
    calls: list[list[tuple[Any, Any]]] = []

    def keep(q: Any, c: Any, memo: Any = None) -> Any:
        calls[-1].append((q, c))
        return after(q, c, memo)

    M.name_similarity = keep  # type: ignore[assignment]
    for q in queries:
        calls.append([])
        try:
            s.screen(ScreenQuery(q))
        except Exception:  # an unusable name: no calls
            pass
    M.name_similarity = after
    for per_query in calls:
        m1: dict[Any, Any] = {}
        m2: dict[Any, Any] = {}
        for q, c in per_query:
            x, y = before.name_similarity(q, c, m1), after(q, c, m2)
            assert x[0] == y[0] and x[1] is y[1] and x[2] is y[2], (q, c)
    for r in range(args.rounds):
        line: dict[str, Any] = {"round": r, "queries": len(queries), "calls": sum(map(len, calls)), "arabic": args.arabic}
        for label, f in (("before", before.name_similarity), ("after", after)):
            t = time.thread_time()
            for per_query in calls:
                memo: dict[Any, Any] = {}
                for q, c in per_query:
                    f(q, c, memo)
            line[f"{label}_ms_per_query"] = round((time.thread_time() - t) * 1000 / len(queries), 4)
        print(json.dumps(line))


if __name__ == "__main__":
    main()
