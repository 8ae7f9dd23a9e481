"""Keeping a process's hot index current with the change log ("zero lag").

A :class:`Follower` reads the change log past the last sequence it applied, in a background
thread, woken by a notification where the database has one (PostgreSQL LISTEN/NOTIFY) and
polling every few milliseconds otherwise. Each successful read confirms the process is current;
a process that has not confirmed it recently answers ``unavailable``, never a stale ``pass``.
Writes in this process call :meth:`Follower.catch_up` before they return, so the next check in
the same process sees them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from finguard.lists.model.lists import Change
from finguard.lists.service.index import HotIndex

log = logging.getLogger(__name__)
BATCH = 5000


class ChangeSource(Protocol):
    def changes_since(self, seq: int, limit: int) -> list[Change]: ...


class Waiter(Protocol):
    """Blocks until a change may have happened, or the timeout passes."""

    def wait(self, timeout: float) -> None: ...
    def close(self) -> None: ...


class SleepWaiter:
    def __init__(self) -> None:
        self._stop = threading.Event()

    def wait(self, timeout: float) -> None:
        self._stop.wait(timeout)

    def close(self) -> None:
        self._stop.set()


class Follower:
    def __init__(
        self,
        source: ChangeSource,
        index: HotIndex,
        start_seq: int,
        *,
        poll_seconds: float = 0.02,
        max_staleness: float = 1.0,
        waiter: Waiter | None = None,
        on_apply: Callable[[list[Change]], None] | None = None,
        fallback_poll_seconds: float | None = None,
        fallback: str | None = None,
    ) -> None:
        self.source = source
        self.index = index
        self.seq = start_seq
        self.poll_seconds = poll_seconds
        # When the waiter fails (a lost LISTEN connection), poll this often instead.
        self.fallback_poll_seconds = fallback_poll_seconds if fallback_poll_seconds is not None else poll_seconds
        self.max_staleness = max_staleness
        self.waiter: Waiter = waiter or SleepWaiter()
        self.on_apply = on_apply
        # Why the follower polls every ``fallback_poll_seconds`` instead of being woken by a change
        # (the waiter could not be set up, or failed since); None while it works as designed.
        # Shown by /readyz and /metrics: polling keeps the process current, at more CPU.
        self.fallback = fallback
        self.confirmed_at = time.monotonic()
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def is_current(self) -> bool:
        return (time.monotonic() - self.confirmed_at) <= self.max_staleness

    def catch_up(self) -> int:
        """Apply every change past our sequence; return the sequence now reflected."""
        with self._lock:
            confirmed = time.monotonic()
            while True:
                changes = self.source.changes_since(self.seq, BATCH)
                if changes:
                    self.index.apply(changes)
                    self.seq = changes[-1].seq
                    if self.on_apply is not None:
                        self.on_apply(changes)
                if len(changes) < BATCH:
                    break
            self.confirmed_at = confirmed
            self.last_error = None
            return self.seq

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="finguard-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.waiter.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.catch_up()
            except Exception as exc:  # a lost database must show as 'unavailable', not kill the thread
                if self.last_error != str(exc):
                    log.warning("change feed read failed: %s", exc)
                self.last_error = str(exc)
                self._stop.wait(min(0.5, self.poll_seconds * 10))
                continue
            try:
                self.waiter.wait(self.poll_seconds)
            except Exception as exc:
                if self._stop.is_set():
                    break
                log.warning("change notification wait failed, polling the change log from now on: %s", exc)
                # The pace and the reason first, the waiter last: whoever sees the new waiter sees both.
                self.poll_seconds = self.fallback_poll_seconds
                self.fallback = f"the change notification wait failed ({type(exc).__name__})"
                self.waiter.close()
                self.waiter = SleepWaiter()
