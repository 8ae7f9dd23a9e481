"""The check log: every check, written in batches off the hot path.

When the database cannot take a batch (it is down, or unreachable), the batch goes to an
append-only spool file and is written, spooled records first, once it is back: no check record
is dropped by an outage.

Nor by overload. The buffer has no bound that drops records (it once kept the newest 200,000 and
silently dropped older ones when its writer fell behind); instead :meth:`BufferedCheckLog.pending`
tells how far behind the writer is, and the HTTP server refuses new requests past
``FINGUARD_MAX_LOG_BACKLOG`` (:meth:`finguard.app.platform.Platform.logs_behind`) until it has
caught up. A buffered record is an exact tuple of atomic values (strings, a datetime, a flat dict
of strings, an int), which the garbage collector stops tracking after its first look: tens of
thousands of records waiting no longer lengthen every full collection (a ``NamedTuple`` is never
untracked, and a backlog of 64,000 of them stretched full collections from 12 to 42 ms).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from finguard.core.db import begin_write, bind_processors, execute_values, is_sqlite
from finguard.core.spool import JsonSpool
from finguard.lists.service.checking import CheckRecord
from finguard.lists.store.tables import check_log

log = logging.getLogger(__name__)

_COLUMNS = ("check_id", "at", "view", "client", "query", "outcome", "seq")  # a buffered record's order


class BufferedCheckLog:
    """Writes check records in batches from a background thread, off the check's hot path."""

    def __init__(self, engine: Engine, flush_seconds: float = 0.2, *, spool: JsonSpool | None = None) -> None:
        self.engine = engine
        self.spool = spool
        self._write_lock = threading.Lock()
        self.flush_seconds = flush_seconds
        # (check_id, at, view, client, query as JSON, outcome, seq): a CheckRecord as a plain tuple
        self._buf: deque[tuple[Any, ...]] = deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="finguard-checklog", daemon=True)
        self._thread.start()

    def record(self, record: CheckRecord) -> None:
        self._buf.append(_buffered(record))

    def pending(self) -> int:
        """Records waiting for the writer (not counting the spool)."""
        return len(self._buf)

    def flush(self) -> int:
        """Write what is buffered. Plain DB-API ``executemany``: at tens of thousands of checks a
        second, SQLAlchemy's per-row type processing cost more CPU than the checks themselves."""
        with self._write_lock:
            records = []
            while self._buf:
                records.append(self._buf.popleft())
            written = 0
            try:
                if self.spool is not None and self.spool.pending():
                    written += self.spool.drain(lambda rows: self._write([_buffered(_from_dict(r)) for r in rows]))
                written += self._write(records)
            except Exception:
                if self.spool is None or not records:
                    raise
                self.spool.put([_to_dict(r) for r in records])
                raise
            return written

    def _write(self, records: list[tuple[Any, ...]]) -> int:
        if not records:
            return 0
        sqlite = is_sqlite(self.engine)
        # A spooled batch may be written twice after a crash mid-drain: a check id already stored is skipped.
        verb, tail = ("INSERT OR IGNORE", "") if sqlite else ("INSERT", " ON CONFLICT (check_id) DO NOTHING")
        head = f"{verb} INTO check_log ({', '.join(_COLUMNS)})"
        # The time through its column's own bind processing, as the ORM and core.db.values_insert
        # write it (SQLite: the naive UTC text with microseconds; text compares as time in one format
        # only). The other values need none: strings and an int as they are, and the query already
        # its JSON text (the JSON column's processor would encode it a second time).
        (stamp,) = bind_processors(self.engine.dialect, check_log, ("at",))
        rows = [(check_id, stamp(at), view, client, query, outcome, seq) for check_id, at, view, client, query, outcome, seq in records]
        with begin_write(self.engine) as conn:
            # a few statements of many rows, not executemany: see core.db.execute_values (the GIL)
            execute_values(conn, head, rows, tail=tail)
        return len(rows)

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            try:
                self.flush()
            except Exception as exc:
                log.error("check log flush failed (records kept in the spool): %s", exc)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception as exc:
            log.error("check log final flush failed: %s", exc)


def _buffered(r: CheckRecord) -> tuple[Any, ...]:
    # The query as its JSON text (which the writer needs anyway): a tuple holding a dict, even an
    # untracked one, stays tracked.
    return (r.check_id, r.at, r.view, r.client, json.dumps(r.query, ensure_ascii=False), r.outcome, r.seq)


def _to_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(CheckRecord._fields, (*row[:4], json.loads(row[4]), *row[5:]), strict=True))


def _from_dict(data: dict[str, Any]) -> CheckRecord:
    return CheckRecord(**{**data, "at": datetime.fromisoformat(data["at"])})
