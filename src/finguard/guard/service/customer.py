"""Customer security controls: read, change (audited, loosening delayed) and the security check-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from finguard.guard.model.controls import (
    DEFAULT_DELAY,
    Advice,
    ControlSettings,
    CustomerControls,
    apply_change,
    checkup,
    controls_to_dict,
    settings_to_dict,
)

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class ControlChange:
    """One audited change request: who asked, through which channel, what before and after."""

    customer_id: str
    at: datetime
    actor: str
    channel: str
    at_branch: bool
    requested: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any]
    reason: str = ""  # why (a confirmation at a branch says what was checked there)


class ControlStore(Protocol):
    def get_controls(self, customer_id: str) -> CustomerControls | None: ...
    def save_controls(self, controls: CustomerControls, change: ControlChange) -> None:
        """Store ``controls`` (version must be the stored one plus one, else Conflict) and the audit row."""
        ...

    def control_changes(self, customer_id: str, limit: int) -> list[ControlChange]: ...


class CustomerControlService:
    def __init__(self, store: ControlStore, clock: Clock, *, delay: timedelta = DEFAULT_DELAY) -> None:
        self.store = store
        self.clock = clock
        self.delay = delay

    def get(self, customer_id: str) -> CustomerControls:
        return self.store.get_controls(customer_id) or CustomerControls(customer_id)

    def set(
        self, customer_id: str, requested: ControlSettings, *, actor: str, channel: str, at_branch: bool = False, reason: str = ""
    ) -> CustomerControls:
        """Apply a customer's request: tightening now, loosening after the delay unless at a branch."""
        now = self.clock()
        stored = self.store.get_controls(customer_id)
        before = stored or CustomerControls(customer_id)
        after = apply_change(before, requested, now, at_branch=at_branch, delay=self.delay)
        change = ControlChange(
            customer_id,
            now,
            actor,
            channel,
            at_branch,
            settings_to_dict(requested),
            controls_to_dict(stored) if stored else None,
            controls_to_dict(after),
            reason.strip()[:2000],
        )
        self.store.save_controls(after, change)
        return after

    def checkup(self, customer_id: str) -> list[Advice]:
        return checkup(self.store.get_controls(customer_id), self.clock())

    def history(self, customer_id: str, limit: int = 100) -> list[ControlChange]:
        return self.store.control_changes(customer_id, limit)
