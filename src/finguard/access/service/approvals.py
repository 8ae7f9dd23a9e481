"""Maker-checker: a change that can lower an outcome waits for a second person with the right role.

A capability decides which of its changes need approval and registers how to apply each kind
(``register``). ``propose`` stores the change as pending; ``approve`` by someone else whose role
may approve that kind applies it (the change log then names both people); ``reject`` closes it.
The proposer can never approve their own change. Every step is recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from finguard.access.model import ChangeProposal, ChangeStatus, PendingChange, Principal, Role
from finguard.core.errors import Conflict, FinguardError, Forbidden, InvalidInput, NotFound

# Applies an approved change: (payload, actor for the change log) -> a short result for the record.
Applier = Callable[[dict[str, Any], str], dict[str, Any]]


class ApprovalStore(Protocol):
    def add(self, proposal: ChangeProposal, by: str, role: Role, at: datetime) -> PendingChange: ...
    def get(self, change_id: int) -> PendingChange | None: ...
    def find(self, *, status: ChangeStatus | None, limit: int) -> list[PendingChange]: ...
    def decide(
        self, change_id: int, status: ChangeStatus, by: str, at: datetime, reason: str, *, expect: ChangeStatus = ChangeStatus.PENDING
    ) -> bool: ...
    def set_result(self, change_id: int, status: ChangeStatus, result: dict[str, Any]) -> None: ...


class AuditSink(Protocol):
    def record(self, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None, *, sync: bool = False) -> None: ...


def _reason(reason: str, field: str = "reason") -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput.for_field(field, "is required: say why")
    if len(reason) > 2000:
        raise InvalidInput.for_field(field, "is longer than 2000 characters")
    return reason.strip()


class ApprovalService:
    def __init__(self, store: ApprovalStore, audit: AuditSink, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.audit = audit
        self.clock = clock
        self._appliers: dict[str, Applier] = {}

    def register(self, kind: str, applier: Applier) -> None:
        self._appliers[kind] = applier

    def propose(self, who: Principal, proposal: ChangeProposal) -> PendingChange:
        if proposal.kind not in self._appliers:
            raise RuntimeError(f"no applier registered for {proposal.kind!r}")
        change = self.store.add(proposal, who.actor, who.role, self.clock())
        self.audit.record(
            who.actor,
            "approval.propose",
            f"change {change.id}",
            {"kind": proposal.kind, "target": proposal.target, "summary": proposal.summary, "reason": proposal.reason},
            sync=True,
        )
        return change

    def get(self, change_id: int) -> PendingChange:
        change = self.store.get(change_id)
        if change is None:
            raise NotFound(f"no pending change with id {change_id}")
        return change

    def find(self, status: str | None = "pending", limit: int = 100) -> list[PendingChange]:
        try:
            wanted = ChangeStatus(status) if status else None
        except ValueError:
            raise InvalidInput.for_field("status", f"unknown status {status!r}; accepted: {', '.join(ChangeStatus)}") from None
        return self.store.find(status=wanted, limit=limit)

    def _decider(self, change: PendingChange, who: Principal, verb: str) -> None:
        if change.status is not ChangeStatus.PENDING:
            raise Conflict(f"change {change.id} is already {change.status.value}")
        if who.same_person(change.proposed_by):
            raise Forbidden(f"change {change.id} was proposed by {change.proposed_by}; a second person must {verb} it")
        if who.role not in change.proposal.approver_roles:
            roles = ", ".join(r.value for r in change.proposal.approver_roles)
            raise Forbidden(f"role {who.role.value!r} may not {verb} a {change.proposal.kind} change (needs {roles})")

    def approve(self, change_id: int, who: Principal, reason: str) -> PendingChange:
        why = _reason(reason)
        change = self.get(change_id)
        self._decider(change, who, "approve")
        if not self.store.decide(change_id, ChangeStatus.APPROVED, who.actor, self.clock(), why):
            raise Conflict(f"change {change_id} was decided by someone else just now")
        actor = f"{change.proposed_by} approved by {who.actor} (change {change_id})"
        try:
            result = self._appliers[change.proposal.kind](change.proposal.payload, actor[:200])
        except Exception as exc:  # recorded as failed (not approved) whatever went wrong, then raised
            error = exc.message if isinstance(exc, FinguardError) else f"{type(exc).__name__}: the change could not be applied"
            self.store.set_result(change_id, ChangeStatus.FAILED, {"error": error})
            self.audit.record(who.actor, "approval.failed", f"change {change_id}", {"reason": why, "error": error}, sync=True)
            raise
        self.store.set_result(change_id, ChangeStatus.APPROVED, result)
        self.audit.record(who.actor, "approval.approve", f"change {change_id}", {"reason": why, "result": result}, sync=True)
        return self.get(change_id)

    def reject(self, change_id: int, who: Principal, reason: str) -> PendingChange:
        why = _reason(reason)
        change = self.get(change_id)
        if change.status is not ChangeStatus.PENDING:
            raise Conflict(f"change {change.id} is already {change.status.value}")
        # The proposer may withdraw their own change; anyone else needs an approver's role.
        if not who.same_person(change.proposed_by):
            self._decider(change, who, "reject")
        if not self.store.decide(change_id, ChangeStatus.REJECTED, who.actor, self.clock(), why):
            raise Conflict(f"change {change_id} was decided by someone else just now")
        self.audit.record(who.actor, "approval.reject", f"change {change_id}", {"reason": why}, sync=True)
        return self.get(change_id)
