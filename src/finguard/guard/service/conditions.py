"""Operator conditions: add, revoke (kept in history), list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from finguard.core.errors import Conflict, NotFound
from finguard.guard.model.conditions import Condition, ConditionDraft, SubjectType, validate_draft

Clock = Callable[[], datetime]


class ConditionStore(Protocol):
    def add_condition(self, draft: ConditionDraft, actor: str, now: datetime) -> Condition: ...
    def get_condition(self, condition_id: int) -> Condition | None: ...
    def revoke_condition(self, condition_id: int, actor: str, now: datetime) -> bool: ...
    def list_conditions(
        self, subject_type: SubjectType | None, subject: str | None, active_at: datetime | None, limit: int
    ) -> list[Condition]: ...
    def conditions_for(self, subjects: Sequence[tuple[SubjectType, str]]) -> list[Condition]: ...


class ConditionService:
    def __init__(self, store: ConditionStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def add(self, draft: ConditionDraft, actor: str) -> Condition:
        return self.store.add_condition(validate_draft(draft), actor, self.clock())

    def get(self, condition_id: int) -> Condition:
        found = self.store.get_condition(condition_id)
        if found is None:
            raise NotFound(f"no condition {condition_id}")
        return found

    def revoke(self, condition_id: int, actor: str) -> Condition:
        """Revoke from now on; the condition stays in history with who revoked it and when."""
        current = self.get(condition_id)
        if current.revoked_at is not None:
            raise Conflict(f"condition {condition_id} was already revoked")
        self.store.revoke_condition(condition_id, actor, self.clock())
        return self.get(condition_id)

    def list(
        self, *, subject_type: SubjectType | None = None, subject: str | None = None, active_only: bool = False, limit: int = 100
    ) -> list[Condition]:
        return self.store.list_conditions(subject_type, subject, self.clock() if active_only else None, limit)
