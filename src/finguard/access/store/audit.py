"""The audit log table, hash-chained, and its SQL store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import JSON, Column, Engine, Index, String, Table, select, text

from finguard.access.model import AuditEvent
from finguard.core.chain import GENESIS, ChainReport, ChainRow, link, utc_text, verify
from finguard.core.clock import aware
from finguard.core.db import begin_write, execute_values, is_sqlite
from finguard.core.tables import Id, UTCDateTime, metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(500), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False),
    Index("ix_audit_log_actor", "actor", "seq"),
)


def audit_data(at: Any, actor: str, action: str, target: str, detail: Any) -> dict[str, Any]:
    """The fields the chain hashes, as they read back from either database."""
    return {"at": utc_text(at), "actor": actor, "action": action, "target": target, "detail": detail}


_INSERT = "INSERT INTO audit_log (at, actor, action, target, detail, prev_hash, row_hash)"


def _lock(conn: Any) -> None:
    # One chain: audit writers in every process take turns (SQLite's BEGIN IMMEDIATE already does).
    if not is_sqlite(conn):
        conn.execute(text("SELECT pg_advisory_xact_lock(7238414)"))


class SqlAuditStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def append(self, events: Sequence[AuditEvent]) -> None:
        """Rows built here and sent as a few multi-row statements, as the check log writes
        (:func:`~finguard.core.db.execute_values`; not ``executemany``, whose GIL hand-off per row
        starved this thread beside a busy event loop). Not SQLAlchemy's INSERT either: its per-row
        parameter processing and a second JSON encoding cost half of a record's ~30 us, and every
        staff API call writes one. The stored values are those SQLAlchemy's types would store:
        SQLite's naive UTC text with microseconds, PostgreSQL's aware time, the detail as JSON."""
        if not events:
            return
        with begin_write(self.engine) as conn:
            sqlite = is_sqlite(conn)
            _lock(conn)
            head = conn.execute(select(audit_log.c.row_hash).order_by(audit_log.c.seq.desc()).limit(1)).scalar()
            prev = head or GENESIS
            rows = []
            for e in events:
                at = aware(e.at) or e.at
                actor, action, target = e.actor[:200], e.action[:64], e.target[:500]
                stamp = utc_text(at)  # what audit_data hashes: "YYYY-MM-DDTHH:MM:SS.ffffffZ"
                row_hash = link(prev, {"at": stamp, "actor": actor, "action": action, "target": target, "detail": e.detail})
                stored = stamp[:-1].replace("T", " ") if sqlite else at
                rows.append((stored, actor, action, target, json.dumps(e.detail), prev, row_hash))
                prev = row_hash
            # rows in order: a multi-row VALUES inserts them in order, so seq follows the chain
            execute_values(conn, _INSERT, rows)

    def recent(self, *, limit: int, actor: str | None, action: str | None) -> list[tuple[int, AuditEvent]]:
        query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
        if actor:
            query = query.where(audit_log.c.actor == actor)
        if action:
            query = query.where(audit_log.c.action.startswith(action, autoescape=True))
        with self.engine.connect() as conn:
            return [
                (int(r.seq), AuditEvent(aware(r.at) or r.at, r.actor, r.action, r.target, dict(r.detail or {})))
                for r in conn.execute(query)
            ]

    def rows(self) -> Iterator[ChainRow]:
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=5000).execute(select(audit_log).order_by(audit_log.c.seq))
            for r in result:
                yield ChainRow(int(r.seq), r.prev_hash, r.row_hash, audit_data(r.at, r.actor, r.action, r.target, r.detail))

    def verify(self) -> ChainReport:
        return verify("audit_log", self.rows())
