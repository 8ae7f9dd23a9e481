"""Turn ``devloop.py`` output (development split only) into JSON: per-class recall / top-hit / blocking and false positives by locale.

    PYTHONPATH=src python bench/screening/devloop.py > dev.txt
    PYTHONPATH=src python bench/screening/devloop_json.py dev.txt --label after --out bench/results/x.json

The per-locale denominators are the dev negatives (``heldout.negatives``, seed 2203 + 7, less the
held-out ones), rebuilt here exactly as ``devloop.py`` builds them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def dev_negative_locales() -> Counter[str]:
    import heldout as h

    from finguard.screening.model.names import name_key

    base, _ = h.un_original_script(h.watchlist())
    syn, _ = h.synthetic(len(base) + 1, 80_000, 300, h.DEV_SEED)
    listed = {name_key(n) for _, _, d in base + syn if d.party for n in d.party.names}
    neg = h.negatives(10_000, listed, h.DEV_SEED + 7)
    held = {name_key(q) for _, q in h.negatives(10_000, listed, h.SEED + 7)}
    return Counter(loc for loc, q in neg if name_key(q) not in held)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("devloop_output", type=Path)
    ap.add_argument("--label", required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    text = args.devloop_output.read_text(encoding="utf-8").splitlines()
    classes = {}
    for line in text:
        m = re.match(r"^(\w+)\s+n=\s*(\d+) recall=([\d.]+) top=([\d.]+) block=([\d.]+)$", line)
        if m and m[1] != "ALL":
            classes[m[1]] = {"n": int(m[2]), "recall": float(m[3]), "top": float(m[4]), "blocking": float(m[5])}
    overall = next((ln for ln in text if ln.startswith("ALL ")), "")
    fpr = next((ln for ln in text if ln.startswith("FPR ")), "")
    fps = [ln for ln in text if ln.startswith("FP ")]
    per_locale = Counter(ln.split(":", 1)[0][3:] for ln in fps)
    totals = dev_negative_locales()
    out = {
        "split": "dev",
        "seed": 2203,
        "label": args.label,
        "classes": classes,
        "all": dict(re.findall(r"(\w+)=([\d.]+)", overall)),
        "false_positives": {
            "line": fpr,
            "count": len(fps),
            "negatives": sum(totals.values()),
            "by_locale": {
                loc: {"fp": per_locale.get(loc, 0), "n": n, "rate": per_locale.get(loc, 0) / n} for loc, n in sorted(totals.items())
            },
            "examples": fps,
        },
        "not_blocked_miss_nottop": [ln for ln in text if ln.split(" ", 1)[0] in ("NOTBLOCKED", "MISS", "NOTTOP")],
    }
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
