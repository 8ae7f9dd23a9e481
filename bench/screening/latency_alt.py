"""CPU per query of two trees, strictly alternated round by round, each building its index once (issue #16).

Start one process per tree at the same time, with the same ``--baton`` directory; they take turns (``base`` round 1,
``branch`` round 1, ``base`` round 2 ...), so each round of one runs beside the same machine load as its neighbours::

    D=$(mktemp -d)
    (cd ../base && PYTHONPATH=src:/tmp/screen_extra python /path/to/latency_alt.py --label base --first --baton $D) &
    PYTHONPATH=src:/tmp/screen_extra python bench/screening/latency_alt.py --label branch --baton $D

Each round runs ``latency_ab.py``'s two query sets (the dev split's 3,000 queries and negatives; the Arabic-script dev
stand-ins, ``--arabic`` there) through ``NameScreener.match`` (thread CPU per query), and once, the entries that
reach scoring per query (``candidate_entries``: mean and p99). One JSON line a round (and the candidates) to stdout.
Development split only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as H
from arabic_dev import arabic_dev, arabic_negatives, ofac_arabic
from latency_ab import _latency


def _wait_turn(baton: Path, label: str) -> None:
    while (baton / "turn").read_text().strip() != label:
        time.sleep(0.5)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True, choices=["base", "branch"])
    ap.add_argument("--first", action="store_true", help="this process takes the first turn")
    ap.add_argument("--baton", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    other = "branch" if args.label == "base" else "base"
    s, queries = H.dev_latency_set()
    base, _ = H.un_original_script(H.watchlist())
    _, ar_q = arabic_dev(base, 10**8, 300)
    arabic = [q for _, q, _, _ in ar_q + ofac_arabic(base)] + [q for _, q in arabic_negatives(300)]
    ready = args.baton / f"ready-{args.label}"
    ready.write_text("1")
    while not (args.baton / f"ready-{other}").exists():
        time.sleep(0.5)
    if args.first:
        (args.baton / "turn").write_text(args.label)
    while not (args.baton / "turn").exists():
        time.sleep(0.5)
    for r in range(args.rounds):
        _wait_turn(args.baton, args.label)
        line = {"label": args.label, "round": r + 1}
        for name, qs in (("dev", queries), ("arabic", arabic)):
            got = _latency(s, qs)
            line[name] = {k: round(v, 4) for k, v in got.items() if k.startswith("cpu")}
        line["load"] = [round(x, 1) for x in os.getloadavg()]
        print(json.dumps(line), flush=True)
        (args.baton / "turn").write_text(other)
    for name, qs in (("dev", queries), ("arabic", arabic)):
        counts = sorted(len(s.candidate_entries(q)) for q in qs)
        n = len(counts)
        print(json.dumps({"label": args.label, "set": name, "cand_mean": round(sum(counts) / n, 2), "cand_p99": counts[int(n * 0.99)]}))


if __name__ == "__main__":
    main()
