"""Operator conditions: block, hold or allow a subject for some event types, from a start to an expiry.

Precedence (applied in :func:`finguard.guard.model.decision.resolve`): a hard block beats an
allow override, which beats a soft block or hold, which beat the rules. A subject matches an
event when it is the event's own account, card, device or customer, or the payee's account,
card or party id, so a block on a mule account stops payments to it as well as from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from finguard.core.errors import FieldProblem, InvalidIdentifier, InvalidInput
from finguard.core.identifiers import IdType, normalize
from finguard.guard.model.decision import ALLOW_OVERRIDE, HARD_BLOCK, HOLD, SOFT_BLOCK, Outcome, Reason, ReasonKind
from finguard.guard.model.events import Event, EventType


class ConditionKind(StrEnum):
    HARD_BLOCK = HARD_BLOCK
    SOFT_BLOCK = SOFT_BLOCK
    HOLD = HOLD
    ALLOW_OVERRIDE = ALLOW_OVERRIDE


_OUTCOME = {
    ConditionKind.HARD_BLOCK: Outcome.BLOCK,
    ConditionKind.SOFT_BLOCK: Outcome.BLOCK,
    ConditionKind.HOLD: Outcome.HOLD,
    ConditionKind.ALLOW_OVERRIDE: None,
}


class SubjectType(StrEnum):
    ACCOUNT = "account"
    CARD = "card"
    DEVICE = "device"
    PARTY = "party"
    CUSTOMER = "customer"


@dataclass(frozen=True, slots=True)
class ConditionDraft:
    kind: ConditionKind
    subject_type: SubjectType
    subject: str
    reason: str
    starts_at: datetime
    expires_at: datetime | None = None
    event_types: tuple[EventType, ...] = ()  # empty: every type


@dataclass(frozen=True, slots=True)
class Condition:
    id: int
    draft: ConditionDraft
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def active(self, at: datetime) -> bool:
        d = self.draft
        return d.starts_at <= at and (d.expires_at is None or at < d.expires_at) and (self.revoked_at is None or at < self.revoked_at)


def normalize_subject(subject_type: SubjectType, raw: object, field: str = "subject") -> str:
    """Normalise a subject as events normalise it, so a condition and an event compare equal."""
    try:
        if subject_type is SubjectType.ACCOUNT:
            return normalize(IdType.ACCOUNT, raw, field)
        if subject_type is SubjectType.CARD:
            return normalize(IdType.CARD, raw, field)
        if subject_type is SubjectType.DEVICE:
            return normalize(IdType.DEVICE, raw, field)
    except InvalidIdentifier as exc:
        raise InvalidInput(exc.message, problems=exc.problems) from None
    if not isinstance(raw, str) or not raw.strip() or len(raw) > 128:
        raise InvalidInput.for_field(field, "must be 1 to 128 characters")
    return raw.strip()


def validate_draft(d: ConditionDraft) -> ConditionDraft:
    problems = []
    if d.starts_at.tzinfo is None or (d.expires_at is not None and d.expires_at.tzinfo is None):
        problems.append(FieldProblem("starts_at", "times must include a time-zone offset"))
    elif d.expires_at is not None and d.expires_at <= d.starts_at:
        problems.append(FieldProblem("expires_at", "must be after starts_at"))
    if not d.reason.strip():
        problems.append(FieldProblem("reason", "is required: say why, for the record"))
    if problems:
        raise InvalidInput("; ".join(f"{p.field}: {p.problem}" for p in problems), problems=problems)
    return d


def subjects_of(event: Event) -> list[tuple[SubjectType, str]]:
    """Every (type, value) of the event that a condition can name."""
    out: list[tuple[SubjectType, str]] = [(SubjectType.CUSTOMER, event.customer_id), (SubjectType.PARTY, event.customer_id)]
    for kind, value in ((SubjectType.ACCOUNT, event.account), (SubjectType.CARD, event.card), (SubjectType.DEVICE, event.device)):
        if value:
            out.append((kind, value))
    if event.payee is not None:
        for kind, value in (
            (SubjectType.ACCOUNT, event.payee.account),
            (SubjectType.CARD, event.payee.card),
            (SubjectType.PARTY, event.payee.party_id),
        ):
            if value:
                out.append((kind, value))
    return list(dict.fromkeys(out))


def matching(conditions: Iterable[Condition], event: Event) -> list[Condition]:
    """The conditions in force for this event at its time."""
    subjects = set(subjects_of(event))
    return [
        c
        for c in conditions
        if (c.draft.subject_type, c.draft.subject) in subjects
        and c.active(event.occurred_at)
        and (not c.draft.event_types or event.type in c.draft.event_types)
    ]


def reasons(conditions: Sequence[Condition]) -> list[Reason]:
    return [
        Reason(
            ReasonKind.CONDITION,
            c.draft.kind.value,
            c.draft.reason,
            _OUTCOME[c.draft.kind],
            0.0,
            {"condition_id": c.id, "subject_type": c.draft.subject_type.value, "subject": c.draft.subject},
        )
        for c in conditions
    ]
