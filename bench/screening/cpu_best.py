"""CPU per query, each query's best of ``--rounds`` timings: mean, p50, p95, p99 (issue #16, dev split only).

    PYTHONPATH=src python bench/screening/cpu_best.py --label after

Same index and queries as ``latency_ab.py`` (OFAC + UN + the 80k synthetic list; the development
split's queries and negatives, never the held-out ones). Taking each query's best timing leaves
out most of what other processes on a shared machine add; run two trees at the same time to
compare them. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as H


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    s, queries = H.dev_latency_set()
    for q in queries[:100]:
        s.match(q)
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for q in queries:
            c = time.thread_time()
            s.match(q)
            ms = (time.thread_time() - c) * 1000
            best[q] = min(ms, best.get(q, ms))
    t = sorted(best.values())
    n = len(t)
    out = {"label": args.label, "n": n, "cpu_mean_ms": round(statistics.fmean(t), 3)}
    out.update({f"cpu_p{p}_ms": round(t[int(n * p / 100)], 2) for p in (50, 95, 99)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
