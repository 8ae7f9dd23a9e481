"""Which guard changes can lower an outcome, and so wait for a second person (#18).

A rule switched off or to shadow mode, an enforced rule whose condition or outcome is rewritten
(a rule can only ask for review, hold or block, so a new one never lowers); an allow override added or a blocking condition revoked; a
customer's protection loosened by staff at once (at a branch). Everything else (a new blocking
rule, a tightened control, a customer's own loosening, which waits 24 hours) applies at once.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from finguard.access.model import Role
from finguard.guard.model.conditions import ConditionDraft, ConditionKind, SubjectType
from finguard.guard.model.controls import ControlSettings, CustomerControls
from finguard.guard.model.decision import Outcome
from finguard.guard.model.events import EventType
from finguard.guard.model.rules import Rule, RuleMode

APPROVERS = (Role.SUPERVISOR,)


def rule_lowers(old: Rule | None, new: Rule) -> bool:
    if old is None or not old.enabled or old.mode is not RuleMode.ENFORCE:
        return False
    if not new.enabled or new.mode is not RuleMode.ENFORCE:
        return True
    what = (old.expression, old.outcome, old.score, old.event_types)
    return what != (new.expression, new.outcome, new.score, new.event_types)


def controls_loosen(current: CustomerControls, requested: ControlSettings, now: datetime) -> bool:
    """Any protection in ``requested`` looser than the one in force."""
    return not all(
        (
            requested.night_lock.at_least_as_strict_as(current.night_lock.settled(now).current),
            requested.region_lock.at_least_as_strict_as(current.region_lock.settled(now).current),
            requested.limits.at_least_as_strict_as(current.limits.settled(now).current),
            requested.cooling_off.at_least_as_strict_as(current.cooling_off.settled(now).current),
        )
    )


def condition_add_lowers(draft: ConditionDraft) -> bool:
    return draft.kind is ConditionKind.ALLOW_OVERRIDE


def condition_revoke_lowers(kind: ConditionKind) -> bool:
    return kind is not ConditionKind.ALLOW_OVERRIDE


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    data = asdict(rule)
    data.update(outcome=rule.outcome.value if rule.outcome else None, mode=rule.mode.value, event_types=[t.value for t in rule.event_types])
    data.pop("version")
    return data


def rule_from_dict(data: dict[str, Any]) -> Rule:
    return Rule(
        data["id"],
        data["expression"],
        data["description"],
        data["score"],
        Outcome(data["outcome"]) if data.get("outcome") else None,
        RuleMode(data["mode"]),
        tuple(EventType(t) for t in data.get("event_types") or ()),
        data["enabled"],
    )


def condition_to_dict(d: ConditionDraft) -> dict[str, Any]:
    return {
        "kind": d.kind.value,
        "subject_type": d.subject_type.value,
        "subject": d.subject,
        "reason": d.reason,
        "starts_at": d.starts_at.isoformat(),
        "expires_at": d.expires_at.isoformat() if d.expires_at else None,
        "event_types": [t.value for t in d.event_types],
    }


def condition_from_dict(data: dict[str, Any]) -> ConditionDraft:
    return ConditionDraft(
        ConditionKind(data["kind"]),
        SubjectType(data["subject_type"]),
        data["subject"],
        data["reason"],
        datetime.fromisoformat(data["starts_at"]),
        datetime.fromisoformat(data["expires_at"]) if data.get("expires_at") else None,
        tuple(EventType(t) for t in data.get("event_types") or ()),
    )
