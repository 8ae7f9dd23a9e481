"""CPU per query of this tree's ``matcher.py`` against a base tree's, in one process, query by query (issue #16, dev only).

    PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/inproc_ab.py --base ../base [--arabic]

Separate processes (``latency_ab.py``) on a shared, loaded machine differ by more than a small change does: this loads
the base tree's ``finguard/screening/service/matcher.py`` beside this one's, builds one index (the ``latency_ab.py``
set), and for every query times ``match`` with this tree's functions and with the base's (``--swap``: the functions
swapped, ``NameScreener._ranked`` or a module-level name), both warm (one round first), the order alternated per query,
for ``--rounds`` rounds. Both read the same kept reads (``_Kept``), so this measures the swapped code, not the index
reading. Compiled modules (similarity, names, scripts) are this tree's for both. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as H

import finguard.screening.service.matcher as M


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=Path, required=True, help="the base tree (its src/finguard/screening/service/matcher.py)")
    ap.add_argument("--swap", default="NameScreener._ranked,_rarity", help="comma-separated functions to swap")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--arabic", action="store_true")
    args = ap.parse_args()
    path = args.base / "src/finguard/screening/service/matcher.py"
    spec = importlib.util.spec_from_file_location("base_matcher", path)
    assert spec is not None and spec.loader is not None
    base = importlib.util.module_from_spec(spec)
    sys.modules["base_matcher"] = base
    spec.loader.exec_module(base)
    names = [n.strip() for n in args.swap.split(",") if n.strip()]

    def pick(module: Any) -> list[tuple[Any, str, Any]]:
        out = []
        for name in names:
            owner_name, _, attr = name.rpartition(".")
            owner = getattr(M, owner_name) if owner_name else M
            source = getattr(module, owner_name) if owner_name else module
            out.append((owner, attr, inspect.getattr_static(source, attr)))  # a staticmethod stays one when set back
        return out

    mine, theirs = pick(M), pick(base)

    def use(chosen: list[tuple[Any, str, Any]]) -> None:
        for owner, attr, fn in chosen:
            setattr(owner, attr, fn)

    s, queries = H.dev_latency_set()
    if args.arabic:
        from arabic_dev import arabic_dev, arabic_negatives, ofac_arabic

        listed, _ = H.un_original_script(H.watchlist())
        _, ar_q = arabic_dev(listed, 10**8, 300)
        queries = [q for _, q, _, _ in ar_q + ofac_arabic(listed)] + [q for _, q in arabic_negatives(300)]
    use(mine)
    for q in queries:
        s.match(q)
    times: dict[str, list[float]] = {"base": [], "branch": []}
    for rnd in range(args.rounds):
        for i, q in enumerate(queries):
            order = (("base", theirs), ("branch", mine)) if (i + rnd) % 2 else (("branch", mine), ("base", theirs))
            for label, chosen in order:
                use(chosen)
                c = time.thread_time()
                s.match(q)
                times[label].append((time.thread_time() - c) * 1000)
    use(mine)
    line: dict[str, Any] = {"set": "arabic" if args.arabic else "default", "queries": len(queries), "rounds": args.rounds, "swap": names}
    for label, ts in times.items():
        ts.sort()
        n = len(ts)
        line[label] = {"cpu_p50_ms": ts[n // 2], "cpu_p99_ms": ts[int(n * 0.99)], "cpu_p999_ms": ts[int(n * 0.999)]}
        line[label]["cpu_mean_ms"] = sum(ts) / n
    line["load"] = list(os.getloadavg())
    print(json.dumps(line))


if __name__ == "__main__":
    main()
