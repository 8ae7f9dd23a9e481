"""Small builders shared by the guard tests: one event dict, a settable clock, a slowed guard."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

# 2026-03-02 10:00 in Beijing (02:00 UTC): daytime for a customer in Asia/Shanghai.
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def transfer(event_id: str = "e1", *, at: datetime = T0, amount: str = "100.00", **over: Any) -> dict[str, Any]:
    """A domestic transfer out from customer c1's account 6222000011112222 to payee 6228000099998888."""
    body: dict[str, Any] = {
        "event_id": event_id,
        "type": "transfer",
        "occurred_at": at.isoformat(),
        "customer_id": "c1",
        "channel": "mobile",
        "account": "6222000011112222",
        "amount": amount,
        "region": "CN-BJ",
        "device": "dev-0001",
        "ip": "10.0.0.1",
        "payee": {"account": "6228000099998888", "name": "Zhang San"},
    }
    body.update(over)
    return body


def luhn(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def card_stream(*, customers: int = 60, days: int = 20, seed: int = 7) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Card authorisations of ``customers`` over ``days``, and labels (1 fraud) by event id.

    Each customer pays 2-3 times a day in daytime Beijing, at three usual merchants in their home
    region, 30-300 yuan. From day 10, one customer in six has their card details stolen: a burst
    of 3-5 card-not-present payments within minutes, at night, abroad, 800-3,000 yuan.
    """
    import random

    rng = random.Random(seed)
    start = datetime(2026, 2, 1, tzinfo=UTC)
    events: list[dict[str, Any]] = []
    labels: dict[str, int] = {}
    for c in range(customers):
        card = luhn(f"62220{c:010d}")
        home = rng.choice(["CN-BJ", "CN-SH", "CN-GD"])
        for day in range(days):
            for k in range(rng.randint(2, 3)):
                at = start + timedelta(days=day, hours=rng.randint(1, 12), minutes=rng.randint(0, 59))  # 09:00-20:59 in Beijing
                eid = f"c{c}-d{day}-{k}"
                events.append(
                    {
                        "event_id": eid,
                        "type": "card_auth",
                        "occurred_at": at.isoformat(),
                        "customer_id": f"cust{c}",
                        "channel": "pos",
                        "card": card,
                        "amount": f"{rng.randint(30, 300)}.00",
                        "merchant": {"id": f"m{c}-{rng.randint(0, 2)}", "mcc": "5411", "region": home},
                    }
                )
                labels[eid] = 0
        if c % 6 == 0:
            hit = start + timedelta(days=rng.randint(min(10, days - 1), days - 1), hours=rng.randint(16, 21))  # 00:00-05:59 in Beijing
            for k in range(rng.randint(3, 5)):
                eid = f"c{c}-fraud-{k}"
                events.append(
                    {
                        "event_id": eid,
                        "type": "card_auth",
                        "occurred_at": (hit + timedelta(minutes=k)).isoformat(),
                        "customer_id": f"cust{c}",
                        "channel": "api",
                        "card": card,
                        "amount": f"{rng.randint(800, 3000)}.00",
                        "merchant": {"id": f"x{rng.randint(0, 999)}", "mcc": "5999", "region": "US"},
                    }
                )
                labels[eid] = 1
    events.sort(key=lambda e: str(e["occurred_at"]))
    return events, labels


def hold_decisions(guard: Any, delay: float) -> Any:
    """``guard`` with each event's decision held ``delay`` seconds, so that a test's kill lands
    mid-stream however fast the machine decides."""
    decide_many = guard.decide_many

    def held(events: Any) -> Any:
        time.sleep(delay * len(events))
        return decide_many(events)

    guard.decide_many = held
    return guard
