"""Pending changes (maker-checker) and their SQL store. The row's decision is set once, from
``pending``; the history of who proposed and who decided is also in the hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Engine, Index, String, Table, Text, insert, select, update

from finguard.access.model import ChangeProposal, ChangeStatus, PendingChange, Role
from finguard.core.clock import aware
from finguard.core.db import begin_write
from finguard.core.tables import Id, UTCDateTime, metadata

pending_change = Table(
    "pending_change",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("target", String(300), nullable=False),
    Column("summary", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("approver_roles", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("proposed_by", String(200), nullable=False),
    Column("proposed_role", String(32), nullable=False),
    Column("proposed_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", UTCDateTime, nullable=True),
    Column("decision_reason", Text, nullable=True),
    Column("result", JSON, nullable=True),
    Index("ix_pending_change_status", "status", "id"),
)


def _to_change(r: Any) -> PendingChange:
    proposal = ChangeProposal(
        r.kind, r.target, r.summary, dict(r.payload), tuple(Role(x) for x in r.approver_roles.split(",") if x), r.reason
    )
    return PendingChange(
        int(r.id),
        proposal,
        r.proposed_by,
        Role(r.proposed_role),
        aware(r.proposed_at) or r.proposed_at,
        ChangeStatus(r.status),
        r.decided_by,
        aware(r.decided_at),
        r.decision_reason,
        dict(r.result or {}),
    )


class SqlApprovalStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, proposal: ChangeProposal, by: str, role: Role, at: datetime) -> PendingChange:
        with begin_write(self.engine) as conn:
            new_id = conn.execute(
                insert(pending_change)
                .values(
                    kind=proposal.kind,
                    target=proposal.target[:300],
                    summary=proposal.summary,
                    payload=proposal.payload,
                    approver_roles=",".join(r.value for r in proposal.approver_roles),
                    reason=proposal.reason,
                    proposed_by=by,
                    proposed_role=role.value,
                    proposed_at=at,
                    status=ChangeStatus.PENDING.value,
                )
                .returning(pending_change.c.id)
            ).scalar_one()
        return PendingChange(int(new_id), proposal, by, role, at)

    def get(self, change_id: int) -> PendingChange | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(pending_change).where(pending_change.c.id == change_id)).first()
        return _to_change(row) if row else None

    def find(self, *, status: ChangeStatus | None, limit: int) -> list[PendingChange]:
        query = select(pending_change).order_by(pending_change.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(pending_change.c.status == status.value)
        with self.engine.connect() as conn:
            return [_to_change(r) for r in conn.execute(query)]

    def decide(
        self, change_id: int, status: ChangeStatus, by: str, at: datetime, reason: str, *, expect: ChangeStatus = ChangeStatus.PENDING
    ) -> bool:
        """Move a change from ``expect`` to ``status``; False when another decision came first."""
        with begin_write(self.engine) as conn:
            result = conn.execute(
                update(pending_change)
                .where(pending_change.c.id == change_id, pending_change.c.status == expect.value)
                .values(status=status.value, decided_by=by, decided_at=at, decision_reason=reason)
            )
            return bool(result.rowcount)

    def set_result(self, change_id: int, status: ChangeStatus, result: dict[str, Any]) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(update(pending_change).where(pending_change.c.id == change_id).values(status=status.value, result=result))
