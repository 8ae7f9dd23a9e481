"""The audit of every identity check: who asked, what kind, the answer and why; never an image.

Numbers are kept masked (first 4 and last 4 characters); a face verification keeps its verdict,
reason, distance, mask flag and quality measurements, never a picture or an embedding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    channel: str
    kind: str
    outcome: str
    reason: str = ""
    subject: str = ""
    score: float | None = None
    masked: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class VerificationLog(Protocol):
    def record(self, entry: AuditEntry) -> int: ...

    def recent(self, limit: int) -> list[tuple[int, AuditEntry]]: ...


def mask_number(number: str) -> str:
    """``110105********0022``: enough for a teller to recognise, not to re-use."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]
