"""The slowest screening queries by CPU time, and where their time goes (issue #16, dev split only).

    PYTHONPATH=src python bench/screening/slowest.py [--top 30] [--profile 60]

Same index and queries as ``latency_ab.py`` (OFAC + UN + the 80k synthetic list; the development
split's queries and negatives, seed 2203, never the held-out ones). Prints the ``--top`` slowest
queries (best of two timings each), then a cProfile of the ``--profile`` slowest, each run 5 times.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as H


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--profile", type=int, default=60)
    ap.add_argument("--sort", default="cumulative")
    args = ap.parse_args()
    s, queries = H.dev_latency_set()
    for q in queries[:100]:
        s.match(q)
    cpu = H.best_cpu_ms(s, queries)
    ranked = sorted(cpu.items(), key=lambda kv: -kv[1])
    times = sorted(cpu.values())
    n = len(times)
    print(f"{n} queries: CPU p50 {times[n // 2]:.2f} p90 {times[int(n * 0.9)]:.2f} p99 {times[int(n * 0.99)]:.2f} ms (best of 2 each)")
    for q, ms in ranked[: args.top]:
        print(f"{ms:8.2f} ms  {q}")
    slow = [q for q, _ in ranked[: args.profile]]
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(5):
        for q in slow:
            s.match(q)
    prof.disable()
    pstats.Stats(prof).sort_stats(args.sort).print_stats(40)


if __name__ == "__main__":
    main()
