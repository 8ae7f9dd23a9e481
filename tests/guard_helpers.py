"""Small builders shared by the guard tests: one event dict, a settable clock."""

from __future__ import annotations

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
