"""The check log: every check, written in batches off the hot path."""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from datetime import UTC

from sqlalchemy import Engine

from finguard.core.db import begin_write, is_sqlite
from finguard.lists.service.checking import CheckRecord

log = logging.getLogger(__name__)


class BufferedCheckLog:
    """Writes check records in batches from a background thread, off the check's hot path."""

    def __init__(self, engine: Engine, flush_seconds: float = 0.2, max_buffer: int = 200_000) -> None:
        self.engine = engine
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
        records = []
        while self._buf:
            records.append(self._buf.popleft())
        if not records:
            return 0
        sqlite = is_sqlite(self.engine)
        mark = "?" if sqlite else "%s"
        sql = f"INSERT INTO check_log (check_id, at, view, client, query, outcome, seq) VALUES ({', '.join([mark] * 7)})"
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
                log.error("check log flush failed: %s", exc)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self.flush()
        except Exception as exc:
            log.error("check log final flush failed: %s", exc)
