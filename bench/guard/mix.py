"""The guard benches' traffic mixes (``--mix bench|bank``): ``run.py``'s events, or a bank's.

``bench`` (the default everywhere) is ``run.py``'s events (:func:`run.event_body`), ~80 % blocked
(its lists, controls and 41 rules). ``bank`` is a bank's traffic, mostly ordinary payments allowed
with low model scores (#19, stop 22): each event is, with probability ``--risky`` (default 0.015),
one of ``run.py``'s events as they are, else an ordinary payment (:func:`ordinary_body`): the
customer's own device and IP address, its home region (CN-BJ, CN-SH or CN-GD), mobile (85 %) or
web, an amount of 20 to 3,000 yuan (mostly under 500), to one of the customer's 3 regular payees
(its own accounts of the payee pool: no payee is paid by two customers), with the attributes the
bench's model was trained on (PaySim's kind and balances, consistent with the amount). Before the
warm-up each customer pays each of its regular payees once, 4 days earlier (untimed,
:meth:`Events.history`), so they are known payees, as a bank's regular payees are (one whose name
the demo lists warn of is replaced by another account of the pool). The warm-up and timed events
are spread evenly over the day before now, in order, so a customer pays a few times an hour at most.

Used by ``profile_decide.py``, ``single_row22.py``, ``http_ab.py`` and ``nats_scale.py``. A guard in
another process (the HTTP server, a NATS consumer) learns the regular payees from
:meth:`Events.history_bodies` sent through it first (untimed).
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import run as bench

HOME = ("CN-BJ", "CN-SH", "CN-GD")
REGULAR = 3  # regular payees of each customer
AMOUNTS = (20, 35, 50, 88, 120, 200, 300, 500, 800, 1500, 3000)
AMOUNT_WEIGHTS = (8, 10, 14, 10, 12, 14, 10, 10, 6, 4, 2)
SHIFT: dict[tuple[int, int], int] = {}  # a regular payee replaced (Events.history)


def add_mix_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--mix", choices=["bench", "bank"], default="bench", help="run.py's events (~80 %% blocked) or a bank's mix")
    ap.add_argument("--risky", type=float, default=0.015, help="--mix bank: the share of run.py's events among ordinary payments")


def regular_payee(c: int, j: int) -> dict[str, str]:
    """The ``j``-th regular payee of customer ``c``: its own account of the payee pool (or of the
    fixed accounts when ``--payees fixed``)."""
    k = c * REGULAR + j
    if bench.PAYEES is not None:
        pool = bench.PAYEES.pool
        account, name = pool[(k * 7919 + 13 + SHIFT.get((c, j), 0) * 104_729) % len(pool)]
        return {"account": account, "name": name}
    return {"account": f"6229{k:012d}", "name": ("Zhang San", "Li Si", "Wang Wu", "Zhao Liu")[k % 4]}


def ordinary_body(c: int, at: datetime, rng: random.Random, payee: int | None = None) -> dict[str, Any]:
    """An ordinary payment of customer ``c`` (``--mix bank``): its own device, IP and home region,
    a small amount, to one of its regular payees; with the attributes the bench's model (PaySim)
    was trained on, consistent with the amount: a card payment (``PAYMENT`` at ``pos``, 60 %) or a
    mobile transfer (``TRANSFER``, 40 %), the balances before and after."""
    amount = rng.choices(AMOUNTS, AMOUNT_WEIGHTS)[0] * 100 + rng.randrange(100)  # fen
    balance = 500_000 + (c * 7_919 % 200) * 100_000 + rng.randrange(100_000)  # 5,000 to 206,000 yuan
    card = rng.random() < 0.6
    payee_before = 0 if card else 100_000 + rng.randrange(5_000_000)

    def yuan(fen: int) -> str:
        return f"{fen // 100}.{fen % 100:02d}"

    return {
        "event_id": f"bank-{rng.getrandbits(96):024x}",
        "type": "transfer",
        "occurred_at": at.isoformat(),
        "customer_id": f"bc{c}",
        "channel": "pos" if card else "mobile",
        "account": f"6222{c:012d}",
        "amount": yuan(amount),
        "region": HOME[c % len(HOME)],
        "device": f"own-{c:06d}",
        "ip": f"10.9.{c // 256}.{c % 256}",
        "payee": regular_payee(c, rng.randrange(REGULAR) if payee is None else payee),
        "attributes": {
            "kind": "PAYMENT" if card else "TRANSFER",
            "balance_before": yuan(balance),
            "balance_after": yuan(balance - amount),
            "payee_balance_before": yuan(payee_before),
            "payee_balance_after": yuan(0 if card else payee_before + amount),
        },
    }


class Events:
    """The timed and warm-up events of ``--mix``: ``run.py``'s (bench) or a bank's (see the module doc)."""

    def __init__(self, mix: str, risky: float, now: datetime, rng: random.Random, total: int) -> None:
        self.mix, self.risky, self.now, self.rng = mix, risky, now, rng
        self.kinds: Counter[str] = Counter()
        # bank: the events spread evenly over the day before now, in order (a customer pays a few
        # times a day, not all at once); bench: all at now, as run.py's
        self.at = now - timedelta(days=1) if mix == "bank" else now
        self.step = timedelta(days=1) / max(total, 1) if mix == "bank" else timedelta(0)
        self.replaced = 0

    def history(self, guard: Any) -> int:
        """Each customer pays each of its regular payees once, 4 days before (bank mix only). A
        regular payee whose check warns or blocks (the demo lists' names are like some of the
        pool's) is replaced by the next account of the pool: a bank's regular payees are not on its lists."""
        if self.mix != "bank":
            return 0
        earlier = self.now - timedelta(days=4)
        n = 0
        for j in range(REGULAR):
            for c in range(bench.CUSTOMERS):
                for _ in range(20):
                    d = guard.decide_raw(ordinary_body(c, earlier, self.rng, j))
                    n += 1
                    if not any(r.kind.value == "list" for r in d.reasons):
                        break
                    SHIFT[(c, j)] = SHIFT.get((c, j), 0) + 1
                    self.replaced += 1
        return n

    def history_bodies(self) -> list[dict[str, Any]]:
        """The regular payees' first payments again (after :meth:`history` chose them), 4 days
        before, for a guard in another process to learn them from (bank mix only; else none)."""
        if self.mix != "bank":
            return []
        earlier = self.now - timedelta(days=4)
        return [ordinary_body(c, earlier, self.rng, j) for j in range(REGULAR) for c in range(bench.CUSTOMERS)]

    def body(self, i: int) -> dict[str, Any]:
        at, self.at = self.at, self.at + self.step
        if self.mix == "bank" and self.rng.random() >= self.risky:
            self.kinds["ordinary"] += 1
            return ordinary_body(self.rng.randrange(bench.CUSTOMERS), at, self.rng)
        self.kinds["risky" if self.mix == "bank" else "bench"] += 1
        return bench.event_body(i, at, self.rng)

    def describe(self) -> dict[str, Any]:
        """What the results should say of the mix."""
        out: dict[str, Any] = {"mix": self.mix, "events": dict(self.kinds)}
        if self.mix == "bank":
            out |= {"risky": self.risky, "regular_payees_replaced": self.replaced}
        return out
