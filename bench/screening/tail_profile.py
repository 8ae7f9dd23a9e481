"""cProfile of the p99 tail only: the slowest queries of the latency set (issue #16, dev split only).

    PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/tail_profile.py [--arabic] [--tail 0.01]

Same index and queries as ``inproc_ab.py`` (OFAC + UN + the 80k synthetic list; ``--arabic``: its Arabic-script set).
Every query is timed (thread CPU, best of two warm rounds); the slowest ``--tail`` share is profiled (5 runs each) and
the profile printed by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from typing import Any

import heldout as H


def slowest(arabic: bool, tail: float) -> tuple[Any, list[str], dict[str, float], list[str]]:
    """The dev latency index and queries (``--arabic``: the Arabic latency set), each query's best CPU ms of two
    passes after one warm pass, and the slowest ``tail`` share of them, slowest first (shared with score_split.py)."""
    s, queries = H.dev_latency_set()
    if arabic:
        from arabic_dev import arabic_latency_queries

        queries = arabic_latency_queries()
    for q in queries:
        s.match(q)
    cpu = H.best_cpu_ms(s, queries)
    ranked = sorted(cpu.items(), key=lambda kv: -kv[1])
    return s, queries, cpu, [q for q, _ in ranked[: max(1, int(len(cpu) * tail))]]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arabic", action="store_true")
    ap.add_argument("--tail", type=float, default=0.01)
    ap.add_argument("--lines", type=int, default=35)
    args = ap.parse_args()
    s, _queries, cpu, slow = slowest(args.arabic, args.tail)
    times = sorted(cpu.values())
    n = len(times)
    print(f"{n} queries: CPU p50 {times[n // 2]:.2f} p99 {times[int(n * 0.99)]:.2f} mean {sum(times) / n:.2f} ms (best of 2)")
    for q in slow:
        print(f"{cpu[q]:8.2f} ms  {q}")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(5):
        for q in slow:
            s.match(q)
    prof.disable()
    for key in ("tottime", "cumulative"):
        pstats.Stats(prof).sort_stats(key).print_stats(args.lines)


if __name__ == "__main__":
    main()
