"""A draft rule's test run (#13): before a rule is enabled, replay the stored events of the last days
with the draft in shadow beside the rules in force, and report its hits, hit rate, confirmed fraud
among them and examples. The replay (``replay.replay``) writes nothing and raises no alert."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from finguard.guard.model.decision import Thresholds
from finguard.guard.model.events import Event, parse_event
from finguard.guard.model.merchant_risk import Confirmation
from finguard.guard.model.rules import CompiledRule, Rule, RuleMode, compile_rule
from finguard.guard.service.replay import replay
from finguard.guard.service.rules_service import DecisionSource


@dataclass(frozen=True, slots=True)
class TrialReport:
    since: datetime
    events: int  # stored events replayed
    hits: int  # of them, events the draft rule fired on
    fraud: int  # hits an analyst confirmed as fraud
    labelled: int
    examples: tuple[Event, ...]
    errors: int  # events on which the draft failed to evaluate
    capped: bool  # the window held more than ``limit`` events: the first ``limit`` (oldest first) were read

    @property
    def rate(self) -> float | None:
        return self.hits / self.events if self.events else None


def trial_rule(
    rule: Rule,
    source: DecisionSource,
    in_force: Sequence[CompiledRule],
    thresholds: Thresholds,
    *,
    since: datetime,
    labels: Mapping[str, int] | None = None,
    limit: int = 20_000,
    examples: int = 20,
    confirmations: Sequence[Confirmation] | None = None,
) -> TrialReport:
    """``rule`` (checked: InvalidInput names every bad field) over the events stored since ``since``;
    ``confirmations`` (the stored confirmed fraud) feed the merchant's features by their time."""
    draft = compile_rule(replace(rule, mode=RuleMode.SHADOW, enabled=True))
    stored = list(source.stored_decisions(since, None, limit))
    events = [parse_event(sd.event, None) for sd in stored]
    rules = [r for r in in_force if r.rule.id != rule.id] + [draft]
    report = replay(events, rules, thresholds, labels=labels or {}, keep_decisions=len(events), confirmations=confirmations)
    tally = report.shadow_rules.get(rule.id)
    by_id = {e.event_id: e for e in events}
    shown = tuple(by_id[d.event_id] for d in report.decisions if rule.id in d.shadow_fired)[:examples]
    return TrialReport(
        since, report.events, tally.flagged if tally else 0, tally.fraud_flagged if tally else 0, report.labelled, shown,
        report.errors.get(rule.id, 0), len(stored) >= limit,
    )
