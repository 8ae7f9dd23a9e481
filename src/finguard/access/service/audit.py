"""The audit log: every staff action, key event and read of a customer's data, hash-chained.

Records are written in batches by a background thread (a staff call never waits for it), or at
once with ``sync=True`` (key events, approvals). When the database cannot take them they go to an
append-only spool file and are written, in order, when it returns: a database outage never drops
an audit record. The chain is computed by the writer under the audit table's lock, so concurrent
processes extend one chain.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
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
        self._buf: deque[AuditEvent] = deque()
        self._lock = threading.Lock()  # one writer at a time in this process keeps the order
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(flush_seconds,), name="finguard-audit", daemon=True)
        self._thread.start()

    def record(self, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None, *, sync: bool = False) -> None:
        self._buf.append(AuditEvent(self.clock(), actor, action, target[:500], detail or {}))
        if sync:
            self.flush()

    def flush(self) -> int:
        """Write the spool (older records first), then the buffer; what the database refuses goes
        to the spool. Returns the number of records written to the database."""
        with self._lock:
            events: list[AuditEvent] = []
            while self._buf:
                events.append(self._buf.popleft())
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

