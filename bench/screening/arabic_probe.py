"""Issue #16, development split only: what a few Arabic-script dev queries reach (the index of ``arabic_notblocked.py``).

    PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/arabic_probe.py 'أو أو خيني' ...

Per query: the entries reaching scoring, whether the listed names of ``arabic_notblocked.py``'s dev rows for that query
are among them, and the best hits as scored. Never run on the held-out split.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout as h
from arabic_dev import arabic_dev, ofac_arabic
from arabic_dev2 import phonetic_dev
from arabic_variants import variants
from run import uncached_screener

from finguard.screening.service import Thresholds

base, _ = h.un_original_script(h.watchlist())
syn, _q = h.synthetic(len(base) + 1, 80_000, 0, h.DEV_SEED)
ar, ar_q = arabic_dev(base, len(base) + len(syn) + 1, 300)
originals = ar_q + ofac_arabic(base) + phonetic_dev(base, 300)
s = uncached_screener(Thresholds())
for eid, code, d in base + syn + ar:
    s.add(eid, code, d)
rows = originals + variants(originals)
truth = {v: (eid, listed) for _cls, v, eid, listed in rows}
for q in sys.argv[1:]:
    c = s.candidate_entries(q)
    eid, listed = truth.get(q, (None, None))
    print(f"{q!r} -> {listed!r}: ncand={len(c)} blocked={eid in c}")
    for hit in s.match(q)[:3]:
        print("    ", hit)
