"""Wire models of the transaction guard (#4) and the adapt_* functions from domain values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from finguard.guard.model.conditions import Condition
from finguard.guard.model.controls import Advice, CustomerControls, controls_to_dict
from finguard.guard.model.decision import Decision
from finguard.guard.model.events import EventType
from finguard.guard.model.rules import Rule
from finguard.guard.service.customer import ControlChange
from finguard.guard.service.rules_service import BacktestReport, StoredRule

Money = Decimal
# The same names as finguard.guard.model.events.CHANNELS (a test keeps them equal).
Channel = Literal["mobile", "web", "counter", "atm", "pos", "api", "phone", "wechat", "other"]
OutcomeName = Literal["allow", "review", "hold", "block"]


class ReasonOut(BaseModel):
    kind: str
    code: str
    detail: str
    outcome: str | None
    score: float
    values: dict[str, Any]
    enforced: bool


class DecisionOut(BaseModel):
    decision_id: str
    event_id: str
    customer_id: str
    event_type: str
    outcome: OutcomeName
    score: float
    shadow_outcome: OutcomeName
    reasons: list[ReasonOut]
    rule_version: int
    list_seq: int
    decided_at: datetime


def adapt_decision(d: Decision) -> DecisionOut:
    return DecisionOut(
        decision_id=d.decision_id,
        event_id=d.event_id,
        customer_id=d.customer_id,
        event_type=d.event_type,
        outcome=d.outcome.value,
        score=d.score,
        shadow_outcome=d.shadow_outcome.value,
        reasons=[ReasonOut(**r.as_dict()) for r in d.reasons],
        rule_version=d.rule_version,
        list_seq=d.list_seq,
        decided_at=d.decided_at,
    )


class DecisionList(BaseModel):
    count: int
    decisions: list[DecisionOut]


# -- customer controls ---------------------------------------------------------------------


class NightLockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    start: str = Field(default="00:00", pattern=r"^\d{2}:\d{2}$", description="HH:MM local time")
    end: str = Field(default="06:00", pattern=r"^\d{2}:\d{2}$")
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    mode: Literal["block", "cap"] = "block"
    cap: Money = Field(default=Decimal("0"), ge=0, max_digits=15, decimal_places=2)


class RegionLockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    allowed: list[str] = Field(default_factory=lambda: ["CN"], max_length=300)
    unknown: OutcomeName = "review"


class ChannelLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Channel
    single: Money | None = Field(default=None, ge=0, max_digits=15, decimal_places=2)
    daily: Money | None = Field(default=None, ge=0, max_digits=15, decimal_places=2)


class LimitsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channels: list[ChannelLimitIn] = Field(default_factory=list, max_length=20)


class CoolingOffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    hours: int = Field(default=24, ge=1, le=720)
    cap: Money = Field(default=Decimal("0"), ge=0, max_digits=15, decimal_places=2)


class ControlsIn(BaseModel):
    """The protections as the customer wants them. Loosening waits 24 h unless ``at_branch``."""

    model_config = ConfigDict(extra="forbid")
    night_lock: NightLockIn = Field(default_factory=NightLockIn)
    region_lock: RegionLockIn = Field(default_factory=RegionLockIn)
    limits: LimitsIn = Field(default_factory=LimitsIn)
    cooling_off: CoolingOffIn = Field(default_factory=CoolingOffIn)
    channel: Channel = Field(description="The customer's channel the request came through")
    at_branch: bool = Field(default=False, description="Confirmed in person at a branch: loosening takes effect at once")
    reason: str = Field(default="", max_length=2000, description="Why; at a branch, what was checked (kept with the change)")

    def settings(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"channel", "at_branch", "reason"})


class ProtectionOut(BaseModel):
    current: dict[str, Any]
    pending: dict[str, Any] | None
    pending_off_until: datetime | None


class ControlsOut(BaseModel):
    customer_id: str
    version: int
    updated_at: datetime | None
    night_lock: ProtectionOut
    region_lock: ProtectionOut
    limits: ProtectionOut
    cooling_off: ProtectionOut


def adapt_controls(c: CustomerControls) -> ControlsOut:
    data = controls_to_dict(c)
    return ControlsOut(
        customer_id=c.customer_id, version=c.version, updated_at=c.updated_at, **{k: ProtectionOut(**v) for k, v in data.items()}
    )


class ControlChangeOut(BaseModel):
    at: datetime
    actor: str
    channel: str
    at_branch: bool
    requested: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any]
    reason: str = ""


def adapt_change(c: ControlChange) -> ControlChangeOut:
    return ControlChangeOut(
        at=c.at, actor=c.actor, channel=c.channel, at_branch=c.at_branch, requested=c.requested, before=c.before, after=c.after,
        reason=c.reason,
    )


class AdviceOut(BaseModel):
    code: str
    zh: str
    en: str


class CheckupOut(BaseModel):
    customer_id: str
    protections_off: int
    advice: list[AdviceOut]


def adapt_checkup(customer_id: str, advice: list[Advice]) -> CheckupOut:
    return CheckupOut(
        customer_id=customer_id,
        protections_off=sum(1 for a in advice if a.code != "pending"),
        advice=[AdviceOut(code=a.code, zh=a.zh, en=a.en) for a in advice],
    )


# -- operator conditions -------------------------------------------------------------------


class ConditionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["hard_block", "soft_block", "hold", "allow_override"]
    subject_type: Literal["account", "card", "device", "party", "customer"]
    subject: str = Field(min_length=1, max_length=256)
    reason: str = Field(min_length=1, max_length=2000)
    starts_at: datetime | None = Field(default=None, description="Default: now")
    expires_at: datetime | None = None
    event_types: list[EventType] = Field(default_factory=list, description="Empty: every event type")


class ConditionOut(BaseModel):
    id: int
    kind: str
    subject_type: str
    subject: str
    reason: str
    starts_at: datetime
    expires_at: datetime | None
    event_types: list[str]
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None


def adapt_condition(c: Condition) -> ConditionOut:
    d = c.draft
    return ConditionOut(
        id=c.id,
        kind=d.kind.value,
        subject_type=d.subject_type.value,
        subject=d.subject,
        reason=d.reason,
        starts_at=d.starts_at,
        expires_at=d.expires_at,
        event_types=[t.value for t in d.event_types],
        created_by=c.created_by,
        created_at=c.created_at,
        revoked_at=c.revoked_at,
        revoked_by=c.revoked_by,
    )


# -- rules ---------------------------------------------------------------------------------


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expression: str = Field(min_length=1, max_length=2000)
    description: str = Field(min_length=1, max_length=500)
    score: float = Field(default=0.0, ge=-1000, le=1000)
    outcome: Literal["review", "hold", "block"] | None = None
    mode: Literal["enforce", "shadow"] = "enforce"
    event_types: list[EventType] = Field(default_factory=list)
    enabled: bool = True


class RuleCreateIn(RuleIn):
    id: str = Field(min_length=2, max_length=64)


class RuleOut(BaseModel):
    id: str
    version: int
    expression: str
    description: str
    score: float
    outcome: str | None
    mode: str
    event_types: list[str]
    enabled: bool


def adapt_rule(r: Rule) -> RuleOut:
    return RuleOut(
        id=r.id,
        version=r.version,
        expression=r.expression,
        description=r.description,
        score=r.score,
        outcome=r.outcome.value if r.outcome else None,
        mode=r.mode.value,
        event_types=[t.value for t in r.event_types],
        enabled=r.enabled,
    )


class RuleVersionOut(RuleOut):
    set_version: int
    actor: str
    at: datetime


def adapt_rule_version(s: StoredRule) -> RuleVersionOut:
    return RuleVersionOut(**adapt_rule(s.rule).model_dump(), set_version=s.set_version, actor=s.actor, at=s.at)


class RuleListOut(BaseModel):
    rule_version: int
    rules: list[RuleOut]


class BacktestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_version: int | None = Field(default=None, ge=0, le=2**31 - 1, description="Default: the current rule set")
    since: datetime | None = None
    until: datetime | None = None
    limit: int = Field(default=10_000, ge=1, le=100_000)


class RuleTestIn(RuleCreateIn):
    """A draft rule and how many days of stored events to test it on (#13). Nothing is stored."""

    days: int = Field(default=7, ge=1, le=90)


class TrialEventOut(BaseModel):
    event_id: str
    type: str
    occurred_at: datetime
    customer_id: str
    channel: str
    amount: str | None


class RuleTestOut(BaseModel):
    since: datetime
    events: int = Field(description="Stored events replayed")
    hits: int = Field(description="Events the draft rule fired on")
    hit_rate: float | None
    fraud: int = Field(description="Hits an analyst confirmed as fraud")
    labelled: int
    errors: int = Field(description="Events on which the draft failed to evaluate")
    capped: bool = Field(description="The window held more events than the limit: the first ones (oldest first) were read")
    examples: list[TrialEventOut]


def adapt_trial(r: Any) -> RuleTestOut:
    return RuleTestOut(
        since=r.since, events=r.events, hits=r.hits, hit_rate=r.rate, fraud=r.fraud, labelled=r.labelled, errors=r.errors,
        capped=r.capped,
        examples=[TrialEventOut(event_id=e.event_id, type=e.type.value, occurred_at=e.occurred_at, customer_id=e.customer_id,
                                channel=e.channel, amount=None if e.amount is None else str(e.amount)) for e in r.examples],
    )


class ChangeOut(BaseModel):
    event_id: str
    decision_id: str
    before: str
    after: str


class BacktestOut(BaseModel):
    rule_version: int
    evaluated: int
    changed: int
    transitions: dict[str, int]
    fired: dict[str, int]
    errors: dict[str, int]
    changes: list[ChangeOut]


def adapt_backtest(r: BacktestReport) -> BacktestOut:
    return BacktestOut(
        rule_version=r.rule_version,
        evaluated=r.evaluated,
        changed=r.changed,
        transitions=r.transitions,
        fired=r.fired,
        errors=r.errors,
        changes=[ChangeOut(event_id=c.event_id, decision_id=c.decision_id, before=c.before, after=c.after) for c in r.changes],
    )
