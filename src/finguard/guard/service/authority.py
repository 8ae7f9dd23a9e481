"""Guard changes by a person: maker-checker for rules, conditions and controls that lower outcomes.

The API and the staff pages change rules, operator conditions and customer controls through
:class:`GuardAuthority`; a change that can lower an outcome (:mod:`finguard.guard.model.authority`)
becomes a pending change a supervisor approves. The guard itself is built only when a change is
made or applied (``guard`` is a provider), so registering the appliers costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from finguard.access.model import ChangeProposal, PendingChange, Principal
from finguard.access.service.approvals import ApprovalService
from finguard.guard.model.authority import (
    APPROVERS,
    condition_add_lowers,
    condition_from_dict,
    condition_revoke_lowers,
    condition_to_dict,
    controls_loosen,
    rule_from_dict,
    rule_lowers,
    rule_to_dict,
)
from finguard.guard.model.conditions import Condition, ConditionDraft
from finguard.guard.model.controls import ControlSettings, CustomerControls, settings_from_dict, settings_to_dict
from finguard.guard.model.rules import Rule, compile_rule
from finguard.guard.service.engine import GuardService

RULE, CONDITION_ADD, CONDITION_REVOKE, CONTROLS = "guard.rule", "guard.condition_add", "guard.condition_revoke", "guard.controls"


class GuardAuthority:
    def __init__(self, guard: Callable[[], GuardService], approvals: ApprovalService) -> None:
        self._guard = guard
        self.approvals = approvals
        approvals.register(RULE, self._apply_rule)
        approvals.register(CONDITION_ADD, self._apply_condition_add)
        approvals.register(CONDITION_REVOKE, self._apply_condition_revoke)
        approvals.register(CONTROLS, self._apply_controls)

    def save_rule(self, rule: Rule, who: Principal) -> Rule | PendingChange:
        g = self._guard()
        old = next((r for r in g.rules.rules() if r.id == rule.id), None)
        if not rule_lowers(old, rule):
            return g.rules.save(rule, who.actor)
        compile_rule(rule)  # a bad rule is refused now, not when approved
        verb = "disable" if old is not None and old.enabled and not rule.enabled else "change"
        proposal = ChangeProposal(RULE, f"rule {rule.id}", f"{verb} guard rule {rule.id!r}", rule_to_dict(rule), APPROVERS)
        return self.approvals.propose(who, proposal)

    def disable_rule(self, rule_id: str, who: Principal) -> Rule | PendingChange:
        return self.save_rule(replace(self._guard().rules.get(rule_id), enabled=False), who)

    def add_condition(self, draft: ConditionDraft, who: Principal) -> Condition | PendingChange:
        g = self._guard()
        if not condition_add_lowers(draft):
            return g.conditions.add(draft, who.actor)
        summary = f"allow override for {draft.subject_type.value} {draft.subject}"
        proposal = ChangeProposal(CONDITION_ADD, summary, summary, condition_to_dict(draft), APPROVERS, draft.reason)
        return self.approvals.propose(who, proposal)

    def revoke_condition(self, condition_id: int, who: Principal) -> Condition | PendingChange:
        g = self._guard()
        condition = g.conditions.get(condition_id)
        if condition.revoked_at is not None or not condition_revoke_lowers(condition.draft.kind):
            return g.conditions.revoke(condition_id, who.actor)
        d = condition.draft
        summary = f"revoke {d.kind.value} condition {condition_id} on {d.subject_type.value} {d.subject}"
        proposal = ChangeProposal(CONDITION_REVOKE, f"condition {condition_id}", summary, {"condition_id": condition_id}, APPROVERS)
        return self.approvals.propose(who, proposal)

    def set_controls(
        self, customer_id: str, requested: ControlSettings, who: Principal, *, channel: str, at_branch: bool, reason: str = ""
    ) -> CustomerControls | PendingChange:
        """A loosening confirmed at a branch would apply at once: a second person approves it.
        Without a branch it waits the customer-protection delay, as the customer's own would.
        ``reason``: why (at a branch, what was checked); kept on the change row and the proposal."""
        g = self._guard()
        current = g.controls.get(customer_id)
        if not at_branch or not controls_loosen(current, requested, g.controls.clock()):
            return g.controls.set(customer_id, requested, actor=who.actor, channel=channel, at_branch=at_branch, reason=reason)
        payload = {"customer_id": customer_id, "settings": settings_to_dict(requested), "channel": channel, "reason": reason}
        summary = f"loosen the security controls of customer {customer_id} at once (at a branch)"
        proposal = ChangeProposal(CONTROLS, f"customer {customer_id}", summary, payload, APPROVERS, reason)
        return self.approvals.propose(who, proposal)

    # -- what an approval applies ---------------------------------------------------------------

    def _apply_rule(self, payload: dict[str, Any], actor: str) -> dict[str, Any]:
        saved = self._guard().rules.save(rule_from_dict(payload), actor)
        return {"rule": saved.id, "version": saved.version}

    def _apply_condition_add(self, payload: dict[str, Any], actor: str) -> dict[str, Any]:
        return {"condition_id": self._guard().conditions.add(condition_from_dict(payload), actor).id}

    def _apply_condition_revoke(self, payload: dict[str, Any], actor: str) -> dict[str, Any]:
        return {"condition_id": self._guard().conditions.revoke(int(payload["condition_id"]), actor).id}

    def _apply_controls(self, payload: dict[str, Any], actor: str) -> dict[str, Any]:
        settings = settings_from_dict(payload["settings"])
        after = self._guard().controls.set(
            payload["customer_id"], settings, actor=actor, channel=payload["channel"], at_branch=True, reason=payload.get("reason") or ""
        )
        return {"customer_id": after.customer_id, "version": after.version}
