"""Analysts work decisions: see the event, its customer's recent history and the reasons;
release a held payment or confirm fraud (who and why kept); the labels feed training."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from finguard.core.errors import NotFound
from finguard.guard.model.review import Review, new_review
from finguard.guard.service.rules_service import StoredDecision


class ReviewStore(Protocol):
    def stored_decision(self, decision_id: str) -> StoredDecision | None: ...
    def history_of(self, customer_id: str, before: datetime, limit: int) -> list[StoredDecision]:
        """The customer's decided events that occurred before ``before``, newest first."""
        ...

    def add_review(self, review: Review) -> None: ...
    def reviews_of(self, decision_id: str) -> list[Review]: ...
    def labels(self, since: datetime | None, until: datetime | None) -> list[Review]:
        """The latest review of each event reviewed in [since, until), oldest first."""
        ...


@dataclass(frozen=True, slots=True)
class Case:
    """What an analyst sees: the decision with its event, the customer's recent history, the reviews."""

    stored: StoredDecision
    history: list[StoredDecision]
    reviews: list[Review]


class ReviewService:
    def __init__(self, store: ReviewStore, clock: Callable[[], datetime], *, history: int = 10) -> None:
        self.store = store
        self.clock = clock
        self.history = history

    def case(self, decision_id: str) -> Case:
        stored = self.store.stored_decision(decision_id)
        if stored is None:
            raise NotFound(f"no decision {decision_id!r}")
        at = datetime.fromisoformat(str(stored.event["occurred_at"]))
        return Case(stored, self.store.history_of(stored.decision.customer_id, at, self.history), self.store.reviews_of(decision_id))

    def review(self, decision_id: str, action: object, reason: object, actor: str) -> Review:
        stored = self.store.stored_decision(decision_id)
        if stored is None:
            raise NotFound(f"no decision {decision_id!r}")
        review = new_review(stored.decision, action, reason, actor, self.clock())
        self.store.add_review(review)
        return review

    def labels(self, since: datetime | None = None, until: datetime | None = None) -> Sequence[Review]:
        return self.store.labels(since, until)
