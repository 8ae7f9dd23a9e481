"""Issue #16, development split only: what ``matcher._common_pair_partial`` costs in recall.

    PYTHONHASHSEED=0 PYTHONPATH=src python bench/screening/common_pair_dev.py > common_pair.txt

The rule caps below ``close_match`` a query of two common words that is a listed person's given name and family name
with both another given name and another family name left out (``Roberto Lopez`` / ``LOPEZ GOMEZ, Roberto Jose``).
No perturbation class makes that shape (token_drop drops one word), so this builds it: every OFAC / UN person written
``FAMILY FAMILY, Given Given`` (two family words or more, two given words or more; particles apart), asked as a user
writes a Spanish or Portuguese name in short, the first given name and the first family name (``Roberto Lopez``), and
as the first given name and the last family name (``Roberto Gomez``: the mother's name, as Portuguese names are
shortened). Entries the held-out split's token_drop asks of are left out (as ``heldout.dev_split`` leaves out a
class's held-out entries). Each query is screened over the OFAC + UN index with the rule as it is and with it off
(the function replaced by one returning None), one index; lines ``Q`` (class, query, listed, outcome on / off),
``C`` per class. Never run on the held-out split.
"""

import os
import random
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heldout as h

from finguard.lists.model.lists import SubjectKind
from finguard.screening.model.names import name_key
from finguard.screening.service import ScreenQuery, Thresholds, matcher
from finguard.screening.service.matcher import NameScreener

PARTICLES = matcher._PARTICLES
base, _ = h.un_original_script(h.watchlist())
held = {eid for cls, _, eid, _ in h.perturbations(base, 400, h.SEED) if cls == "token_drop"}
held_text = {name_key(q) for _, q, _, _ in h.perturbations(base, 400, h.SEED)}
queries: list[tuple[str, str, int, str]] = []
for eid, _code, d in base:
    if d.party is None or d.subject is not SubjectKind.PERSON or eid in held:
        continue
    for nm in d.party.names:
        if not nm.isascii() or nm.count(",") != 1:
            continue
        fam, _, giv = nm.partition(",")
        family = [w for w in fam.split() if w.lower() not in PARTICLES and len(w) > 1]
        given = [w for w in giv.split() if w.lower() not in PARTICLES and len(w) > 1]
        if len(family) < 2 or len(given) < 2:
            continue
        for cls, q in (("given1_family1", f"{given[0]} {family[0]}"), ("given1_family2", f"{given[0]} {family[-1]}")):
            q = q.title()
            if name_key(q) not in held_text:
                queries.append((cls, q, eid, nm))
random.Random(h.DEV_SEED).shuffle(queries)
seen: set[tuple[str, int]] = set()
queries = [x for x in queries if (x[0], x[2]) not in seen and not seen.add((x[0], x[2]))]  # one name per entry and class
s = NameScreener(Thresholds(), match_cache=0)
for eid, code, d in base:
    s.add(eid, code, d)


def outcome(q: str, eid: int) -> str:
    hit = next((x for x in s.screen(ScreenQuery(q), limit=20) if x.entry_id == eid), None)
    return f"{hit.score} {hit.outcome}" if hit else "-"


on = [outcome(q, eid) for _, q, eid, _ in queries]
rule = matcher._common_pair_partial
matcher._common_pair_partial = lambda *a, **k: None  # type: ignore[assignment]
off = [outcome(q, eid) for _, q, eid, _ in queries]
matcher._common_pair_partial = rule
stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
for (cls, q, _eid, nm), a, b in zip(queries, on, off, strict=True):
    st = stats[cls]
    st[0] += 1
    st[1] += a != "-"
    st[2] += b != "-"
    print(f"Q {cls} {q!r} -> {nm!r} | on {a} | off {b}{'  DIFF' if a != b else ''}")
for cls, (n, a, b) in sorted(stats.items()):
    print(f"C {cls:16} n={n:4} recall on {a / n:.3f} off {b / n:.3f} ({b - a} lost to the rule)")
