"""CPU per query with and without what the screener keeps across queries, in one process (issue #16, dev split only).

    PYTHONHASHSEED=0 PYTHONPATH=src python bench/screening/kept_ab.py

Same index and queries as ``latency_ab.py`` (OFAC + UN + 80k; the development split's 3,000 latency queries, never
the held-out ones). After 100 warm-up queries, each query is screened once with the kept reads and readings
(``NameScreener._kept``, ``scripts._japanese``, ``scripts._given_name_readings``) and once computing them, in a
random order per query: both see the same load. A query is seen once, so what is kept is only what earlier,
different queries read (a name repeated is answered by ``match``'s kept answers, which ``uncached_screener`` turns off).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as H

from finguard.screening.model import scripts as sc


def main() -> None:
    s, queries = H.dev_latency_set()
    cached_j, cached_g = sc._japanese, sc._given_name_readings

    def mode(kept: bool) -> None:
        if kept:
            s.__dict__.pop("_kept", None)
            sc._japanese, sc._given_name_readings = cached_j, cached_g  # type: ignore[misc]
        else:
            s._kept = lambda: None  # type: ignore[method-assign]
            sc._japanese, sc._given_name_readings = cached_j.__wrapped__, cached_g.__wrapped__  # type: ignore[misc]

    for q in queries[:100]:
        s.match(q)
    rng = random.Random(5)
    res: dict[bool, list[float]] = {True: [], False: []}
    for q in queries:
        order = [True, False]
        rng.shuffle(order)
        for kept in order:
            mode(kept)
            c = time.thread_time()
            s.match(q)
            res[kept].append((time.thread_time() - c) * 1000)
    mode(True)
    out: dict[str, object] = {"load": os.getloadavg()}
    for kept, xs in res.items():
        ys = sorted(xs)
        n = len(ys)
        out["kept" if kept else "computed"] = {
            "p50": ys[n // 2],
            "p95": ys[int(n * 0.95)],
            "p99": ys[int(n * 0.99)],
            "mean": sum(ys) / n,
        }
    slow = sorted(range(len(queries)), key=lambda i: -res[False][i])[:30]
    out["slowest30_computed_sum"] = sum(res[False][i] for i in slow)
    out["slowest30_kept_sum"] = sum(res[True][i] for i in slow)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
