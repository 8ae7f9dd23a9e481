"""Decisions: the outcome order, the reasons that explain them, and the precedence that combines them.

Precedence (:func:`resolve`), from strongest:

1. An operator **hard block** on any subject of the event: ``block``.
2. The **customer's own controls** (night lock, region lock, limits, cooling-off) are the
   customer's instructions: an operator override does not lift them.
3. An **error** (a rule that raised, the velocity store or the payee check unavailable) keeps the
   outcome at ``review`` or above: a payment is never approved because a check could not run.
4. An operator **allow override**: every remaining reason below is recorded but not applied.
5. Operator **soft block** and **hold**, list hits, rules (forced outcomes) and the score
   thresholds: the most severe applies.

Shadow reasons (``enforced=False``) are recorded and never change the outcome.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ALLOW = "allow"
    REVIEW = "review"
    HOLD = "hold"  # delay and confirm with the customer
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def moves_money(self) -> bool:
        """Whether the payment goes ahead: ``allow``, and ``review`` (it goes, and an analyst
        looks at it afterwards: the alert); ``hold`` delays it to confirm with the customer and
        ``block`` stops it."""
        return self is Outcome.ALLOW or self is Outcome.REVIEW

    @staticmethod
    def most_severe(outcomes: Iterable[Outcome]) -> Outcome:
        return max(outcomes, key=lambda o: o.rank, default=Outcome.ALLOW)


_RANK = {Outcome.ALLOW: 0, Outcome.REVIEW: 1, Outcome.HOLD: 2, Outcome.BLOCK: 3}


class ReasonKind(StrEnum):
    CONTROL = "control"
    CONDITION = "condition"
    LIST = "list"
    RULE = "rule"
    MODEL = "model"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Reason:
    """One thing that fired, with the values it saw.

    ``outcome`` is the least severe outcome this reason asks for (None: it only adds ``score``).
    """

    kind: ReasonKind
    code: str
    detail: str
    outcome: Outcome | None = None
    score: float = 0.0
    values: Mapping[str, Any] = field(default_factory=dict)
    enforced: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind._value_,  # ``.value`` without the enum property's call (#19)
            "code": self.code,
            "detail": self.detail,
            "outcome": self.outcome._value_ if self.outcome else None,
            "score": self.score,
            "values": dict(self.values),
            "enforced": self.enforced,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        return cls(
            ReasonKind(data["kind"]),
            data["code"],
            data["detail"],
            Outcome(data["outcome"]) if data.get("outcome") else None,
            float(data.get("score", 0.0)),
            dict(data.get("values") or {}),
            bool(data.get("enforced", True)),
        )


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Score thresholds: a total rule score at or above one gives that outcome."""

    review: float = 40.0
    hold: float = 70.0
    block: float = 100.0

    def outcome(self, score: float) -> Outcome:
        if score >= self.block:
            return Outcome.BLOCK
        if score >= self.hold:
            return Outcome.HOLD
        if score >= self.review:
            return Outcome.REVIEW
        return Outcome.ALLOW


HARD_BLOCK = "hard_block"
SOFT_BLOCK = "soft_block"
HOLD = "hold"
ALLOW_OVERRIDE = "allow_override"


def resolve(reasons: Iterable[Reason], thresholds: Thresholds, *, enforced_only: bool = True) -> tuple[Outcome, float]:
    """Combine reasons into (outcome, score) by the documented precedence.

    With ``enforced_only=False`` shadow reasons count too: the outcome shadow rules would give.
    """
    active = [r for r in reasons if r.enforced or not enforced_only]
    score = sum(r.score for r in active if r.kind in (ReasonKind.RULE, ReasonKind.MODEL))
    conditions = {r.code for r in active if r.kind is ReasonKind.CONDITION}
    if HARD_BLOCK in conditions:
        return Outcome.BLOCK, score
    floor = Outcome.most_severe(r.outcome for r in active if r.kind is ReasonKind.CONTROL and r.outcome)
    if any(r.kind is ReasonKind.ERROR for r in active):
        floor = Outcome.most_severe((floor, Outcome.REVIEW, *(r.outcome for r in active if r.kind is ReasonKind.ERROR and r.outcome)))
    if ALLOW_OVERRIDE in conditions:
        return floor, score
    rest = [r.outcome for r in active if r.outcome and r.kind in (ReasonKind.CONDITION, ReasonKind.LIST, ReasonKind.RULE, ReasonKind.MODEL)]
    return Outcome.most_severe((floor, *rest, thresholds.outcome(score))), score


@dataclass(frozen=True, slots=True)
class Decision:
    decision_id: str
    event_id: str
    customer_id: str
    event_type: str
    outcome: Outcome
    score: float
    reasons: tuple[Reason, ...]
    rule_version: int  # the rule-set version evaluated
    list_seq: int  # the risk-list change-log sequence the payee check reflected
    decided_at: datetime
    shadow_outcome: Outcome  # what the outcome would be with shadow rules enforced

    @property
    def enforced_reasons(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.enforced)
