"""Relief events: versioned, append-only, reversible.

Each event on a loan gets the next version. A reversal is itself an event naming the version it
reverses; the schedule in force is the replay of the terms and every change not reversed, in
version order. Nothing is ever edited or deleted, so the history says who changed what and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from finguard.core.errors import Conflict, NotFound
from finguard.loans.model.relief import Change, change_as_dict


@dataclass(frozen=True, slots=True)
class ReliefEvent:
    loan_id: str
    version: int
    change: Change | None  # None: a reversal
    reverses: int | None
    actor: str
    at: datetime
    reason: str = ""
    decision_id: int | None = None  # the eligibility decision that granted it, if any
    cost: dict[str, Any] | None = None  # relief.Assessment.as_dict() when it was applied

    def change_dict(self) -> dict[str, Any] | None:
        return change_as_dict(self.change) if self.change else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "loan_id": self.loan_id,
            "version": self.version,
            "change": change_as_dict(self.change) if self.change else None,
            "reverses": self.reverses,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "decision_id": self.decision_id,
            "cost": self.cost,
        }


def active(events: Sequence[ReliefEvent]) -> list[ReliefEvent]:
    """The events whose changes are in force, in version order."""
    reversed_versions = {e.reverses for e in events if e.reverses is not None}
    return [e for e in sorted(events, key=lambda e: e.version) if e.change is not None and e.version not in reversed_versions]


def next_version(events: Sequence[ReliefEvent]) -> int:
    return max((e.version for e in events), default=0) + 1


def check_reversible(events: Sequence[ReliefEvent], version: int) -> ReliefEvent:
    """The event ``version`` if it may be reversed: it exists, is a change and is still in force."""
    target = next((e for e in events if e.version == version), None)
    if target is None:
        raise NotFound(f"loan {events[0].loan_id if events else ''} has no relief event version {version}")
    if target.change is None:
        raise Conflict(f"version {version} is itself a reversal; apply the change again instead")
    if any(e.reverses == version for e in events):
        raise Conflict(f"version {version} is already reversed")
    return target
