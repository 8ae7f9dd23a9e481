"""Rows of the shared alert store: alerts from screening, the guard and the monitors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    String,
    Table,
    Text,
    insert,
)
from sqlalchemy.engine import Engine

from finguard.core.clock import utcnow
from finguard.core.tables import Id, UTCDateTime, metadata

# Alerts from every capability (screening now; the transaction guard and monitors later).
alert = Table(
    "alert",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("source_seq", BigInteger, nullable=True),
    Index("ix_alert_status_created", "status", "created_at"),
    Index("ix_alert_subject", "subject"),  # monitors: which alerts an account already has (migration 0006)
)


class SqlAlertSink:
    """Writes an alert into the shared table at once (the edge's enumeration alerts)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def raise_alert(self, kind: str, subject: str, severity: str, summary: str, details: dict[str, Any]) -> None:
        row = {
            "kind": kind,
            "subject": subject[:300],
            "severity": severity,
            "status": "open",
            "summary": summary,
            "details": details,
            "created_at": self.clock(),
            "source_seq": None,
        }
        with self.engine.begin() as conn:
            conn.execute(insert(alert).values(**row))
