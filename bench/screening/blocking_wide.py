"""Issue #16, development split only: blocking recall alone (``NameScreener.candidate_entries``), no scoring, no negatives.

    PC=2000 NS=1000 PYTHONHASHSEED=0 PYTHONPATH=src python bench/screening/blocking_wide.py > wide.txt   # ~1 min of CPU

devloop.py's sets (with ``arabic_dev.py``'s), ``PC`` perturbations a class and ``NS`` cross-script queries a script,
made disjoint from the held-out split at its real sizes (400 / 300), as ``devwide.py`` does; ``ONLY`` keeps some
classes. Lines: ``NOTBLOCKED`` (the query, the listed name, how many entries reached scoring), then per class the
blocking recall and the mean number of candidate entries. Never run it on the held-out split.
"""

import os
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heldout as h
from arabic_dev import arabic_dev, ofac_arabic
from run import uncached_screener

from finguard.screening.service import Thresholds

per_class, n_script = int(os.environ.get("PC", 400)), int(os.environ.get("NS", 300))
base, _ = h.un_original_script(h.watchlist())
syn, syn_q = h.synthetic(len(base) + 1, 80_000, n_script, h.DEV_SEED)
pert = h.perturbations(base, per_class, h.DEV_SEED)
syn_q, pert = h.dev_split(base, syn_q, pert, 400, 300)

ar, ar_q = arabic_dev(base, len(base) + len(syn) + 1, int(os.environ.get("NA", 300)))
syn, syn_q = syn + ar, syn_q + ar_q + ofac_arabic(base)
queries = [q for q in pert + syn_q if not os.environ.get("ONLY") or q[0] in os.environ["ONLY"].split(",")]
t = time.time()
s = uncached_screener(Thresholds())
for eid, code, d in base + syn:
    s.add(eid, code, d)
print("built", time.time() - t, file=sys.stderr)
stats = defaultdict(lambda: [0, 0, 0])
t = time.process_time()
for cls, q, eid, listed in queries:
    c = s.candidate_entries(q)
    b = eid in c
    st = stats[cls]
    st[0] += 1
    st[1] += b
    st[2] += len(c)
    if not b:
        print(f"NOTBLOCKED {cls}: {q!r} -> {listed!r} ncand={len(c)}")
print("cpu", time.process_time() - t, file=sys.stderr)
for cls, (n, b, nc) in sorted(stats.items()):
    print(f"{cls:24} n={n:4} block={b / n:.3f} meancand={nc / n:.1f}")
