"""CPU time per query of the screener in this tree, over the #16 index (OFAC + UN + 80k synthetic).

Run it from two trees one after the other to compare them on the same machine and load::

    PYTHONPATH=src python bench/screening/latency_ab.py --label after
    (cd ../base && PYTHONPATH=src python /path/to/latency_ab.py --label before)

The queries are the development split's (seed 2203) queries and negatives, never the held-out
ones; the index is the held-out bench's. Prints and appends one JSON line to --out.
``--arabic``: the queries are instead the Arabic-script development stand-ins of ``arabic_dev.py``
(300 listed-person queries, the ~350 OFAC persons of ``ofac_arabic`` and 300 non-listed names), which the default
set has none of.
``--answers F``: each query's answer of the first round (entry, score, outcome, listed name), one JSON line per query,
to diff two trees' answers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as H

from finguard.screening.service import NameScreener


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--arabic", action="store_true", help="Arabic-script queries (arabic_dev.py)")
    ap.add_argument("--answers", type=Path, default=None, help="write the first round's answers here (JSON lines)")
    args = ap.parse_args()
    s, queries = H.dev_latency_set()
    if args.arabic:
        from arabic_dev import arabic_latency_queries

        queries = arabic_latency_queries()
    runs = [_latency(s, queries, args.answers if r == 0 else None) for r in range(args.rounds)]
    best = min(runs, key=lambda r: r["cpu_p99_ms"])
    line = {"label": args.label, "rounds": runs, "cpu_p50_ms": best["cpu_p50_ms"], "cpu_p99_ms": best["cpu_p99_ms"]}
    line["cpu_p999_ms"] = best["cpu_p999_ms"]
    line["load"] = list(os.getloadavg())
    print(json.dumps(line))
    if args.out:
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")


def _latency(screener: NameScreener, names: list[str], answers: Path | None = None) -> dict[str, float]:
    """:func:`heldout.latency` (wall and thread CPU per query, ms), with the CPU mean, p95 and p99.9 as well."""
    for q in names[:100]:
        screener.match(q)
    wall, cpu = [], []
    got = []
    for q in names:
        t, c = time.perf_counter(), time.thread_time()
        answer = screener.match(q)
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
        got.append((q, answer))
    if answers is not None:
        with answers.open("w", encoding="utf-8") as fh:
            for q, answer in got:
                fh.write(json.dumps([q, [(a.entry_id, a.score, a.outcome, a.matched_name) for a in answer]], ensure_ascii=False) + "\n")
    wall.sort()
    cpu.sort()
    n = len(wall)
    return {
        "n": n,
        "p50_ms": wall[n // 2],
        "p99_ms": wall[int(n * 0.99)],
        "cpu_p50_ms": cpu[n // 2],
        "cpu_p95_ms": cpu[int(n * 0.95)],
        "cpu_p99_ms": cpu[int(n * 0.99)],
        "cpu_p999_ms": cpu[min(n - 1, int(n * 0.999))],
        "cpu_mean_ms": sum(cpu) / n,
    }


if __name__ == "__main__":
    main()
