"""Issue #11: choose the starter pack's thresholds on the EARLIER part of a set, never the later.

    python bench/guard/starter_tune.py [--set ieee|paysim|synccfd] [--days N]

The events are replayed once through the guard's own :class:`Velocity` (the live feature code) in
time order; each event's features are kept in arrays (``bench/work/starter/<set>-tune.npz``).
Only the first 80 % of events (the part before ``bench/guard/starter.py``'s hold-out) are then
looked at: for each candidate typology rule and a grid of thresholds it prints the events flagged,
recall, precision and the share of legitimate events flagged, so a threshold can be chosen with
the later 20 % unseen. Labels of the later part are never read here (they are not even loaded
into the arrays).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))

import datasets  # noqa: E402

from finguard.guard.model.events import parse_event  # noqa: E402
from finguard.guard.model.merchant_risk import COUNTS, PAYMENTS, ConfirmedFraudIndex, confirmations_from_labels  # noqa: E402
from finguard.guard.service.model import time_slices  # noqa: E402
from finguard.guard.service.velocity import MemoryBackend, Velocity, local_hour  # noqa: E402

WORK = HERE.parent / "work" / "starter"


def load(name: str, days: float | None) -> tuple[list, dict[str, int]]:
    if name == "ieee":
        raw, labels, _ = datasets.ieee_events(datasets.ieee_path(), days=days)
    elif name == "synccfd":
        raw, labels, _ = datasets.synccfd_events(datasets.synccfd_path(), days=days)
    else:
        raw, labels, _ = datasets.paysim_events(datasets.paysim_path())
    return [parse_event(e, None) for e in raw], labels


def features(name: str, days: float | None) -> dict[str, np.ndarray]:
    out = WORK / (f"{name}-tune.npz" if days is None else f"{name}-{days:g}d-tune.npz")
    if out.is_file():
        return dict(np.load(out))
    events, labels = load(name, days)
    events.sort(key=lambda e: e.occurred_at)
    n = len(events)
    tune, _, _ = time_slices(n)
    cut = int(n * 0.8)  # the hold-out of starter.py starts here
    velocity = Velocity(MemoryBackend())
    cols: dict[str, list[float]] = {}
    t = time.perf_counter()
    for e in events:
        values = velocity.observe(e).values
        for k, v in values.items():
            cols.setdefault(k, []).append(np.nan if v is None else float(v))
    print(f"{n} events replayed in {time.perf_counter() - t:.0f} s")
    arrays = {k: np.asarray(v) for k, v in cols.items()}
    # In yuan, as the rules compare it (the guard's own conversion; CNY events as sent).
    arrays["amount"] = np.asarray([float(velocity.fx.in_yuan(e).amount or 0) for e in events])
    arrays["hour"] = np.asarray([local_hour(e) for e in events], dtype=np.int8)
    arrays["t"] = np.asarray([e.occurred_at.timestamp() for e in events])
    arrays["label"] = np.asarray([labels.get(e.event_id, 0) if i < cut else -1 for i, e in enumerate(events)], dtype=np.int8)
    arrays["cut"] = np.asarray([cut])
    # The merchant's fraud confirmed before each event (7 days after it happened: the sets say no
    # confirmation time), from the earlier part's labels only: an earlier event at t reads only
    # confirmations before t, all of events before t, so the later part's labels are not needed.
    early = {e.event_id: labels.get(e.event_id, 0) for e in events[:cut]}
    index = ConfirmedFraudIndex(confirmations_from_labels(events[:cut], early))
    risk = [index.values(e) for e in events]
    for key in COUNTS:
        arrays[key] = np.asarray([np.nan if r[key] is None else float(r[key]) for r in risk])
    del tune
    WORK.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    return arrays


def show(label: str, flag: np.ndarray, y: np.ndarray, amount: np.ndarray) -> None:
    fraud, legit = int((y == 1).sum()), int((y == 0).sum())
    hit = flag & (y >= 0)
    tp = int((hit & (y == 1)).sum())
    fp = int((hit & (y == 0)).sum())
    amt = amount[hit & (y == 1)].sum() / max(1.0, amount[y == 1].sum())
    prec = tp / (tp + fp) if tp + fp else float("nan")
    print(f"{label:70s} flagged {tp + fp:7d}  recall {tp / fraud:6.1%}  precision {prec:6.1%}  legit {fp / legit:6.2%}  amount {amt:6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", default="ieee", choices=["ieee", "paysim", "synccfd"])
    ap.add_argument("--days", type=float, default=None)
    ap.add_argument(
        "--skip-days",
        type=float,
        default=0.0,
        help="Leave the first N days out of the counts (warm-up: a 30-day window of fraud confirmed 7 days on is full after 37)",
    )
    args = ap.parse_args()
    f = features(args.set, args.days)
    cut = int(f["cut"][0])
    y = f["label"][:cut].copy()
    if args.skip_days:
        y[f["t"][:cut] < f["t"][0] + args.skip_days * 86400] = -1  # counted nowhere below
    g = {k: np.nan_to_num(v[:cut], nan=0.0) for k, v in f.items() if k not in ("cut",)}
    amount = g["amount"]
    counted = int((y >= 0).sum())
    print(f"tuning part: {cut} events ({counted} counted), {int((y == 1).sum())} fraud ({int((y == 1).sum()) / max(counted, 1):.2%})")
    night = (g["hour"] >= 23) | (g["hour"] < 6)
    history = g["customer_count_30d"] >= 4
    prior_n = g["customer_out_count_30d"] - 1
    prior_mean = np.where(prior_n > 0, (g["customer_out_sum_30d"] - amount) / np.maximum(prior_n, 1), np.nan)

    print("\n-- card-not-present bursts (card_cnp_count_10m / _1h)")
    for a, b in ((3, 6), (4, 8), (5, 10), (6, 12), (8, 16), (3, 99), (99, 6), (99, 10)):
        show(f"cnp_10m >= {a} or cnp_1h >= {b}", (g["card_cnp_count_10m"] >= a) | (g["card_cnp_count_1h"] >= b), y, amount)
    print("\n-- amount far above the customer's habit (k x mean of the prior 30 days, >= n prior)")
    for k in (3, 5, 8, 10):
        for n in (3, 5, 10):
            flag = (prior_n >= n) & (amount >= 1000 * 0 + 50) & (amount >= k * np.nan_to_num(prior_mean, nan=np.inf))
            show(f"amount >= {k} x mean, >= {n} prior, amount >= 50", flag, y, amount)
    print("\n-- spending spree: the card's 24 h sum far above its usual day (30-day sum / 30)")
    daily = g["customer_out_sum_30d"] / 30
    for k in (3, 5, 10):
        for n in (5, 10):
            flag = (g["customer_out_count_30d"] >= n) & (g["card_auth_sum_24h"] >= 200) & (g["card_auth_sum_24h"] >= k * daily)
            show(f"24h sum >= {k} x usual day, >= {n} in 30 d, sum >= 200", flag, y, amount)
    print("\n-- an hour the customer does not use (first in this 3-hour band in 30 days, with history)")
    for n in (4, 10, 20):
        flag = (g["customer_count_30d"] >= n) & (g["customer_band_count_30d"] <= 1)
        show(f"first in band, >= {n} in 30 d", flag, y, amount)
        show(f"first in band, >= {n} in 30 d, at night", flag & night, y, amount)
    print("\n-- shipped: night, history")
    show("night and history", night & history, y, amount)

    # Amounts are compared in yuan since #11's conversion (they were compared as sent before): the
    # habit rule's floor (1,000 yuan, set before any data was seen) is looked at again here.
    print("\n-- any.amount_above_habit as shipped (5 x the prior 30-day mean, >= 3 prior, history), by floor in yuan")
    prior_mean_inf = np.nan_to_num(prior_mean, nan=np.inf)
    habit_at = {}
    for floor in (50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 7000, 10000):
        habit_at[floor] = history & (g["customer_out_count_30d"] >= 3) & (amount >= floor) & (amount >= 5 * prior_mean_inf)
        show(f"habit rule, floor {floor}", habit_at[floor], y, amount)
    print("\n-- the pack's card rules together (card burst, cnp burst, many merchants, new merchant at night; habit)")
    bursts = (g["card_auth_count_10m"] >= 5) | (g["card_cnp_count_10m"] >= 4) | ((g["card_cnp_count_1h"] >= 3) & night)
    bursts |= g["card_merchants_1h"] >= 4
    bursts |= (g["new_merchant"] == 1) & (amount >= 500) & night & history
    show("card rules without the habit rule", bursts, y, amount)
    for floor, flag in habit_at.items():
        show(f"bursts or habit rule (floor {floor})", bursts | flag, y, amount)

    # Point of compromise (card.merchant_confirmed_fraud): the merchant's fraud confirmed in the last
    # 1 / 7 / 30 days (confirmed 7 days after the event), alone and with the enforced card rules.
    print("\n-- a merchant with fraud confirmed in the window (count >= n; share of its earlier payments >= s)")
    merchant: dict[str, np.ndarray] = {}
    for key in COUNTS:
        window = key.rsplit("_", 1)[1]
        prior = g[PAYMENTS[window]] - 1
        share = np.where(prior > 0, g[key] / np.maximum(prior, 1), 0.0)
        for n in (1, 2, 3, 5):
            merchant[f"{key} >= {n}"] = g[key] >= n
        for n in (1, 2, 3):
            for sh in (0.05, 0.1, 0.2, 0.3, 0.5):
                merchant[f"{key} >= {n} and share >= {sh}"] = (g[key] >= n) & (share >= sh)
    for label, flag in merchant.items():
        show(label, flag, y, amount)
    print("\n-- the enforced card rules (bursts, habit at 7,000) with a merchant rule")
    pack = bursts | habit_at[7000]
    show("enforced card rules, no merchant rule", pack, y, amount)
    for label, flag in merchant.items():
        show(f"enforced card rules or {label}", pack | flag, y, amount)


if __name__ == "__main__":
    main()
