"""Issue #16, development split only: queries whose true entry scores a hit alone but is not among the index's hits.

    PC=2000 NS=1000 PYTHONHASHSEED=0 PYTHONPATH=src python bench/screening/lost_candidates.py > lost.txt

devloop.py's sets at blocking_wide.py's sizes (``PC`` perturbations a class, ``NS`` cross-script queries a script, with
``arabic_dev.py``'s; ``ONLY`` keeps some classes). For each query whose true entry is not among its hits (limit 20)
in the full index (OFAC + UN + the 80k synthetic list), the entry is screened alone (a screener holding only it: the
*lone pair*). A lone-pair score at or above close_match that the full index does not return is a candidate lost to
the index's other names. Lines: ``LOST`` (the class, why: ``notblocked``, it never reached scoring, ``scored``, it
did but scored lower there, ``limit``, it scored a hit below 20 others; the lone score, the query, the listed name),
then the count per class. Never run it on the held-out split.
"""

import os
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heldout as h
from arabic_dev import arabic_dev, ofac_arabic
from run import uncached_screener

from finguard.core.errors import InvalidInput
from finguard.screening.service import ScreenQuery, Thresholds

LIMIT = 20
per_class, n_script = int(os.environ.get("PC", 2000)), int(os.environ.get("NS", 1000))
base, _ = h.un_original_script(h.watchlist())
syn, syn_q = h.synthetic(len(base) + 1, 80_000, n_script, h.DEV_SEED)
pert = h.perturbations(base, per_class, h.DEV_SEED)
syn_q, pert = h.dev_split(base, syn_q, pert, 400, 300)
ar, ar_q = arabic_dev(base, len(base) + len(syn) + 1, int(os.environ.get("NA", 300)))
syn, syn_q = syn + ar, syn_q + ar_q + ofac_arabic(base)
only = os.environ.get("ONLY", "")
queries = [q for q in pert + syn_q if not only or q[0] in only.split(",")]
thresholds = Thresholds()
t = time.time()
s = uncached_screener(thresholds)
entries = {}
for eid, code, d in base + syn:
    s.add(eid, code, d)
    entries[eid] = (code, d)
print("built", time.time() - t, file=sys.stderr)
stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
t = time.process_time()
for cls, q, eid, listed in queries:
    st = stats[cls]
    st[0] += 1
    try:
        hits = s.screen(ScreenQuery(q), limit=LIMIT)
    except InvalidInput:
        continue
    if any(x.entry_id == eid for x in hits):
        continue
    lone = uncached_screener(thresholds)
    lone.add(eid, *entries[eid])
    alone = lone.screen(ScreenQuery(q), limit=1)
    if not alone or alone[0].score < thresholds.close_match:
        continue
    if eid not in s.candidate_entries(q):
        why, k = "notblocked", 2
    elif len(s.screen(ScreenQuery(q), limit=10_000)) > LIMIT and any(x.entry_id == eid for x in s.screen(ScreenQuery(q), limit=10_000)):
        why, k = "limit", 4
    else:
        why, k = "scored", 3
    st[1] += 1
    st[k] += 1
    print(f"LOST {cls} {why} lone={alone[0].score}: {q!r} -> {listed!r}")
print("cpu", time.process_time() - t, file=sys.stderr)
for cls, (n, lost, nb, sc, lim) in sorted(stats.items()):
    print(f"{cls:24} n={n:5} lost={lost:3} notblocked={nb:3} scored={sc:3} limit={lim:3}")
print("ALL lost", sum(v[1] for v in stats.values()), "of", sum(v[0] for v in stats.values()))
