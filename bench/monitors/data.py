"""Loaders for the shared AML data as monitor columns, and the synthetic background traffic.

AMLSim: ``time`` is a simulation step (a day): ts = step * 86400; ``value`` -> fen exactly
(``round(Decimal(value) * 100)``). AMLworld: the patterns' amounts are converted to US dollars
at fixed approximate 2022 rates (the ledger columns carry one currency), then to cents.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

DAY = 86400
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
AMLSIM = SHARED / "aml" / "amlsim-20k-fanin200cycle200"
AMLWORLD = SHARED / "aml" / "amlworld-hi-small-patterns.json"

# Approximate September 2022 rates to US dollars (enough to compare amounts along a path).
USD_PER = {
    "US Dollar": 1.0, "Euro": 1.0, "Saudi Riyal": 0.266, "Swiss Franc": 1.03, "Rupee": 0.0125, "Yuan": 0.144,
    "Yen": 0.0070, "Canadian Dollar": 0.76, "Ruble": 0.0165, "UK Pound": 1.16, "Australian Dollar": 0.68,
    "Mexican Peso": 0.050, "Shekel": 0.29, "Brazil Real": 0.19, "Bitcoin": 20000.0,
}  # fmt: skip


def fen(value: str) -> int:
    return int((Decimal(value) * 100).to_integral_value())


@dataclass
class AmlSim:
    cols: dict[str, Any]
    fraud: np.ndarray  # bool per account code


def load_amlsim(directory: Path = AMLSIM) -> AmlSim:
    src, dst, amt, ts = [], [], [], []
    with open(directory / "transactions.csv", newline="") as f:
        for row in csv.DictReader(f):
            src.append(int(row["sourceNodeId"]))
            dst.append(int(row["targetNodeId"]))
            amt.append(fen(row["value"]))
            ts.append(int(row["time"]) * DAY)
    with open(directory / "nodes.csv", newline="") as f:
        nodes = [(int(r["nodeid"]), r["isFraud"] == "1") for r in csv.DictReader(f)]
    n = max(max(i for i, _ in nodes), max(src), max(dst)) + 1
    fraud = np.zeros(n, dtype=bool)
    for i, flag in nodes:
        fraud[i] = flag
    cols = {
        "src": np.asarray(src, dtype=np.int32),
        "dst": np.asarray(dst, dtype=np.int32),
        "amount_fen": np.asarray(amt, dtype=np.int64),
        "ts": np.asarray(ts, dtype=np.int64),
        "accounts": np.asarray([str(i) for i in range(n)], dtype=object),
    }
    return AmlSim(cols, fraud)


@dataclass
class Attempt:
    typology: str  # AMLworld name: FAN-IN, CYCLE, ...
    rows: np.ndarray  # positions of its transfers in the mixed columns
    accounts: set[int]


def load_amlworld_patterns(path: Path = AMLWORLD) -> list[dict[str, Any]]:
    return json.loads(path.read_text())["patterns"]


def background(n_accounts: int, n_transfers: int, start: int, days: float, seed: int = 7) -> dict[str, np.ndarray]:
    """Heavy-tailed synthetic traffic: senders and receivers drawn with Zipf-like weights (a few
    merchants and payroll accounts with very many transfers, most accounts with a handful),
    each account with its own log-normal amount scale, times uniform over ``days``."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, n_accounts + 1, dtype=np.float64)
    w_out = ranks**-0.9
    w_in = ranks**-1.0
    perm_out, perm_in = rng.permutation(n_accounts), rng.permutation(n_accounts)
    cdf_out = np.cumsum(w_out) / w_out.sum()
    cdf_in = np.cumsum(w_in) / w_in.sum()
    src = perm_out[np.minimum(np.searchsorted(cdf_out, rng.random(n_transfers)), n_accounts - 1)].astype(np.int32)
    dst = perm_in[np.minimum(np.searchsorted(cdf_in, rng.random(n_transfers)), n_accounts - 1)].astype(np.int32)
    scale = rng.lognormal(mean=np.log(2_000 * 100), sigma=1.2, size=n_accounts)
    amount = np.maximum(1, (scale[src] * rng.lognormal(0, 0.8, n_transfers))).astype(np.int64)
    ts = (start + rng.random(n_transfers) * days * DAY).astype(np.int64)
    order = np.argsort(ts, kind="stable")
    return {"src": src[order], "dst": dst[order], "amount_fen": amount[order], "ts": ts[order]}


def mix_amlworld(patterns: list[dict[str, Any]], n_accounts: int, n_transfers: int, seed: int = 11) -> tuple[dict[str, Any], list[Attempt]]:
    """The AMLworld attempts laid onto background traffic: each pattern account becomes a random
    background account (so it also has ordinary traffic), times keep their AMLworld dates."""
    rng = np.random.default_rng(seed)
    stamps = [
        int(datetime.strptime(t["timestamp"], "%Y/%m/%d %H:%M").replace(tzinfo=UTC).timestamp())
        for p in patterns
        for t in p["transactions"]
    ]
    start, end = min(stamps) - 5 * DAY, max(stamps) + 5 * DAY
    bg = background(n_accounts, n_transfers, start, (end - start) / DAY, seed)
    names = sorted({t[k] for p in patterns for t in p["transactions"] for k in ("from_account", "to_account")})
    code = dict(zip(names, rng.choice(n_accounts, size=len(names), replace=False).tolist(), strict=True))
    src, dst, amt, ts = [], [], [], []
    attempts = []
    row = len(bg["src"])
    for p in patterns:
        rows = []
        for t in p["transactions"]:
            src.append(code[t["from_account"]])
            dst.append(code[t["to_account"]])
            amt.append(max(1, round(float(t["amount_paid"]) * USD_PER[t["payment_currency"]] * 100)))
            ts.append(int(datetime.strptime(t["timestamp"], "%Y/%m/%d %H:%M").replace(tzinfo=UTC).timestamp()))
            rows.append(row)
            row += 1
        accounts = {code[t[k]] for t in p["transactions"] for k in ("from_account", "to_account")}
        attempts.append(Attempt(p["pattern_type"].split(":")[0].strip(), np.asarray(rows), accounts))
    cols = {
        "src": np.concatenate([bg["src"], np.asarray(src, dtype=np.int32)]),
        "dst": np.concatenate([bg["dst"], np.asarray(dst, dtype=np.int32)]),
        "amount_fen": np.concatenate([bg["amount_fen"], np.asarray(amt, dtype=np.int64)]),
        "ts": np.concatenate([bg["ts"], np.asarray(ts, dtype=np.int64)]),
        "accounts": np.asarray([f"A{i:07d}" for i in range(n_accounts)], dtype=object),
    }
    return cols, attempts
