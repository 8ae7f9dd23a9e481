"""Issue #16, development split only: the dev perturbation queries and a list of dev negatives (devwide.py's FP / NS
lines) screened by this tree's matcher and by another commit's (``BASE``, default main) in one process, over one
OFAC + UN index each (no synthetic entries: a cheap A/B when the machine is loaded, not devloop.py's figures).

    BASE=main PC=400 PYTHONHASHSEED=0 PYTHONPATH=src python bench/screening/fp_ab.py wide_2210.txt wide_2216.txt

``SYN=1``: devloop's cross-script queries too (``NS`` per script), with only their own synthetic entries indexed
(not the 80,000). Only ``matcher.py`` is taken from ``BASE``; the compiled modules are this tree's. Lines: ``R`` (a query whose outcome
for its true entry differs), ``C`` per class (recall base -> new), ``N`` (a negative's outcome base -> new), ``NFP``.
Never run it on the held-out split.
"""

import ast
import importlib.util
import os
import subprocess
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import heldout as h

from finguard.screening.service import ScreenQuery, Thresholds
from finguard.screening.service.matcher import NameScreener


def base_screener_class() -> type:
    src = subprocess.run(
        ["git", "show", f"{os.environ.get('BASE', 'main')}:src/finguard/screening/service/matcher.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    spec = importlib.util.spec_from_loader("finguard.screening.service.matcher_base", loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    exec(compile(src, "matcher_base.py", "exec"), mod.__dict__)
    return mod.NameScreener


def negatives(paths: list[str]) -> list[tuple[str, str]]:
    out, seen = [], set()
    for path in paths:
        for line in open(path, encoding="utf-8"):
            if not line.startswith(("FP ", "NS ")) or " -> " not in line:
                continue
            try:
                q = ast.literal_eval(line.split(": ", 1)[1].split(" -> ")[0])
            except (SyntaxError, ValueError):
                continue
            if q not in seen:
                seen.add(q)
                out.append((line[:2], q))
    return out


t = time.process_time()
base, _ = h.un_original_script(h.watchlist())
pert = h.perturbations(base, int(os.environ.get("PC", 400)), h.DEV_SEED)
extra: list = []
if os.environ.get("SYN") == "1":  # devloop's cross-script queries too, with only their own synthetic entries indexed
    syn, syn_q = h.synthetic(len(base) + 1, 80_000, int(os.environ.get("NS", 300)), h.DEV_SEED)
    syn_q, pert = h.dev_split(base, syn_q, pert, 400, 300)
    wanted = {eid for _, _, eid, _ in syn_q}
    extra = [x for x in syn if x[0] in wanted]
    pert = pert + syn_q
else:
    _, pert = h.dev_split(base, [], pert, 400, 300)
screeners = {}
for label, cls in (("base", base_screener_class()), ("new", NameScreener)):
    s = cls(Thresholds(), match_cache=0)
    for eid, code, d in base + extra:
        s.add(eid, code, d)
    screeners[label] = s
print("built", round(time.process_time() - t, 1), file=sys.stderr)
stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
for cls, q, eid, listed in pert:
    got = []
    for label in ("base", "new"):
        hit = next((x for x in screeners[label].screen(ScreenQuery(q), limit=20) if x.entry_id == eid), None)
        got.append(f"{hit.score} {hit.outcome}" if hit else "-")
    st = stats[cls]
    st[0] += 1
    st[1] += got[0] != "-"
    st[2] += got[1] != "-"
    if got[0] != got[1]:
        print(f"R {cls} | {q!r} -> {listed!r} | {got[0]} -> {got[1]}")
for cls, (n, b, a) in sorted(stats.items()):
    print(f"C {cls:20} n={n:4} recall {b / n:.4f} -> {a / n:.4f}")
n_all = sum(v[0] for v in stats.values())
print(f"C ALL n={n_all} recall {sum(v[1] for v in stats.values()) / n_all:.4f} -> {sum(v[2] for v in stats.values()) / n_all:.4f}")
print("pert", round(time.process_time() - t, 1), file=sys.stderr)
fp = {"base": 0, "new": 0}
for tag, q in negatives(sys.argv[1:]):
    outs = []
    for label in ("base", "new"):
        hits = screeners[label].screen(ScreenQuery(q))
        same = bool(hits) and hits[0].features[0].value >= 0.999
        fp[label] += bool(hits) and not same
        outs.append(f"{hits[0].listed_name!r} {hits[0].score}{' NS' if same else ''}" if hits else "-")
    print(f"N {tag} {q!r} | {outs[0]} -> {outs[1]}")
print(f"NFP base={fp['base']} new={fp['new']} (of the listed negatives)")
