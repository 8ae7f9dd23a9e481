"""Every hit and candidate of the development split's queries, for comparing two trees (issue #16, dev split only).

    PYTHONHASHSEED=0 PYTHONPATH=src python bench/screening/parity_dump.py OUT.jsonl [--passes 2]
    PYTHONHASHSEED=0 PYTHONPATH=<other tree>/src python bench/screening/parity_dump.py OTHER.jsonl

The index is OFAC + UN + the 80k synthetic list + the Arabic-script stand-ins (``arabic_dev.py``); the queries the
dev perturbations and synthetic queries, the Arabic stand-ins and their 300 non-listed names, the dev negatives
(less the held-out ones) and the latency set's 3,000. One JSON line per pass: each query with its hits (entry,
listed name, score, outcome, every feature) and candidate entries. The second pass screens them in reverse order
(what is kept across queries then comes from other queries than in the first). Never the held-out split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as h
from arabic_dev import arabic_dev, arabic_negatives
from run import uncached_screener

from finguard.screening.model.names import name_key
from finguard.screening.service import ScreenQuery, Thresholds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--passes", type=int, default=1)
    args = ap.parse_args()
    base, _ = h.un_original_script(h.watchlist())
    syn, syn_q = h.synthetic(len(base) + 1, 80_000, 300, h.DEV_SEED)
    pert = h.perturbations(base, 400, h.DEV_SEED)
    syn_q, pert = h.dev_split(base, syn_q, pert, 400, 300)
    ar, ar_q = arabic_dev(base, len(base) + len(syn) + 1, 300)
    s = uncached_screener(Thresholds())
    for eid, code, d in base + syn + ar:
        s.add(eid, code, d)
    listed = {name_key(n) for _, _, d in base + syn if d.party for n in d.party.names}
    neg = h.negatives(10_000, listed, h.DEV_SEED + 7)
    held = {name_key(q) for _, q in h.negatives(10_000, listed, h.SEED + 7)}
    queries = [q for _, q, _, _ in pert + syn_q + ar_q]
    queries += [q for _, q in neg if name_key(q) not in held]
    queries += [q for _, q in arabic_negatives(300)]
    queries += h.dev_latency_set()[1]
    with args.out.open("w", encoding="utf-8") as out:
        for p in range(args.passes):
            rows = {}
            for q in queries if p % 2 == 0 else queries[::-1]:
                hits = s.screen(ScreenQuery(q), limit=20)
                features = [[(f.name, f.value, f.contribution, f.explanation) for f in x.features] for x in hits]
                found = [(x.entry_id, x.listed_name, x.score, x.outcome, f) for x, f in zip(hits, features, strict=True)]
                rows[q] = [found, sorted(s.candidate_entries(q))]
            blob = json.dumps([[q, rows[q]] for q in queries], ensure_ascii=False, default=str)
            out.write(blob + "\n")
            digest = hashlib.sha256(blob.encode()).hexdigest()[:16]
            print(f"pass {p} queries {len(queries)} distinct {len(rows)} sha {digest}", file=sys.stderr)


if __name__ == "__main__":
    main()
