"""Loaders for the shared AML data as monitor columns, and the synthetic background traffic.

AMLSim: ``time`` is a simulation step (a day): ts = step * 86400; ``value`` -> fen exactly
(``round(Decimal(value) * 100)``). AMLworld: the patterns' amounts are converted to US dollars
at the AMLworld generator's own exchange rates (the ledger columns carry one currency), then to
cents. Those rates are not published with the patterns; ``USD_PER`` holds the median ratio of
consecutive hops of the same laundering path between each currency and the US dollar (e.g.
USD -> EUR hops pay 0.853 times what they received, so 1 EUR = 1.17 USD), which recovers the
generator's hop factor (median 0.99 on same-currency hops) for every currency pair.
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
# ../shared/data beside the repository; a worktree elsewhere reads the copies in tests/data.
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
if not SHARED.is_dir():
    SHARED = Path(__file__).resolve().parents[2] / "tests" / "data"
AMLSIM = SHARED / "aml" / "amlsim-20k-fanin200cycle200"
AMLWORLD = SHARED / "aml" / "amlworld-hi-small-patterns.json"

# US dollars per unit at the AMLworld generator's rates, estimated from its laundering paths (see
# the module docstring). Brazil Real (no USD hop in the file) and Bitcoin (one transfer) are the
# 2020 market rates the other estimates match.
USD_PER = {
    "US Dollar": 1.0, "Euro": 1.17, "Saudi Riyal": 0.2667, "Swiss Franc": 1.093, "Rupee": 0.01407, "Yuan": 0.1515,
    "Yen": 0.00949, "Canadian Dollar": 0.758, "Ruble": 0.01285, "UK Pound": 1.247, "Australian Dollar": 0.729,
    "Mexican Peso": 0.04794, "Shekel": 0.296, "Brazil Real": 0.178, "Bitcoin": 11000.0,
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


@dataclass
class Background:
    cols: dict[str, np.ndarray]
    kinds: np.ndarray  # per account: "individual", "company" or "merchant"


def _zipf(n: int, a: float) -> np.ndarray:
    w = np.arange(1, n + 1, dtype=np.float64) ** -a
    return w / w.sum()


def relationship_background(n_accounts: int, start: int, days: float, seed: int = 7) -> Background:
    """Traffic made of relationships, as a bank's ledger is: individuals (95 %) paid a fixed
    salary twice a month by one employer (payroll is a legitimate fan-out burst), paying a fixed
    rent monthly (60 % of them) and two utility bills, buying at six regular merchants (Zipf
    popularity, 0.15 purchases a day, each merchant its own price level) and sending money to
    four friends or, one time in four, to a stranger (0.04 a day); companies (4 %) paying five
    regular suppliers; merchants (1 %) settling weekly with two suppliers. Amounts in US cents,
    log-normal around each relationship's own level. The laundering patterns then differ from it
    the way they do in a bank: money moves between accounts that had no relationship."""
    rng = np.random.default_rng(seed)
    n_comp, n_merch = max(int(n_accounts * 0.04), 10), max(int(n_accounts * 0.01), 2)
    n_ind = n_accounts - n_comp - n_merch
    perm = rng.permutation(n_accounts)
    ind, comp, merch = perm[:n_ind], perm[n_ind : n_ind + n_comp], perm[n_ind + n_comp :]
    n_days = int(days)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(src: np.ndarray, dst: np.ndarray, cents: np.ndarray, ts: np.ndarray) -> None:
        parts.append((src, dst, np.maximum(1, cents).astype(np.int64), ts.astype(np.int64)))

    def anytime(n: int) -> np.ndarray:
        return start + (rng.random(n) * n_days * DAY).astype(np.int64)

    employer = comp[rng.choice(n_comp, size=n_ind, p=_zipf(n_comp, 1.0))]
    salary = rng.lognormal(np.log(3000 * 100), 0.5, n_ind)
    for d in range(14, n_days, 15):
        add(employer, ind, salary, start + d * DAY + 9 * 3600 + rng.integers(0, 3 * 3600, n_ind))
    renter = np.flatnonzero(rng.random(n_ind) < 0.6)
    landlord = np.where(rng.random(n_ind) < 0.5, ind[rng.integers(0, n_ind, n_ind)], comp[rng.integers(0, n_comp, n_ind)])
    rent = rng.lognormal(np.log(1200 * 100), 0.4, n_ind)
    for d in range(0, n_days, 30):
        when = start + (d + rng.integers(0, 3, len(renter))) * DAY + rng.integers(6 * 3600, 22 * 3600, len(renter))
        add(ind[renter], landlord[renter], rent[renter], when)
    utility = comp[:10][rng.integers(0, 10, n_ind)]
    bill = rng.lognormal(np.log(90 * 100), 0.5, n_ind)
    for d in range(10, n_days, 30):
        add(ind, utility, bill * rng.uniform(0.8, 1.2, n_ind), start + (d + rng.integers(0, 5, n_ind)) * DAY + rng.integers(0, DAY, n_ind))
    shops = merch[rng.choice(n_merch, size=(n_ind, 6), p=_zipf(n_merch, 0.8))]
    price = rng.lognormal(np.log(60 * 100), 0.8, n_accounts)
    who = np.repeat(np.arange(n_ind), rng.poisson(0.15 * n_days, n_ind))
    shop = shops[who, rng.integers(0, 6, len(who))]
    add(ind[who], shop, price[shop] * rng.lognormal(0, 0.6, len(who)), anytime(len(who)))
    friends = ind[rng.integers(0, n_ind, (n_ind, 4))]
    who = np.repeat(np.arange(n_ind), rng.poisson(0.04 * n_days, n_ind))
    to = np.where(rng.random(len(who)) < 0.75, friends[who, rng.integers(0, 4, len(who))], ind[rng.integers(0, n_ind, len(who))])
    add(ind[who], to, rng.lognormal(np.log(150 * 100), 1.0, len(who)), anytime(len(who)))
    suppliers = comp[rng.choice(n_comp, size=(n_comp, 5), p=_zipf(n_comp, 0.7))]
    level = rng.lognormal(np.log(8000 * 100), 1.0, n_comp)
    who = np.repeat(np.arange(n_comp), rng.poisson(n_days / 2, n_comp))
    add(comp[who], suppliers[who, rng.integers(0, 5, len(who))], level[who] * rng.lognormal(0, 0.4, len(who)), anytime(len(who)))
    settle = comp[rng.integers(0, n_comp, (n_merch, 2))]
    for d in range(3, n_days, 7):
        for j in range(2):
            when = start + d * DAY + rng.integers(0, DAY, n_merch)
            add(merch, settle[:, j], price[merch] * rng.lognormal(np.log(40), 0.5, n_merch), when)
    src, dst, amount, ts = (np.concatenate([p[i] for p in parts]) for i in range(4))
    keep = src != dst
    order = np.argsort(ts[keep], kind="stable")
    kinds = np.empty(n_accounts, dtype=object)
    kinds[ind], kinds[comp], kinds[merch] = "individual", "company", "merchant"
    cols = {
        "src": src[keep][order].astype(np.int32),
        "dst": dst[keep][order].astype(np.int32),
        "amount_fen": amount[keep][order],
        "ts": ts[keep][order],
    }
    return Background(cols, kinds)


def _stamp(t: dict[str, Any]) -> int:
    return int(datetime.strptime(t["timestamp"], "%Y/%m/%d %H:%M").replace(tzinfo=UTC).timestamp())


def mix_amlworld(
    patterns: list[dict[str, Any]],
    n_accounts: int,
    *,
    kind: str = "relationships",
    history_days: int = 63,
    seed: int = 11,
) -> tuple[dict[str, Any], list[Attempt]]:
    """The AMLworld attempts laid onto background traffic that starts ``history_days`` before
    the first attempt (so a monitor has a history to compare with) and ends five days after the
    last. Each pattern account becomes a random background account (not a merchant), so it also
    has ordinary traffic; times keep their AMLworld dates. ``kind``: ``relationships``
    (``relationship_background``) or ``uniform`` (``background``: every transfer between random
    accounts, the same volume per account and day, 0.36)."""
    rng = np.random.default_rng(seed)
    stamps = [_stamp(t) for p in patterns for t in p["transactions"]]
    start, end = min(stamps) - history_days * DAY, max(stamps) + 5 * DAY
    days = (end - start) / DAY
    if kind == "relationships":
        bg = relationship_background(n_accounts, start, days, seed)
        cols, eligible = bg.cols, np.flatnonzero(bg.kinds != "merchant")
    elif kind == "uniform":
        cols, eligible = background(n_accounts, int(n_accounts * 0.36 * days), start, days, seed), np.arange(n_accounts)
    else:
        raise ValueError(f"unknown background {kind!r}")
    names = sorted({t[k] for p in patterns for t in p["transactions"] for k in ("from_account", "to_account")})
    code = dict(zip(names, rng.choice(eligible, size=len(names), replace=False).tolist(), strict=True))
    src, dst, amt, ts = [], [], [], []
    attempts = []
    row = len(cols["src"])
    for p in patterns:
        rows = []
        for t in p["transactions"]:
            src.append(code[t["from_account"]])
            dst.append(code[t["to_account"]])
            amt.append(max(1, round(float(t["amount_paid"]) * USD_PER[t["payment_currency"]] * 100)))
            ts.append(_stamp(t))
            rows.append(row)
            row += 1
        accounts = {code[t[k]] for t in p["transactions"] for k in ("from_account", "to_account")}
        attempts.append(Attempt(p["pattern_type"].split(":")[0].strip(), np.asarray(rows), accounts))
    mixed = {
        "src": np.concatenate([cols["src"], np.asarray(src, dtype=np.int32)]),
        "dst": np.concatenate([cols["dst"], np.asarray(dst, dtype=np.int32)]),
        "amount_fen": np.concatenate([cols["amount_fen"], np.asarray(amt, dtype=np.int64)]),
        "ts": np.concatenate([cols["ts"], np.asarray(ts, dtype=np.int64)]),
        "accounts": np.asarray([f"A{i:07d}" for i in range(n_accounts)], dtype=object),
    }
    return mixed, attempts
