"""The identity audit table and its repository (``VerificationLog``). No image, no embedding."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, Engine, Float, Index, String, Table, insert, select

from finguard.core.db import begin_write
from finguard.core.tables import Id, UTCDateTime, metadata
from finguard.identity.service.audit import AuditEntry

identity_check = Table(
    "identity_check",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("score", Float, nullable=True),
    Column("masked", Boolean, nullable=True),
    Column("detail", JSON, nullable=False),
    Index("ix_identity_check_at", "at"),
)


class SqlVerificationLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, entry: AuditEntry) -> int:
        with begin_write(self.engine) as conn:
            row = conn.execute(
                insert(identity_check).values(
                    at=entry.at,
                    actor=entry.actor[:64],
                    channel=entry.channel[:16],
                    kind=entry.kind,
                    subject=entry.subject[:64],
                    outcome=entry.outcome,
                    reason=entry.reason[:200],
                    score=entry.score,
                    masked=entry.masked,
                    detail=entry.detail,
                )
            )
            key = row.inserted_primary_key
            assert key is not None
            return int(key[0])

    def recent(self, limit: int) -> list[tuple[int, AuditEntry]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(identity_check).order_by(identity_check.c.id.desc()).limit(limit)).mappings().all()
        return [(int(r["id"]), _entry(r)) for r in rows]


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        at=r["at"],
        actor=r["actor"],
        channel=r["channel"],
        kind=r["kind"],
        outcome=r["outcome"],
        reason=r["reason"],
        subject=r["subject"],
        score=r["score"],
        masked=r["masked"],
        detail=dict(r["detail"] or {}),
    )
