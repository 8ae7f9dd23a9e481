"""The check log: every check, written in batches off the hot path.

When the database cannot take a batch (it is down, or unreachable), the batch goes to an
append-only spool file and is written, spooled records first, once it is back: no check record
is dropped by an outage.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from finguard.core.db import begin_write, is_sqlite
from finguard.core.spool import JsonSpool
from finguard.lists.service.checking import CheckRecord

log = logging.getLogger(__name__)


class BufferedCheckLog:
    """Writes check records in batches from a background thread, off the check's hot path."""

    def __init__(self, engine: Engine, flush_seconds: float = 0.2, max_buffer: int = 200_000, *, spool: JsonSpool | None = None) -> None:
        self.engine = engine
        self.spool = spool
        self._write_lock = threading.Lock()
        self.flush_seconds = flush_seconds
        self._buf: deque[CheckRecord] = deque(maxlen=max_buffer)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="finguard-checklog", daemon=True)
        self._thread.start()

    def record(self, record: CheckRecord) -> None:
        self._buf.append(record)

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
                    written += self.spool.drain(lambda rows: self._write([_from_dict(r) for r in rows]))
                written += self._write(records)
            except Exception:
                if self.spool is None or not records:
                    raise
                self.spool.put([r._asdict() for r in records])
                raise
            return written

    def _write(self, records: list[CheckRecord]) -> int:
        if not records:
            return 0
        sqlite = is_sqlite(self.engine)
        mark = "?" if sqlite else "%s"
        # A spooled batch may be written twice after a crash mid-drain: a check id already stored is skipped.
        verb, tail = ("INSERT OR IGNORE", "") if sqlite else ("INSERT", " ON CONFLICT (check_id) DO NOTHING")
        sql = f"{verb} INTO check_log (check_id, at, view, client, query, outcome, seq) VALUES ({', '.join([mark] * 7)}){tail}"
        rows = [
            (
                r.check_id,
                # SQLAlchemy keeps SQLite datetimes as naive UTC text; PostgreSQL takes them as they are.
                r.at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") if sqlite else r.at,
                r.view,
                r.client,
                json.dumps(r.query, ensure_ascii=False),
                r.outcome,
                r.seq,
            )
            for r in records
        ]
        with begin_write(self.engine) as conn:
            conn.exec_driver_sql(sql, rows)
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


def _from_dict(data: dict[str, Any]) -> CheckRecord:
    return CheckRecord(**{**data, "at": datetime.fromisoformat(data["at"])})
