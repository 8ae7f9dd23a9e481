"""CPU of ``NameScreener._expand`` (a query word's indexed neighbours), this tree's against a base tree's, in one process.

    PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/expand_ab.py --base ../base [--rounds 5]

One index (OFAC + UN, built by this tree), the words of the development split's perturbations (seed 2203) and 2,000 dev
negatives as the screener prepares them; each word expanded by both functions, the order alternated per word and
round (what screenlat3's ordered delete keys and sorted nickname partners cost; the kept expansions make it once per
word and generation in service). Also checks both give the same neighbours with the same similarities.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as h
from run import uncached_screener, watchlist

import finguard.screening.service.matcher as M
from finguard.screening.model.names import analyse_name
from finguard.screening.service import Thresholds
from finguard.screening.service.similarity import prepare


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    spec = importlib.util.spec_from_file_location("base_matcher", args.base / "src/finguard/screening/service/matcher.py")
    assert spec is not None and spec.loader is not None
    base = importlib.util.module_from_spec(spec)
    sys.modules["base_matcher"] = base
    spec.loader.exec_module(base)
    entries = watchlist()
    s = uncached_screener(Thresholds())
    for eid, code, d in entries:
        s.add(eid, code, d)
    ix = s._ix
    queries = [q for _, q, _, _ in h.perturbations(entries, 400, h.DEV_SEED)] + [q for _, q in h.negatives(2000, set(), h.DEV_SEED + 7)]
    words: dict[tuple[str, str], None] = {}
    for q in queries:
        form = analyse_name(q)
        for p in prepare(form.variants) if form.usable else []:
            for t in p.tokens:
                words[(t, "skeleton" if p.kind == "skeleton" else "")] = None
    pairs = list(words)
    mine, theirs = M.NameScreener._expand, base.NameScreener._expand
    same = all(mine(ix, t, a) == theirs(ix, t, a) for t, a in pairs)
    cpu = {"base": 0.0, "branch": 0.0}
    for rnd in range(args.rounds):
        for i, (t, a) in enumerate(pairs):
            order = (("base", theirs), ("branch", mine)) if (i + rnd) % 2 else (("branch", mine), ("base", theirs))
            for label, fn in order:
                c = time.thread_time()
                fn(ix, t, a)
                cpu[label] += time.thread_time() - c
    calls = len(pairs) * args.rounds
    line = {"words": len(pairs), "rounds": args.rounds, "same_neighbours": same, "load": list(os.getloadavg())}
    line.update({f"{k}_us_per_word": round(v / calls * 1e6, 2) for k, v in cpu.items()})
    print(json.dumps(line))


if __name__ == "__main__":
    main()
