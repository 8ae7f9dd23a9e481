"""Wire models for name screening and counterparty due diligence (#3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from finguard.alerts.model import Alert
from finguard.lists.http.schemas import IdentifierIn
from finguard.screening.model.diligence import Decision
from finguard.screening.service.diligence import PartyHit, Screening
from finguard.screening.service.matcher import ScreenHit

MAX_NAME = 10_000


class NameQueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=MAX_NAME, description="The name to screen, in any script.")
    kind: Literal["person", "organisation"] | None = None
    birth_date: str | None = Field(default=None, max_length=40)
    country: str | None = Field(default=None, max_length=100)
    gender: str | None = Field(default=None, max_length=20)
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=20)
    limit: int = Field(default=10, ge=1, le=100)


class CounterpartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str | None = Field(default=None, max_length=200, description="Your id for the party; default: the name.")
    kind: Literal["person", "organisation"] | None = Field(
        default=None, description="Default: organisation for a legal form in the name or purpose supplier, else person."
    )
    name: str = Field(default="", max_length=MAX_NAME, description="May be empty for a party known only by its identifiers.")
    purpose: Literal["contract", "merchant", "supplier", "hire", "customer"] = "customer"
    birth_date: str | None = Field(default=None, max_length=40)
    country: str | None = Field(default=None, max_length=100)
    gender: str | None = Field(default=None, max_length=20)
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=20)

    def to_record(self) -> dict[str, Any]:
        data = self.model_dump(exclude_none=True)
        data["identifiers"] = [i.model_dump() for i in self.identifiers]
        return data


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entry_id: int = Field(ge=1, le=2**63 - 1)  # a signed 64-bit id in the store
    decision: Literal["false_positive", "confirmed"]
    reason: str = Field(min_length=1, max_length=2000)


class FeatureOut(BaseModel):
    name: str
    value: float
    contribution: float
    explanation: str


class ScreenHitOut(BaseModel):
    entry_id: int
    list_code: str
    listed_name: str
    query_name: str
    score: float
    outcome: str
    features: list[FeatureOut]


class PartyHitOut(ScreenHitOut):
    entry_version: int
    suppressed: bool
    decision: str | None


class ScreenOut(BaseModel):
    outcome: Literal["match", "close_match", "no_match"]
    hits: list[ScreenHitOut]


class ScreeningOut(BaseModel):
    party_key: str
    name: str
    kind: str
    purpose: str
    outcome: Literal["match", "close_match", "no_match"]
    seq: int
    screened_at: datetime
    hits: list[PartyHitOut]
    alerts: list[int]


class DecisionOut(BaseModel):
    party_key: str
    entry_id: int
    decision: str
    reason: str
    actor: str
    at: datetime
    entry_version: int


class PartyOut(BaseModel):
    party_key: str
    name: str
    kind: str
    purpose: str
    decisions: list[DecisionOut]


class AlertOut(BaseModel):
    id: int
    kind: str
    subject: str
    severity: str
    status: str
    summary: str
    details: dict[str, Any]
    created_at: datetime


class BatchScreenOut(BaseModel):
    screened: int
    matches: int
    close_matches: int
    rejected: list[dict[str, Any]]
    results: list[ScreeningOut]


def adapt_hit(h: ScreenHit) -> ScreenHitOut:
    return ScreenHitOut(
        entry_id=h.entry_id,
        list_code=h.list_code,
        listed_name=h.listed_name,
        query_name=h.query_name,
        score=round(h.score, 4),
        outcome=h.outcome,
        features=[FeatureOut(name=f.name, value=f.value, contribution=f.contribution, explanation=f.explanation) for f in h.features],
    )


def adapt_party_hit(p: PartyHit) -> PartyHitOut:
    base = adapt_hit(p.hit).model_dump()
    return PartyHitOut(
        **base, entry_version=p.entry_version, suppressed=p.suppressed, decision=p.decision.decision.value if p.decision else None
    )


def adapt_screening(s: Screening) -> ScreeningOut:
    return ScreeningOut(
        party_key=s.party.key,
        name=s.party.name,
        kind=s.party.kind.value,
        purpose=s.party.purpose.value,
        outcome=s.outcome.value,
        seq=s.seq,
        screened_at=s.screened_at,
        hits=[adapt_party_hit(p) for p in s.hits],
        alerts=list(s.alerts),
    )


def adapt_decision(d: Decision) -> DecisionOut:
    return DecisionOut(
        party_key=d.party_key,
        entry_id=d.entry_id,
        decision=d.decision.value,
        reason=d.reason,
        actor=d.actor,
        at=d.at,
        entry_version=d.entry_version,
    )


def adapt_alert(a: Alert) -> AlertOut:
    return AlertOut(
        id=a.id,
        kind=a.kind,
        subject=a.subject,
        severity=a.severity,
        status=a.status,
        summary=a.summary,
        details=a.details,
        created_at=a.created_at,
    )
