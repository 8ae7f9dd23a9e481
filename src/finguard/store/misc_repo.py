"""SQL storage for API keys and the check log."""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from finguard.domain.errors import Conflict
from finguard.services.checking import CheckRecord
from finguard.services.keys import ApiKey
from finguard.services.lists import Role
from finguard.store.db import begin_write
from finguard.store.lists_repo import aware
from finguard.store.tables import api_key

log = logging.getLogger(__name__)


class SqlKeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_key(self, key: ApiKey, key_hash: str) -> None:
        with begin_write(self.engine) as conn:
            if conn.execute(select(api_key.c.id).where(api_key.c.name == key.name)).first():
                raise Conflict(f"a key named {key.name!r} already exists")
            conn.execute(
                insert(api_key).values(name=key.name, role=key.role.value, key_hash=key_hash, prefix=key.prefix, created_at=key.created_at)
            )

    @staticmethod
    def _to_key(row) -> ApiKey:  # type: ignore[no-untyped-def]
        return ApiKey(row.name, Role(row.role), row.prefix, aware(row.created_at) or row.created_at, aware(row.revoked_at))

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(api_key).where(api_key.c.key_hash == key_hash)).first()
        return self._to_key(row) if row else None

    def revoke_key(self, name: str, at: datetime) -> bool:
        with begin_write(self.engine) as conn:
            result = conn.execute(update(api_key).where(api_key.c.name == name, api_key.c.revoked_at.is_(None)).values(revoked_at=at))
            return bool(result.rowcount)

    def all_keys(self) -> list[ApiKey]:
        with self.engine.connect() as conn:
            return [self._to_key(r) for r in conn.execute(select(api_key).order_by(api_key.c.name))]


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
        sqlite = self.engine.dialect.name == "sqlite"
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
