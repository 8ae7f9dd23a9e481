"""Issue #16 (screenblk2), development split only: the dev negatives the joined-word paths can touch.

    NN=50000 SEEDS=2210,2216 PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/fp_blockjoin.py

``fp_blockcut.py`` with another filter: only the names with a reading compared by consonant skeleton (Arabic letters,
or Latin words written without their vowels) are screened. screenblk2's changes read only those: ``_joined_apart``
(the article joined again, kh read j, the cuts of a joined word) runs on skeleton readings, and the new index keys
(zh read j, ``names.other_skeletons``) are read by skeleton lookups. Lines: ``HIT`` (seed, query, listed name, score,
outcome), then per seed the names touched and their hits (namesakes apart). Run it in both trees and compare.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout as h
from run import uncached_screener

from finguard.screening.model.names import analyse_name, name_key
from finguard.screening.service import ScreenQuery, Thresholds
from finguard.screening.service.matcher import _unknown_vowel_less


def touched(q: str, vocab: dict[str, list[int]]) -> bool:
    """A reading compared by skeleton, the query's own or the one the matcher adds (``_unknown_vowel_less``: ``Obd``)."""
    return any(v.kind == "skeleton" for v in _unknown_vowel_less(analyse_name(q).variants, vocab, q))


def main() -> None:
    nn = int(os.environ.get("NN", 50_000))
    seeds = [int(x) for x in os.environ.get("SEEDS", "2210,2216").split(",")]
    base, _ = h.un_original_script(h.watchlist())
    syn, _q = h.synthetic(len(base) + 1, 80_000, int(os.environ.get("NS", 300)), h.DEV_SEED)
    s = uncached_screener(Thresholds())
    for eid, code, d in base:
        s.add(eid, code, d)
    listed = {name_key(n) for _, _, d in base + syn if d.party for n in d.party.names}
    held = {name_key(q) for _, q in h.negatives(10_000, listed, h.SEED + 7)}
    fresh = {name_key(q) for _, q in h.negatives(30_000, listed, h.FRESH_NEG_SEED)}
    for seed in seeds:
        skip = held | (fresh if seed != h.DEV_SEED + 7 else set())
        neg = [(loc, q) for loc, q in h.negatives(nn, listed, seed) if name_key(q) not in skip]
        some = [(loc, q) for loc, q in neg if touched(q, s._ix.vocab)]
        fp = ns = 0
        for loc, q in some:
            hits = s.screen(ScreenQuery(q))
            if not hits:
                continue
            same = hits[0].features[0].value >= 0.999
            ns += same
            fp += not same
            print(f"HIT {seed} {loc}: {q!r} -> {hits[0].listed_name!r} {hits[0].score} {hits[0].outcome} namesake={same}")
        print(f"SEED {seed} n={len(neg)} touched={len(some)} fp={fp} ns={ns}", flush=True)


if __name__ == "__main__":
    main()
