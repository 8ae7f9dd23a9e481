"""Point of compromise: a merchant's confirmed fraud, counted as of a time, with labels delayed.

A compromised terminal (a skimmer, a breached web shop) turns every payment there into fraud
for weeks; no single customer's history shows it, the merchant's confirmed fraud does. Fraud is
confirmed days after the payment (an analyst's review, the cardholder's dispute), so a feature
read at time ``t`` may only count fraud **confirmed before** ``t`` (Le Borgne et al., *Fraud
Detection Handbook*, "terminal risk" with a delay period).

A :class:`Confirmation` is one fraudulent event with the time its fraud was confirmed (and, if an
analyst later said otherwise, the time it was withdrawn). :class:`ConfirmedFraudIndex` answers,
for an event at merchant ``m`` occurring at ``t``, how many of ``m``'s confirmations fall in
``[t - w, t)`` for each window ``w`` of :data:`WINDOWS`, leaving out those withdrawn before ``t``.
With a constant delay ``D`` between payment and confirmation that is exactly Le Borgne's count of
fraud among the merchant's payments of ``[t - D - w, t - D)``.

The same index serves training (confirmations simulated from a label file: its ``confirmed_at``
column, else the event's time plus :data:`DEFAULT_CONFIRM_DELAY`), replays (the same, from the
replay's labels) and the live guard (the stored confirmations, ``guard.service.merchant_risk``),
so the features are computed one way. The counts go into the features under :data:`COUNTS`
(``vel.merchant_fraud_7d`` in a rule); the model also reads each count's share of the merchant's
payments over the same window (``features.raw_features``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from finguard.guard.model.events import Event

# (name suffix, window); the velocity windows of the same length count the merchant's payments.
WINDOWS: tuple[tuple[str, timedelta], ...] = (("1d", timedelta(days=1)), ("7d", timedelta(days=7)), ("30d", timedelta(days=30)))
COUNTS: tuple[str, ...] = tuple(f"merchant_fraud_{name}" for name, _ in WINDOWS)
# The velocity feature counting the merchant's payments over each window (the share's denominator).
PAYMENTS: dict[str, str] = {"1d": "merchant_count_24h", "7d": "merchant_count_7d", "30d": "merchant_count_30d"}
# Fraud is confirmed this long after the payment when a label file does not say when (Le Borgne
# et al.'s delay period: a week for the cardholder's dispute or the bank's investigation).
DEFAULT_CONFIRM_DELAY = timedelta(days=7)
KEEP = timedelta(days=31)  # confirmations older than the longest window (and a day) count no more


@dataclass(frozen=True, slots=True)
class Confirmation:
    """Fraud confirmed on one event: where (the merchant), when it happened, when it was confirmed."""

    event_id: str
    merchant_id: str
    occurred_at: datetime
    confirmed_at: datetime
    withdrawn_at: datetime | None = None  # an analyst's later review said it was not fraud


class ConfirmedFraudIndex:
    """Confirmations by merchant, sorted by confirmation time; counts read as of a time.

    Not thread-safe for writes: the live service swaps in a new index rather than changing one
    that decisions read.
    """

    def __init__(self, confirmations: Iterable[Confirmation] = ()) -> None:
        self._times: dict[str, list[float]] = {}
        self._withdrawn: dict[str, list[tuple[float, float]]] = {}  # (confirmed, withdrawn) per merchant
        self.size = 0
        for c in confirmations:
            self.add(c)

    @classmethod
    def from_times(cls, rows: Iterable[tuple[str, datetime, datetime | None]]) -> ConfirmedFraudIndex:
        """The index of (merchant, confirmed, withdrawn) rows (the live reload's narrow read): each
        merchant's times sorted once rather than inserted one by one."""
        index = cls()
        times = index._times
        withdrawn = index._withdrawn
        for merchant, confirmed_at, withdrawn_at in rows:
            confirmed = confirmed_at.timestamp()
            times.setdefault(merchant, []).append(confirmed)
            if withdrawn_at is not None:
                withdrawn.setdefault(merchant, []).append((confirmed, withdrawn_at.timestamp()))
            index.size += 1
        for merchant_times in times.values():
            merchant_times.sort()
        return index

    def add(self, c: Confirmation) -> None:
        confirmed = c.confirmed_at.timestamp()
        bisect.insort(self._times.setdefault(c.merchant_id, []), confirmed)
        if c.withdrawn_at is not None:
            self._withdrawn.setdefault(c.merchant_id, []).append((confirmed, c.withdrawn_at.timestamp()))
        self.size += 1

    def counts(self, merchant_id: str, at: datetime) -> dict[str, int]:
        """The merchant's fraud confirmed in ``[at - w, at)`` for each window (not withdrawn before ``at``)."""
        times = self._times.get(merchant_id)
        t = at.timestamp()
        out: dict[str, int] = {}
        for (_, window), key in zip(WINDOWS, COUNTS, strict=True):
            if not times:
                out[key] = 0
                continue
            lo = t - window.total_seconds()
            n = bisect.bisect_left(times, t) - bisect.bisect_left(times, lo)
            for confirmed, withdrawn in self._withdrawn.get(merchant_id, ()):
                if lo <= confirmed < t and withdrawn < t:
                    n -= 1
            out[key] = n
        return out

    def values(self, event: Event) -> dict[str, int | None]:
        """The features of one event: counts as of its time; None (missing) without a merchant id."""
        if event.merchant is None or event.merchant.id is None:
            return dict.fromkeys(COUNTS)
        return dict(self.counts(event.merchant.id, event.occurred_at))


def confirmations_from_labels(
    events: Sequence[Event],
    labels: Mapping[str, int],
    confirmed_at: Mapping[str, datetime] | None = None,
    *,
    delay: timedelta = DEFAULT_CONFIRM_DELAY,
) -> list[Confirmation]:
    """The confirmations a label file stands for: each fraud event with a merchant, confirmed at its
    ``confirmed_at`` (when the file gives one) or ``delay`` after it occurred. A confirmation time
    before the event is taken as the event's time (fraud cannot be confirmed before it happens)."""
    given = confirmed_at or {}
    out: list[Confirmation] = []
    for e in events:
        if e.merchant is None or e.merchant.id is None or labels.get(e.event_id) != 1:
            continue
        at = given.get(e.event_id) or e.occurred_at + delay
        out.append(Confirmation(e.event_id, e.merchant.id, e.occurred_at, max(at, e.occurred_at)))
    return out
