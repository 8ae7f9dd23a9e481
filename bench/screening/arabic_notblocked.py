"""Issue #16, development split only: every Arabic-script dev query not blocked, originals and variants alike.

    PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/arabic_notblocked.py > nb.txt

``arabic_variants.py`` prints only the variants lost whose original is blocked; this prints every query (the dev
stand-ins of ``arabic_dev.py``, ``ofac_arabic``, ``arabic_dev2.phonetic_dev`` and all their ``arabic_variants``
rewrites) whose true entry is not among ``candidate_entries``: ``NOTBLOCKED`` (class, query, listed name, entries
reaching scoring), then the totals and the mean entries reaching scoring. Never run on the held-out split.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from arabic_variants import dev_arabic_originals, variants

from finguard.screening.service import NameScreener


def dev_arabic_index() -> tuple[NameScreener, list[tuple[str, str, int, str]]]:
    """OFAC + UN + the 80k synthetic list + the Arabic dev stand-ins, and every Arabic-script dev query (originals and
    their variants) as (class, query, true entry id, listed name)."""
    s, originals = dev_arabic_originals()
    return s, originals + variants(originals)


def main() -> None:
    s, rows = dev_arabic_index()
    n = b = nc = 0
    t = time.process_time()
    for cls, v, eid, _listed in rows:
        c = s.candidate_entries(v)
        n += 1
        nc += len(c)
        if eid in c:
            b += 1
        else:
            print(f"NOTBLOCKED {cls}: {v!r} -> {_listed!r} ncand={len(c)}")
    print(f"n={n} block={b / n:.4f} notblocked={n - b} meancand={nc / n:.1f} cpu={time.process_time() - t:.1f}")


if __name__ == "__main__":
    main()
