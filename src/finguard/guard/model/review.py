"""An analyst's word on a decision: release a held payment, confirm fraud, or mark it legitimate.

Each review is kept (append-only) with who and why; the latest review of an event is its label
for training (``finguard guard labels export``): ``confirm_fraud`` is 1, ``release`` and
``legit`` are 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.guard.model.decision import Decision, Outcome

MAX_REASON = 500


class ReviewAction(StrEnum):
    RELEASE = "release"  # a held or blocked payment goes ahead: the customer confirmed it
    CONFIRM_FRAUD = "confirm_fraud"
    LEGIT = "legit"  # looked at, not fraud (a review that needs no release)

    @property
    def label(self) -> int:
        return 1 if self is ReviewAction.CONFIRM_FRAUD else 0


@dataclass(frozen=True, slots=True)
class Review:
    decision_id: str
    event_id: str
    customer_id: str
    action: ReviewAction
    actor: str
    reason: str
    at: datetime

    @property
    def label(self) -> int:
        return self.action.label


def new_review(decision: Decision, action: object, reason: object, actor: str, at: datetime) -> Review:
    """Validate an analyst's review of ``decision``; every problem is named."""
    problems: list[FieldProblem] = []
    chosen: ReviewAction | None = None
    try:
        chosen = ReviewAction(str(action))
    except ValueError:
        problems.append(FieldProblem("action", f"{str(action)[:30]!r}; accepted: {', '.join(a.value for a in ReviewAction)}"))
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        problems.append(FieldProblem("reason", "say why (it is kept with the label)"))
    elif len(text) > MAX_REASON:
        problems.append(FieldProblem("reason", f"is longer than {MAX_REASON} characters"))
    if chosen is ReviewAction.RELEASE and decision.outcome not in (Outcome.HOLD, Outcome.BLOCK):
        problems.append(FieldProblem("action", f"only a held or blocked payment can be released; this one was {decision.outcome.value}"))
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    assert chosen is not None
    return Review(decision.decision_id, decision.event_id, decision.customer_id, chosen, actor, text, at)
