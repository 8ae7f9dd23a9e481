"""Staff roles, who is acting, pending changes (maker-checker) and audit events, as pure values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    ADMIN = "admin"  # runs the installation: keys, accounts, lists, rules; approves nothing that lowers an outcome
    SUPERVISOR = "supervisor"  # approves changes that lower an outcome on the bank's own lists, rules and controls
    ANALYST = "analyst"  # tellers and analysts: check, read, write the bank's own lists, propose
    POLICE = "police"  # the police liaison: writes (and approves delistings from) police-reported lists
    COMPLIANCE = "compliance"  # the sanctions officer: writes (and approves delistings from) sanctions lists


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: an integrator's API key, a signed-in staff member, or the operator at the CLI."""

    kind: str  # "key", "user" or "os"
    name: str
    role: Role

    @property
    def actor(self) -> str:
        """As the change log and the audit log record it."""
        return f"{self.kind}:{self.name}"

    def same_person(self, other_actor: str) -> bool:
        # A person may hold a key and an account under one name: either counts as the same person.
        return other_actor == self.actor or other_actor.split(":", 1)[-1] == self.name


class ChangeStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    FAILED = "failed"  # approved, but the change could no longer be applied (the message says why)


@dataclass(frozen=True, slots=True)
class ChangeProposal:
    """A change that could lower an outcome, waiting for a second person."""

    kind: str  # what applies it, e.g. "lists.delist"
    target: str  # what it touches, e.g. "police-fraud/entry 12"
    summary: str  # one line for the approver
    payload: dict[str, Any]
    approver_roles: tuple[Role, ...]
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PendingChange:
    id: int
    proposal: ChangeProposal
    proposed_by: str
    proposed_role: Role
    proposed_at: datetime
    status: ChangeStatus = ChangeStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One staff action, key event or read of a customer's data."""

    at: datetime
    actor: str
    action: str  # e.g. "key.create", "approval.approve", "api.get", "page.get"
    target: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "actor": self.actor, "action": self.action, "target": self.target, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditEvent:
        return cls(datetime.fromisoformat(data["at"]), data["actor"], data["action"], data.get("target", ""), data.get("detail") or {})


@dataclass(frozen=True, slots=True)
class StaffUser:
    name: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """A staff page session: a random token (only its hash is stored), an expiry, a revocation."""

    token_hash: str
    principal: Principal
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
