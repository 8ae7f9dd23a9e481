"""Issue #16, development split only (seed 2203): every not-blocked query, miss, top-hit failure and dev false alarm.

    PYTHONPATH=src python bench/screening/devloop.py > dev.txt     # full dev sizes (~6 min on 2 idle cores)
    ONLY=typo,truncation NEG=0 PYTHONPATH=src python bench/screening/devloop.py
    ARABIC=1 ONLY=dev_script_arabic NEG=0 PYTHONPATH=src python bench/screening/devloop.py  # arabic_dev.py

Lines: ``NOTBLOCKED`` (the true entry never reaches scoring), ``MISS`` (scored, no hit), ``NOTTOP``
(a hit, not the first), ``FP`` (a dev negative's fuzzy hit, with its features); then per-class
recall / top-hit / blocking and the false-positive rate; with ``ARABIC=1``, ``ARHIT`` (an Arabic-script non-listed
name's hit: ``namesake``, the same words by consonant skeleton; ``subset``, the query's words in a longer listed name;
``other``: ``arabic_dev.hit_kind``) and ``ARHITS``, their rate with namesakes apart; and class ``dev_ofac_arabic``
(``arabic_dev.ofac_arabic``: OFAC's own persons asked in Arabic script, the stand-in of the held-out UN own-script
names); and (``ARABIC2=1``, the default with ``ARABIC=1``) class ``dev_script_arabic_phonetic``
(``arabic_dev2.py``: OFAC persons and organisations whose names are not of Arabic origin, written in Arabic letters by
sound). Never run it on the held-out split.
"""

import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import heldout as h
from classstats import class_stats
from run import uncached_screener

from finguard.screening.model.names import name_key
from finguard.screening.service import ScreenQuery, Thresholds

per_class, n_script, n_neg = int(os.environ.get("PC", 400)), int(os.environ.get("NS", 300)), int(os.environ.get("NN", 10000))
base, _ = h.un_original_script(h.watchlist())
syn, syn_q = h.synthetic(len(base) + 1, 80_000, n_script, h.DEV_SEED)
pert = h.perturbations(base, per_class, h.DEV_SEED)
syn_q, pert = h.dev_split(base, syn_q, pert, per_class, n_script)
if os.environ.get("ARABIC", "0") == "1":  # Arabic-script queries of Latin-listed persons (arabic_dev.py), dev only
    from arabic_dev import arabic_dev, ofac_arabic

    ar, ar_q = arabic_dev(base, len(base) + len(syn) + 1, int(os.environ.get("NA", 300)))
    syn, syn_q = syn + ar, syn_q + ar_q + ofac_arabic(base)  # dev_ofac_arabic: OFAC's own entries, asked in Arabic script
    if os.environ.get("ARABIC2", "1") == "1":  # dev_script_arabic_phonetic: non-Arabic OFAC names in Arabic letters by sound
        from arabic_dev2 import phonetic_dev

        syn_q = syn_q + phonetic_dev(base, int(os.environ.get("NA2", 300)))
only = os.environ.get("ONLY", "")
queries = [q for q in pert + syn_q if not only or q[0] in only.split(",")]
do_neg = os.environ.get("NEG", "1") == "1"
t = time.time()
s = uncached_screener(Thresholds())
if os.environ.get("POS", "1") == "1":
    for eid, code, d in base + syn:
        s.add(eid, code, d)
    print("built", time.time() - t, file=sys.stderr)
    stats = class_stats(s, queries, show=("NOTBLOCKED", "MISS", "NOTTOP"))
    N = sum(v[0] for v in stats.values())
    for cls, (n, f, tp, b) in sorted(stats.items()):
        print(f"{cls:24} n={n:4} recall={f / n:.3f} top={tp / n:.3f} block={b / n:.3f}")
    recall, top_hit, block = (sum(v[k] for v in stats.values()) / N for k in (1, 2, 3))
    print(f"ALL n={N} recall={recall:.4f} top={top_hit:.4f} block={block:.4f}")
if do_neg:
    s = uncached_screener(Thresholds())
    for eid, code, d in base:
        s.add(eid, code, d)
    listed = {name_key(n) for _, _, d in base + syn if d.party for n in d.party.names}
    neg = h.negatives(n_neg, listed, h.DEV_SEED + 7)
    held = {name_key(q) for _, q in h.negatives(10_000, listed, h.SEED + 7)}
    neg = [(loc, q) for loc, q in neg if name_key(q) not in held]
    fp = ns = 0
    for loc, q in neg:
        hits = s.screen(ScreenQuery(q))
        if not hits:
            continue
        same = hits[0].features[0].value >= 0.999
        if same:
            ns += 1
            continue
        fp += 1
        feats = " ".join(f"{f.name}={f.value}/{f.contribution:+.3f}" for f in hits[0].features[1:])
        why = hits[0].features[0].explanation[-140:]
        print(f"FP {loc}: {q!r} -> {hits[0].listed_name!r} {hits[0].score} {hits[0].outcome} | {why} {feats}")
    print(f"FPR {fp / max(1, len(neg)):.4%} namesakes {ns / max(1, len(neg)):.4%} n={len(neg)}")
    if os.environ.get("ARABIC", "0") == "1":  # Arabic-script non-listed names: their hit rate, before / after
        from arabic_dev import arabic_negatives, hit_kind

        ar_neg = arabic_negatives(int(os.environ.get("NAN", 2000)))
        kinds: dict[str, int] = defaultdict(int)
        for loc, q in ar_neg:
            hits = s.screen(ScreenQuery(q))
            if hits:
                kind = hit_kind(q, hits[0].listed_name)
                kinds[kind] += 1
                print(f"ARHIT {loc} {kind}: {q!r} -> {hits[0].listed_name!r} {hits[0].score} {hits[0].outcome}")
        # namesakes (the same words by skeleton) apart, as FPR counts them apart; subset: the query's words in a longer name
        ar_hits, n_ar = sum(kinds.values()), len(ar_neg)
        rest = ar_hits - kinds["namesake"]
        print(
            f"ARHITS {ar_hits / n_ar:.4%} namesakes {kinds['namesake'] / n_ar:.4%} rest {rest / n_ar:.4%} "
            f"(subset {kinds['subset'] / n_ar:.4%} other {kinds['other'] / n_ar:.4%}) n={n_ar}"
        )
