"""Fast loop for tuning the screening false-positive rate: watch-list recall and non-listed FPR only.

.venv/bin/python bench/screening/iterate.py [--per-kind 500] [--negatives 10000] [--chinese]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run

from finguard.screening.model.names import name_key
from finguard.screening.service import ScreenQuery, Thresholds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-kind", type=int, default=500)
    ap.add_argument("--negatives", type=int, default=10_000)
    ap.add_argument("--chinese", action="store_true")
    ap.add_argument("--show", type=int, default=40)
    ap.add_argument("--show-misses", type=int, default=5)
    args = ap.parse_args()
    entries = run.watchlist()
    screener = run.build(entries, Thresholds())
    t = time.perf_counter()
    stats = run.recall(screener, run.perturbations(entries, args.per_kind))
    for k, v in stats.items():
        print(f"{k:16} {v['recall']:.3f}  {v['misses'][: int(args.show_misses)]}")
    print(f"pooled recall {run.pooled(stats):.4f}  ({time.perf_counter() - t:.1f}s)")
    if args.chinese:
        zh_entries, zh_queries = run.chinese_sets(len(entries) + 1, 600, 200)
        for eid, code, draft in zh_entries:
            screener.add(eid, code, draft)
        zs = run.recall(screener, zh_queries)
        print(f"chinese pooled recall {run.pooled(zs):.4f}")
        for eid, _, _ in zh_entries:
            screener.remove(eid)
    listed = {name_key(nm) for _, _, d in entries if d.party for nm in d.party.names}
    negs = run.non_listed(args.negatives, listed)
    fp = fuzzy = 0
    shown = 0
    for kind, qn in negs:
        hits = screener.screen(ScreenQuery(qn))
        if hits:
            fp += 1
            exact = hits[0].features[0].value >= 0.999
            fuzzy += not exact
            if not exact and shown < args.show:
                shown += 1
                feats = " ".join(f"{f.name}={f.value}/{f.contribution:+.3f}" for f in hits[0].features)
                print(f"  FP {kind}: {qn} -> {hits[0].listed_name} ({hits[0].score}) {feats}")
    print(f"FPR {fp / len(negs):.4%}  excl. exact namesakes {fuzzy / len(negs):.4%}  (n={len(negs)})")


if __name__ == "__main__":
    main()
