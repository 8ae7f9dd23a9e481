"""Issue #16, development split only: what a few Arabic-script dev queries reach (the index of ``arabic_notblocked.py``).

    PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/arabic_probe.py 'أو أو خيني' ...

Per query: the entries reaching scoring, whether the listed names of ``arabic_notblocked.py``'s dev rows for that query
are among them, and the best hits as scored. Never run on the held-out split.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from arabic_notblocked import dev_arabic_index

s, rows = dev_arabic_index()
truth = {v: (eid, listed) for _cls, v, eid, listed in rows}
for q in sys.argv[1:]:
    c = s.candidate_entries(q)
    eid, listed = truth.get(q, (None, None))
    print(f"{q!r} -> {listed!r}: ncand={len(c)} blocked={eid in c}")
    for hit in s.match(q)[:3]:
        print("    ", hit)
