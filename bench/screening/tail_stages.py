"""Where the slowest queries spend their CPU, per stage, in a first (cold) and a second round (issue #16, dev split only).

    PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/tail_stages.py [--arabic]

Same index and queries as ``latency_ab.py`` (OFAC + UN + the 80k synthetic list; ``--arabic``: its Arabic-script set).
Wraps the matcher's stages (analysis, prepare, candidate gathering and inside it ``_read_group``, ``_evidence``,
``_confirm``, ``_tie_order``; scoring) with thread-CPU timers, runs two rounds, and prints the stage totals of each
round's slowest 2 % and of all queries, then the 30 slowest of round 1 with each stage's ms in round 1 / round 2.
Works on compiled and pure trees alike (the wrapped functions are ``matcher.py``'s, which is never compiled).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout as H

import finguard.screening.service.matcher as M
from finguard import compiled

print("compiled:", compiled.status, file=sys.stderr)
arabic = "--arabic" in sys.argv
s, queries = H.dev_latency_set()
if arabic:
    from arabic_dev import arabic_dev, arabic_negatives, ofac_arabic

    base, _ = H.un_original_script(H.watchlist())
    _, ar_q = arabic_dev(base, 10**8, 300)
    queries = [q for _, q, _, _ in ar_q + ofac_arabic(base)] + [q for _, q in arabic_negatives(300)]
acc = {}


def wrap(obj, name, label, static=False):
    f = getattr(obj, name)

    def w(*a, **k):
        c = time.thread_time()
        try:
            return f(*a, **k)
        finally:
            acc[label] = acc.get(label, 0.0) + time.thread_time() - c

    setattr(obj, name, staticmethod(w) if static else w)


wrap(M, "analyse_name", "analyse")
wrap(M, "prepare", "prepare")
wrap(M, "_unknown_vowel_less", "vowelless")
wrap(M, "_joined_apart", "joined")
wrap(M.NameScreener, "_candidates", "cands")
wrap(M.NameScreener, "_read_group", "readgroup")
wrap(M.NameScreener, "_evidence", "evidence")
wrap(M.NameScreener, "_confirm", "confirm", static=True)
wrap(M.NameScreener, "_score", "score")
wrap(M, "_tie_order", "tie")
for q in queries[:100]:
    s.match(q)
rounds = []
for _round in range(2):
    res = {}
    for q in queries:
        acc.clear()
        c = time.thread_time()
        s.match(q)
        t = time.thread_time() - c
        res[q] = (t * 1000, {k: v * 1000 for k, v in acc.items()})
    rounds.append(res)
r1, r2 = rounds


def pct(r):
    t = sorted(v[0] for v in r.values())
    n = len(t)
    return f"p50 {t[n // 2]:.2f} p99 {t[int(n * 0.99)]:.2f} p99.9 {t[min(n - 1, int(n * 0.999))]:.2f} sum {sum(t):.0f}"


print("r1", pct(r1))
print("r2", pct(r2))
keys = ["analyse", "prepare", "vowelless", "joined", "cands", "readgroup", "evidence", "confirm", "tie", "score"]


def tot(r, qs):
    return {k: sum(r[q][1].get(k, 0) for q in qs) for k in keys} | {"all": sum(r[q][0] for q in qs)}


for label, r in (("r1", r1), ("r2", r2)):
    top = sorted(r, key=lambda q: -r[q][0])[: max(1, len(r) // 50)]
    print(label, "slowest 2% stage totals ms:", {k: round(v) for k, v in tot(r, top).items()})
    print(label, "all stage totals ms:", {k: round(v) for k, v in tot(r, list(r)).items()})
top = sorted(r1, key=lambda q: -r1[q][0])[:30]
for q in top:
    a, b = r1[q], r2[q]
    print(
        f"{a[0]:6.2f} {b[0]:6.2f} | "
        + " ".join(f"{k[:5]}={a[1].get(k, 0):.1f}/{b[1].get(k, 0):.1f}" for k in keys if a[1].get(k, 0) > 0.3)
        + f"  {q}"
    )
