"""Issue #16 (stop 27), development only: the hit rate of non-listed names of the two kinds ``blk5_dev.py`` builds.

* Arabic-script non-listed names (``arabic_dev.arabic_negatives``, Faker's Arabic and Persian pools) on a seed of
  one's own: what a new way of cutting joined words may wrongly find;
* Faker ``zh_CN`` / ``zh_TW`` company names (``联通时科信息有限公司``): Han firm names with generic words, none
  listed, what the firm key (``matcher._firm_key``) may wrongly find.

    PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/blk5_neg.py 2701 2702 2703

Index: OFAC + UN (as devloop.py's negatives). Lines ``HIT`` (kind, seed, query, first hit), then per seed and kind
the hit rate with namesakes (name similarity 1.0) apart. Seeds used so: 2701 2702 2703 (stop 27).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout as h
from arabic_dev import arabic_negatives
from run import uncached_screener

from finguard.screening.model.names import name_key
from finguard.screening.service import ScreenQuery, Thresholds


def han_firms(n: int, seed: int) -> list[str]:
    from faker import Faker

    out: list[str] = []
    for loc in ("zh_CN", "zh_TW"):
        f = Faker(loc)
        f.seed_instance(seed)
        out += [f.company() for _ in range(n // 2)]
    return out


def main() -> None:
    seeds = [int(x) for x in sys.argv[1:]] or [2701]
    base, _ = h.un_original_script(h.watchlist())
    s = uncached_screener(Thresholds())
    for eid, code, d in base:
        s.add(eid, code, d)
    listed = {name_key(n) for _, _, d in base if d.party for n in d.party.names}
    for seed in seeds:
        sets = {"arabic": [q for _loc, q in arabic_negatives(2000, seed)], "han_firm": han_firms(2000, seed)}
        for kind, names in sets.items():
            names = [q for q in dict.fromkeys(names) if name_key(q) not in listed]
            hit = same = 0
            for q in names:
                hits = s.screen(ScreenQuery(q))
                if not hits:
                    continue
                if hits[0].features[0].value >= 0.999:
                    same += 1
                    continue
                hit += 1
                print(f"HIT {kind} {seed}: {q!r} -> {hits[0].listed_name!r} {hits[0].score} {hits[0].outcome}")
            print(f"RATE {kind} seed={seed} n={len(names)} hits={hit} ({hit / len(names):.4%}) namesakes={same}")


if __name__ == "__main__":
    main()
