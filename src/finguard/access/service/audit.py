"""The audit log: every staff action, key event and read of a customer's data, hash-chained.

Records are written in batches by a background thread (a staff call never waits for it), or at
once with ``sync=True`` (key events, approvals). When the database cannot take them they go to an
append-only spool file and are written, in order, when it returns: a database outage never drops
an audit record. The chain is computed by the writer under the audit table's lock, so concurrent
processes extend one chain.

Nor does overload drop one: the buffer has no bound; :meth:`AuditLog.pending` tells how far
behind the writer is, and the HTTP server refuses new requests past ``FINGUARD_MAX_LOG_BACKLOG``
until it has caught up. A buffered record is a plain tuple of atomic values (the
:class:`AuditEvent` is built by the writer), which the garbage collector stops tracking, so a
backlog does not lengthen every full collection.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import chain
from typing import Any, Protocol

from finguard.access.model import AuditEvent
from finguard.core.chain import ChainReport

log = logging.getLogger(__name__)


class AuditStore(Protocol):
    def append(self, events: Sequence[AuditEvent]) -> None:
        """Append in order, extending the hash chain, in one transaction."""
        ...

    def recent(self, *, limit: int, actor: str | None, action: str | None) -> list[tuple[int, AuditEvent]]: ...
    def verify(self) -> ChainReport: ...


class Spool(Protocol):
    """An append-only file of records the database could not take yet (``core.spool.JsonSpool``)."""

    def put(self, records: Sequence[dict[str, Any]]) -> None: ...
    def drain(self, write: Callable[[list[dict[str, Any]]], object]) -> int: ...
    def pending(self) -> bool: ...


class AuditLog:
    def __init__(self, store: AuditStore, spool: Spool, clock: Callable[[], datetime], *, flush_seconds: float = 0.5) -> None:
        self.store = store
        self.spool = spool
        self.clock = clock
        # (at, actor, action, target, the detail's keys and values in turn): a tuple holding a dict,
        # even an untracked one, stays tracked
        self._buf: deque[tuple[datetime, str, str, str, tuple[Any, ...]]] = deque()
        self._lock = threading.Lock()  # one writer at a time in this process keeps the order
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(flush_seconds,), name="finguard-audit", daemon=True)
        self._thread.start()

    def record(self, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None, *, sync: bool = False) -> None:
        self._buf.append((self.clock(), actor, action, target[:500], tuple(chain.from_iterable(detail.items())) if detail else ()))
        if sync:
            self.flush()

    def pending(self) -> int:
        """Records waiting for the writer (not counting the spool)."""
        return len(self._buf)

    def flush(self) -> int:
        """Write the spool (older records first), then the buffer; what the database refuses goes
        to the spool. Returns the number of records written to the database."""
        with self._lock:
            events: list[AuditEvent] = []
            while self._buf:
                at, actor, action, target, flat = self._buf.popleft()
                events.append(AuditEvent(at, actor, action, target, dict(zip(flat[::2], flat[1::2], strict=True))))
            written = 0
            try:
                if self.spool.pending():
                    written += self.spool.drain(lambda rows: self.store.append([AuditEvent.from_dict(r) for r in rows]))
                if events:
                    self.store.append(events)
                    written += len(events)
            except Exception as exc:
                if events:
                    self.spool.put([e.to_dict() for e in events])
                log.warning("audit log: the database refused %d record(s), kept in the spool: %s", len(events), exc)
            return written

    def recent(self, *, limit: int = 100, actor: str | None = None, action: str | None = None) -> list[tuple[int, AuditEvent]]:
        self.flush()
        return self.store.recent(limit=limit, actor=actor, action=action)

    def verify(self) -> ChainReport:
        self.flush()
        return self.store.verify()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()
