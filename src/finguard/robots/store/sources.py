"""What each list's refresh from its configured source last saw and how it ended (``list_source``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from finguard.alerts.store import alert
from finguard.core.db import begin_write, dialect_insert
from finguard.robots.service.refresh import SourceState
from finguard.robots.store.tables import list_source


class SqlSourceStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def state(self, code: str) -> SourceState | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(list_source).where(list_source.c.list_code == code)).first()
        if r is None:
            return None
        return SourceState(r.list_code, r.url, r.format, dict(r.validators or {}), r.content_hash, r.source_date,
                           r.checked_at, r.verified_at, r.applied_at, r.error, r.failed_at, r.refused_hash)

    def states(self) -> list[SourceState]:
        with self.engine.connect() as conn:
            codes = list(conn.execute(select(list_source.c.list_code).order_by(list_source.c.list_code)).scalars())
        return [s for s in (self.state(c) for c in codes) if s is not None]

    def _upsert(self, code: str, values: dict[str, Any]) -> None:
        with begin_write(self.engine) as conn:
            stmt = dialect_insert(conn, list_source).values(list_code=code, **{"validators": {}, **values})
            conn.execute(stmt.on_conflict_do_update(index_elements=["list_code"], set_=values))

    def succeeded(self, code: str, url: str, fmt: str, validators: dict[str, Any], content_hash: str,
                  source_date: datetime | None, now: datetime, applied: bool) -> None:
        values: dict[str, Any] = {"url": url, "format": fmt, "validators": validators, "content_hash": content_hash,
                                  "source_date": source_date, "checked_at": now, "verified_at": now, "error": None,
                                  "failed_at": None}
        if applied:
            values["applied_at"] = now
        self._upsert(code, values)

    def failed(self, code: str, url: str, fmt: str, error: str, now: datetime) -> None:
        old = self.state(code)
        values: dict[str, Any] = {"url": url, "format": fmt, "checked_at": now, "error": error[:2000],
                                  "failed_at": old.failed_at if old is not None and old.failed_at is not None else now}
        self._upsert(code, values)

    def refused(self, code: str, content_hash: str, alert_row: dict[str, Any]) -> bool:
        """Record that this content was refused and raise its alert, both or neither; False when
        this content was refused before (its alert is out already)."""
        with begin_write(self.engine) as conn:
            done = conn.execute(update(list_source).where(list_source.c.list_code == code,
                                                          (list_source.c.refused_hash.is_(None))
                                                          | (list_source.c.refused_hash != content_hash))
                                .values(refused_hash=content_hash)).rowcount
            if not done:
                return False
            conn.execute(alert.insert().values(**alert_row))
        return True
