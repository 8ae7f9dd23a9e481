"""Issue #16, development split only (seed 2203), wider than devloop.py: every query's outcome and score, every negative's hit.

    NN=50000 PYTHONPATH=src python bench/screening/devwide.py > wide.txt    # 47,131 dev negatives (~6 min)
    NS=1800 ONLY=romanised_japanese NEG=0 PYTHONPATH=src python bench/screening/devwide.py

``NN`` (negatives), ``NS`` (cross-script queries per script) and ``PC`` (perturbations per class)
may exceed devloop.py's sizes; the held-out split is left out at its real sizes (400 / 300 /
10,000: the same text, or the same entry and class), so a larger dev set never holds a held-out
query or negative. Lines: ``Q`` (class, query, outcome, the true entry's score, the first hit),
``C`` per class, ``FP`` / ``NS`` (a negative's fuzzy hit / namesake), ``L`` per locale, ``FPR``.
``PEER=1`` (with the negatives) also scores the first ``PEERN`` (default 5,000) negatives with the peer (nomenklatura
LogicV1, ``run.Peer``) over the same candidate pool ``heldout.peer_eval`` uses (our 20 loosest hits: a screener at
close_match ``PEERLOOSE``, default 0.5), a hit at ``heldout.PEER_THRESHOLD`` (0.7); a pair equal to ours as a whole
(our name similarity 0.999 or more) is a namesake, apart: lines ``PFP`` / ``PNS``, then ``PEERFPR`` beside ours on the
same negatives (``OURFPR``). About 20 ms of CPU per negative.
``NEGSEED`` draws the negatives on another seed (default DEV_SEED + 7; stop 22 checked with DEV_SEED + 13 = 2216),
leaving out the held-out draws' names (seed SEED + 7 and the fresh FRESH_NEG_SEED pool).
Stable from run to run (``PYTHONHASHSEED=0``): diff two trees' outputs query by query.
"""

import os
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heldout as h
from run import Peer, uncached_screener

from finguard.screening.model.names import name_key
from finguard.screening.service import ScreenQuery, Thresholds

PC, NS, NN = int(os.environ.get("PC", 400)), int(os.environ.get("NS", 300)), int(os.environ.get("NN", 10000))
base, _ = h.un_original_script(h.watchlist())
syn, syn_q = h.synthetic(len(base) + 1, 80_000, NS, h.DEV_SEED)
pert = h.perturbations(base, PC, h.DEV_SEED)
syn_q, pert = h.dev_split(base, syn_q, pert, 400, 300)  # the held-out split's real sizes
only = os.environ.get("ONLY", "")
queries = [q for q in pert + syn_q if not only or q[0] in only.split(",")]
t = time.time()
if os.environ.get("POS", "1") == "1":
    s = uncached_screener(Thresholds())
    for eid, code, d in base + syn:
        s.add(eid, code, d)
    print("built", time.time() - t, file=sys.stderr)
    stats = defaultdict(lambda: [0, 0, 0, 0])
    for cls, q, eid, listed in queries:
        hits = s.screen(ScreenQuery(q), limit=20)
        blocked = eid in s.candidate_entries(q)
        mine = [x for x in hits if x.entry_id == eid]
        found = bool(mine)
        top = found and mine[0].score >= hits[0].score
        st = stats[cls]
        st[0] += 1
        st[1] += found
        st[2] += top
        st[3] += blocked
        tag = "TOP" if top else "NOTTOP" if found else "MISS" if blocked else "NOTBLOCKED"
        sc = f"{mine[0].score} {mine[0].outcome}" if mine else "-"
        first = f"{hits[0].listed_name!r} {hits[0].score}" if hits else "-"
        print(f"Q {cls} | {q!r} -> {listed!r} | {tag} | {sc} | first {first}")
    N = sum(v[0] for v in stats.values())
    for cls, (n, f, tp, b) in sorted(stats.items()):
        print(f"C {cls:24} n={n:4} recall={f / n:.3f} top={tp / n:.3f} block={b / n:.3f}")
    print("built+pos", time.time() - t, file=sys.stderr)
if os.environ.get("NEG", "1") == "1":
    s = uncached_screener(Thresholds())
    for eid, code, d in base:
        s.add(eid, code, d)
    listed = {name_key(n) for _, _, d in base + syn if d.party for n in d.party.names}
    neg_seed = int(os.environ.get("NEGSEED", h.DEV_SEED + 7))
    neg = h.negatives(NN, listed, neg_seed)
    held = {name_key(q) for _, q in h.negatives(10_000, listed, h.SEED + 7)}
    if neg_seed != h.DEV_SEED + 7:  # another dev draw: also leave out the fresh held-out draw's pool (heldout.py)
        held |= {name_key(q) for _, q in h.negatives(30_000, listed, h.FRESH_NEG_SEED)}
    neg = [(loc, q) for loc, q in neg if name_key(q) not in held]
    by = defaultdict(lambda: [0, 0, 0])
    ours_fp: dict[str, bool] = {}
    for loc, q in neg:
        by[loc][0] += 1
        hits = s.screen(ScreenQuery(q))
        if not hits:
            continue
        same = hits[0].features[0].value >= 0.999
        ours_fp[q] = not same
        if same:
            by[loc][2] += 1
            print(f"NS {loc}: {q!r} -> {hits[0].listed_name!r} {hits[0].score}")
            continue
        by[loc][1] += 1
        feats = " ".join(f"{f.name}={f.value}/{f.contribution:+.3f}" for f in hits[0].features[1:])
        why = hits[0].features[0].explanation[-140:]
        print(f"FP {loc}: {q!r} -> {hits[0].listed_name!r} {hits[0].score} {hits[0].outcome} | {why} {feats}")
    n = len(neg)
    fp = sum(v[1] for v in by.values())
    for loc, (k, f, ns) in sorted(by.items()):
        print(f"L {loc} n={k} fp={f} ns={ns}")
    print(f"FPR {fp / max(1, n):.4%} fp={fp} n={n}")
    print("neg", time.time() - t, file=sys.stderr)
if os.environ.get("PEER") == "1" and os.environ.get("NEG", "1") == "1":
    lo = float(os.environ.get("PEERLOOSE", 0.5))
    loose = uncached_screener(Thresholds(match=lo, close_match=lo))
    drafts = {eid: d for eid, _, d in base}
    for eid, code, d in base:
        loose.add(eid, code, d)
    sample = neg[: int(os.environ.get("PEERN", 5000))]
    pfps, pnss = h.peer_negatives(Peer(), loose, drafts, sample)
    for loc, q, listed_best, best in pnss:
        print(f"PNS {loc}: {q!r} -> {listed_best!r} {best:.3f}")
    for loc, q, listed_best, best in pfps:
        print(f"PFP {loc}: {q!r} -> {listed_best!r} {best:.3f}")
    pfp, pns = len(pfps), len(pnss)
    ofp = sum(ours_fp.get(q, False) for _, q in sample)
    k = max(1, len(sample))
    print(f"PEERFPR {pfp / k:.4%} fp={pfp} ns={pns} n={len(sample)} | OURFPR {ofp / k:.4%} fp={ofp} (the same negatives)")
    print("peer", time.time() - t, file=sys.stderr)
