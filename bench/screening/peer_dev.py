"""Issue #16, development split only: the peer's pair recall on one perturbation class at devwide.py's sizes.

    CLS=token_drop PC=1200 PYTHONHASHSEED=0 PYTHONPATH=src python bench/screening/peer_dev.py
    CLS=all PC=400 ...     # every perturbation class (devloop.py's sizes); CLS=typo,initials: those

nomenklatura LogicV1 (``run.Peer``) scores each dev query against its true entry's names (up to 8), a hit at
``heldout.PEER_THRESHOLD`` (0.7), as ``heldout.peer_eval`` does, over every query of the class rather than a sample.
The held-out split's queries are left out at their real sizes (``heldout.dev_split``). Never run it on the held-out split.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heldout as h
from run import Peer

PC = int(os.environ.get("PC", 1200))
CLS = os.environ.get("CLS", "token_drop")
base, _ = h.un_original_script(h.watchlist())
_, pert = h.dev_split(base, [], h.perturbations(base, PC, h.DEV_SEED), 400, 300)
names = {eid: d.party.names for eid, _, d in base if d.party}
peer = Peer()
for cls in sorted({x[0] for x in pert}) if CLS == "all" else CLS.split(","):
    queries = [x for x in pert if x[0] == cls]
    found = sum(max((peer.score(q, n) for n in names[eid][:8]), default=0.0) >= h.PEER_THRESHOLD for _, q, eid, _ in queries)
    print(f"peer {cls} n={len(queries)} found={found} recall={found / len(queries):.4f}")
