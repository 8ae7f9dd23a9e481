"""Who may write which list, and which list changes can lower an outcome (and so need a second person).

Authority follows the harm a change can do. Police-reported lists are written only by the police
liaison role and sanctions lists only by the sanctions officer (compliance): nobody else can add,
modify or delist there. A change that can turn a block into a pass (any allow-list entry added,
relisted, raised or extended; a risk entry delisted, lowered or given an earlier expiry) is not
applied by its maker: it becomes a pending change that a second person approves, one of the
owner's role for police and sanctions lists, a supervisor for the bank's own lists.
"""

from __future__ import annotations

from datetime import datetime

from finguard.access.model import Role
from finguard.core.errors import Forbidden
from finguard.lists.model.lists import ListKind, RiskLevel, RiskList

_OWN = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.ANALYST})

WRITERS: dict[ListKind, frozenset[Role]] = {
    ListKind.FRAUD_ACCOUNT: frozenset({Role.POLICE}),
    ListKind.SANCTIONS: frozenset({Role.COMPLIANCE}),
    ListKind.MULE_ACCOUNT: _OWN,
    ListKind.DISHONEST_DEBTOR: _OWN,
    ListKind.INTERNAL: _OWN,
    ListKind.ALLOW: _OWN,
}

APPROVERS: dict[ListKind, tuple[Role, ...]] = {
    ListKind.FRAUD_ACCOUNT: (Role.POLICE,),
    ListKind.SANCTIONS: (Role.COMPLIANCE,),
}
DEFAULT_APPROVERS = (Role.SUPERVISOR,)


def may_write(role: Role, kind: ListKind) -> bool:
    return role in WRITERS[kind]


def check_write(role: Role, lst: RiskList) -> None:
    if not may_write(role, lst.kind):
        allowed = ", ".join(sorted(r.value for r in WRITERS[lst.kind]))
        raise Forbidden(f"role {role.value!r} may not write the {lst.kind.value} list {lst.code!r} (only {allowed})")


def approvers(kind: ListKind) -> tuple[Role, ...]:
    return APPROVERS.get(kind, DEFAULT_APPROVERS)


def _later(new: datetime | None, old: datetime | None) -> bool:
    """``new`` expires later than ``old`` (None: never)."""
    if new is None:
        return old is not None
    return old is not None and new > old


def add_lowers(kind: ListKind) -> bool:
    """Adding (or relisting) an entry lowers outcomes only on an allow list."""
    return kind is ListKind.ALLOW


def delist_lowers(kind: ListKind) -> bool:
    """Delisting lowers outcomes on every risk list; delisting an allow entry raises them."""
    return kind is not ListKind.ALLOW


def modify_lowers(
    kind: ListKind, old_level: RiskLevel, new_level: RiskLevel, old_expiry: datetime | None, new_expiry: datetime | None
) -> bool:
    if kind is ListKind.ALLOW:
        return new_level > old_level or _later(new_expiry, old_expiry)
    return new_level < old_level or _later(old_expiry, new_expiry)
