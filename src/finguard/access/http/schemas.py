"""Wire models of staff access: pending changes, audit records, chain reports, accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from finguard.access.model import AuditEvent, PendingChange, StaffUser
from finguard.core.chain import ChainReport


class PendingChangeOut(BaseModel):
    id: int
    kind: str
    target: str
    summary: str
    reason: str
    payload: dict[str, Any]
    approver_roles: list[str]
    status: str
    proposed_by: str
    proposed_role: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    result: dict[str, Any]


def adapt_pending(c: PendingChange) -> PendingChangeOut:
    return PendingChangeOut(
        id=c.id,
        kind=c.proposal.kind,
        target=c.proposal.target,
        summary=c.proposal.summary,
        reason=c.proposal.reason,
        payload=c.proposal.payload,
        approver_roles=[r.value for r in c.proposal.approver_roles],
        status=c.status.value,
        proposed_by=c.proposed_by,
        proposed_role=c.proposed_role.value,
        proposed_at=c.proposed_at,
        decided_by=c.decided_by,
        decided_at=c.decided_at,
        decision_reason=c.decision_reason,
        result=c.result,
    )


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000, description="Why: recorded with the decision.")


class AuditOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


def adapt_audit(seq: int, e: AuditEvent) -> AuditOut:
    return AuditOut(seq=seq, at=e.at, actor=e.actor, action=e.action, target=e.target, detail=e.detail)


class ChainOut(BaseModel):
    table: str
    ok: bool
    rows: int
    head: str
    head_seq: int
    bad_seq: int | None
    problem: str | None


def adapt_chain(r: ChainReport) -> ChainOut:
    return ChainOut(table=r.table, ok=r.ok, rows=r.rows, head=r.head, head_seq=r.head_seq, bad_seq=r.bad_seq, problem=r.problem)


class UserOut(BaseModel):
    name: str
    role: str
    created_at: datetime
    disabled_at: datetime | None


def adapt_user(u: StaffUser) -> UserOut:
    return UserOut(name=u.name, role=u.role.value, created_at=u.created_at, disabled_at=u.disabled_at)
