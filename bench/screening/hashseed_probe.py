"""Answers that depend on PYTHONHASHSEED (issue #16, dev split only): run twice with different seeds, compare.

    PYTHONHASHSEED=1 PYTHONPATH=src:/tmp/screen_extra python bench/screening/hashseed_probe.py OUT1.json [--synthetic]
    PYTHONHASHSEED=2 PYTHONPATH=src:/tmp/screen_extra python bench/screening/hashseed_probe.py OUT2.json --compare OUT1.json

The index is OFAC + UN (``--synthetic``: and the 80k synthetic list, which needs PyICU); the queries the development
split's perturbations (seed 2203) and 2,000 dev negatives, each with its hits (entry, listed name, score, outcome,
features) and its candidate entries (sorted). ``--compare``: how many queries answer differently, and the first few.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as h
from run import uncached_screener, watchlist

from finguard.screening.service import ScreenQuery, Thresholds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--compare", type=Path, default=None)
    args = ap.parse_args()
    base = watchlist()
    entries = list(base)
    queries: list[str] = []
    if args.synthetic:
        base, _ = h.un_original_script(base)
        syn, syn_q = h.synthetic(len(base) + 1, 80_000, 300, h.DEV_SEED)
        entries = base + syn
        queries += [q for _, q, _, _ in syn_q]
    queries += [q for _, q, _, _ in h.perturbations(base, 400, h.DEV_SEED)]
    queries += [q for _, q in h.negatives(2000, set(), h.DEV_SEED + 7)]
    s = uncached_screener(Thresholds())
    for eid, code, d in entries:
        s.add(eid, code, d)
    rows = {}
    for q in queries:
        hits = s.screen(ScreenQuery(q), limit=20)
        found = [
            [x.entry_id, x.listed_name, x.score, x.outcome, [[f.name, f.value, f.contribution, f.explanation] for f in x.features]]
            for x in hits
        ]
        rows[q] = [found, sorted(s.candidate_entries(q))]
    args.out.write_text(json.dumps(rows, ensure_ascii=False, default=str))
    print(f"queries {len(queries)} distinct {len(rows)}", file=sys.stderr)
    if args.compare:
        other = json.loads(args.compare.read_text())
        mine = json.loads(args.out.read_text())
        differ = [q for q in mine if mine[q] != other.get(q)]
        hits_differ = [q for q in differ if mine[q][0] != other.get(q, [None])[0]]
        line = {"queries": len(mine), "differ": len(differ), "hits_differ": len(hits_differ), "first": differ[:15]}
        print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
