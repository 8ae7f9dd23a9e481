"""Issue #16 (screenblk), development split only: the dev negatives the article-cut and Arabic-article paths can touch.

    NN=50000 SEEDS=2210,2216,2240 PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/fp_blockcut.py

``devwide.py``'s negatives (``NN`` a seed, ``NEGSEED`` there; the held-out pools left out as it does) against the same
index (OFAC + UN, original-script UN names dropped). Only the names one of the new paths applies to are screened: a
Latin reading with the article (al, el, ul) before a word of 2-3 letters (``matcher._near_whole``'s article cut), or
Arabic letters with ``عبد ال``, ``عبدل`` or a word opening ``أل`` (``scripts.arabic_prepare``,
``arabic_hamza_article``). Every other name's candidates and scores are the same in both trees (their index differs
only in the new keys, which only these paths read). Lines: ``HIT`` (seed, query, listed name, score, outcome), then
per seed the names touched and their hits (namesakes, similarity >= 0.999, apart). Run it in both trees and compare.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout as h
from run import uncached_screener

from finguard.screening.model.names import analyse_name, name_key
from finguard.screening.service import NameScreener, ScreenQuery, Thresholds

_ARABIC = re.compile(r"(?<!\S)عبد\s+ال|(?<!\S)عبدل|(?<!\S)أل")
_ARTICLES = {"al", "el", "ul"}


def touched(q: str) -> bool:
    if _ARABIC.search(q):
        return True
    for v in analyse_name(q).variants:
        if v.kind == "latin" and any(a in _ARTICLES and 2 <= len(b) <= 3 for a, b in zip(v.tokens, v.tokens[1:], strict=False)):
            return True
    return False


def main(pick: Callable[[str, NameScreener], bool] = lambda q, _s: touched(q), seeds_default: str = "2210,2216,2240") -> None:
    """Screen the dev negatives ``pick`` picks (a name, the OFAC + UN screener), print ``HIT`` and ``SEED`` lines
    (``fp_blockjoin.py`` calls it with its own filter)."""
    nn = int(os.environ.get("NN", 50_000))
    seeds = [int(x) for x in os.environ.get("SEEDS", seeds_default).split(",")]
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
        some = [(loc, q) for loc, q in neg if pick(q, s)]
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
