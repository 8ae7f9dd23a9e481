"""Alerts: what any capability (screening, the guard, the monitors) raises for a person to work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class AlertDraft:
    kind: str
    subject: str
    severity: str
    summary: str
    details: dict[str, Any]
    source_seq: int | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    kind: str
    subject: str
    severity: str
    status: str
    summary: str
    details: dict[str, Any]
    created_at: datetime
