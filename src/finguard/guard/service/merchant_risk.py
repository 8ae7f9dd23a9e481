"""The merchant's confirmed fraud at decision time, from the stored confirmations.

Analysts' ``confirm_fraud`` reviews and imported label files are stored with the time each fraud
was confirmed (``store.fraud``). This service keeps them in memory as a
:class:`~finguard.guard.model.merchant_risk.ConfirmedFraudIndex` and hands the engine each card
event's counts (``vel.merchant_fraud_1d / _7d / _30d``), read as of the event's own time: only
fraud confirmed before the event counts, never a later label. A confirmation made in this process
applies to the next decision; one made by another process once the stored counter is checked
(every ``check_seconds``). The index holds the confirmations of the last :data:`LOOK_BACK` before
the clock when it was loaded: enough for any event the guard accepts (at most 30 days old) and its
30-day window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from finguard.guard.model.events import Event
from finguard.guard.model.merchant_risk import (
    DEFAULT_CONFIRM_DELAY,
    KEEP,
    Confirmation,
    ConfirmedFraudIndex,
    confirmations_from_labels,
)

LOOK_BACK = timedelta(days=61)


class ConfirmedFraudStore(Protocol):
    def local_changes(self) -> int: ...
    def version(self) -> int: ...
    def confirmations(self, since: datetime) -> list[Confirmation]: ...
    def confirmation_times(self, since: datetime) -> list[tuple[str, datetime, datetime | None]]: ...
    def add_confirmations(self, confirmations: Sequence[Confirmation], *, customers: dict[str, str], source: str, actor: str) -> int: ...


class MerchantRiskService:
    def __init__(self, store: ConfirmedFraudStore, clock: Callable[[], datetime], *, check_seconds: float = 0.25) -> None:
        self.store = store
        self.clock = clock
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._index: ConfirmedFraudIndex | None = None
        self._version: tuple[int, int] | None = None
        self._checked = float("-inf")
        self._loading = False  # a thread is reloading another process's change outside the lock
        self._loads = 0  # indexes swapped in so far: a slower reload never replaces a newer one

    def _load(self) -> ConfirmedFraudIndex:
        return ConfirmedFraudIndex.from_times(self.store.confirmation_times(self.clock() - LOOK_BACK))

    def index(self) -> ConfirmedFraudIndex:
        """The confirmations as stored now (reloaded when this process or the counter says they changed).

        A change made in this process (an analyst's review here, an import) is reloaded before
        the caller goes on: the very next decision counts it. A change another process made is
        seen at the next counter check, as before; the thread that sees it reloads outside the
        lock, and the other decisions meanwhile keep the index they had (a reload of 50,000
        confirmations takes a few hundred ms, which every decision of the process used to wait)."""
        now = time.monotonic()
        local = self.store.local_changes()
        with self._lock:
            current = self._index
            if current is None or self._version is None or self._version[0] != local:
                version = (local, self.store.version())
                current = self._index = self._load()
                self._version, self._checked = version, now
                self._loads += 1
                return current
            if now - self._checked < self.check_seconds or self._loading:
                return current
            version = (local, self.store.version())
            if version == self._version:
                self._checked = now
                return current
            self._loading = True
            started = self._loads
        try:
            fresh = self._load()
        except BaseException:
            with self._lock:
                self._loading = False
            raise
        with self._lock:
            self._loading = False
            if self._loads != started:  # a change made here was loaded meanwhile, from a later read
                assert self._index is not None
                return self._index
            self._index, self._version, self._checked = fresh, version, now
            self._loads += 1
            return fresh

    def for_replay(self, since: datetime) -> list[Confirmation]:
        """The stored confirmations a replay of the events from ``since`` needs (their 30-day
        windows included): the replay then counts them by their time, as the guard did."""
        return self.store.confirmations(since - KEEP)

    def values(self, event: Event) -> dict[str, int | None]:
        """The event's merchant features: fraud confirmed before it, by window (None without a merchant)."""
        return self.index().values(event)

    def import_labels(
        self,
        events: Sequence[Event],
        labels: Mapping[str, int],
        confirmed_at: Mapping[str, datetime] | None = None,
        *,
        delay: timedelta = DEFAULT_CONFIRM_DELAY,
        actor: str,
    ) -> int:
        """Store a label file's fraud at merchants as confirmed (its ``confirmed_at``, else ``delay``
        after the event, and never later than now: the file is known now): the live guard then
        counts what training counted. How many were new."""
        now = self.clock()
        found = [
            c if c.confirmed_at <= now else replace(c, confirmed_at=max(now, c.occurred_at))
            for c in confirmations_from_labels(events, labels, confirmed_at, delay=delay)
        ]
        customers = {e.event_id: e.customer_id for e in events}
        return self.store.add_confirmations(found, customers=customers, source="import", actor=actor)
