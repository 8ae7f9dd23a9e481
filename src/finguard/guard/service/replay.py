"""Replay: decide past events as of their own time, on the side, and measure against labels.

The clock follows the events (no 30-day window); velocity, habits and first-seen state are
built fresh in memory from the replayed events alone; nothing is stored, no alert is raised,
nothing reaches the ledger. The same rule context and the same precedence (``resolve``) as the
live guard decide; customer controls, operator conditions and the payee check are not replayed
(they are today's, not the past's): a rule that reads ``payee.check`` sees None.

The report (:class:`ReplayReport`) gives, overall and for each rule: events flagged (outcome
above ``allow``), fraud caught (recall), precision, the share of legitimate events reviewed
and the share of fraud amount caught (in yuan: amounts in other currencies are converted as the
live guard converts them, and an event whose currency has no rate is an error, at least review).
Shadow rules never change an outcome; what each would have flagged is counted apart
(``shadow_rules``), so a bank can see a rule's cost before enforcing it.

Confirmed fraud is fed by its confirmation time, never ahead of it: ``confirmations`` (from the
labels: ``model.merchant_risk.confirmations_from_labels``, each fraud confirmed at the label file's
``confirmed_at`` or 7 days after the event) make an index read as of each replayed event's own
time, so ``vel.merchant_fraud_7d`` at ``t`` counts only fraud confirmed before ``t`` (the event's
own label included: it is confirmed after the event). Without ``confirmations`` those features are
missing and a rule on them never fires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from finguard.guard.model.context import rule_context
from finguard.guard.model.decision import Outcome, Reason, ReasonKind, Thresholds, resolve
from finguard.guard.model.events import Event
from finguard.guard.model.merchant_risk import Confirmation, ConfirmedFraudIndex
from finguard.guard.model.rules import CompiledRule, evaluate_rules
from finguard.guard.service.fx import Fx
from finguard.guard.service.velocity import MemoryBackend, Velocity

# A model's score of an event with its features, and its detail (the top reasons).
Scorer = Callable[[Event, Mapping[str, Any]], tuple[float, str] | None]


@dataclass(slots=True)
class Tally:
    """Counts for one rule (or overall)."""

    flagged: int = 0
    fraud_flagged: int = 0
    amount_flagged: float = 0.0

    def as_dict(self, fraud: int, legit: int, fraud_amount: float) -> dict[str, Any]:
        legit_flagged = self.flagged - self.fraud_flagged
        return {
            "flagged": self.flagged,
            "fraud_caught": self.fraud_flagged,
            "recall": round(self.fraud_flagged / fraud, 4) if fraud else None,
            "precision": round(self.fraud_flagged / self.flagged, 4) if self.flagged else None,
            "legit_reviewed": round(legit_flagged / legit, 5) if legit else None,
            "amount_caught": round(self.amount_flagged / fraud_amount, 4) if fraud_amount else None,
        }


@dataclass(frozen=True, slots=True)
class ReplayedDecision:
    event_id: str
    outcome: Outcome
    score: float
    fired: tuple[str, ...]
    model_score: float | None
    label: int | None
    shadow_fired: tuple[str, ...] = ()  # shadow rules that would have fired


@dataclass(slots=True)
class ReplayReport:
    events: int = 0
    labelled: int = 0
    fraud: int = 0
    fraud_amount: float = 0.0
    outcomes: dict[str, int] = field(default_factory=dict)
    overall: Tally = field(default_factory=Tally)
    rules: dict[str, Tally] = field(default_factory=dict)
    shadow_rules: dict[str, Tally] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    decisions: list[ReplayedDecision] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        legit = self.labelled - self.fraud
        return {
            "events": self.events,
            "labelled": self.labelled,
            "fraud": self.fraud,
            "outcomes": dict(self.outcomes),
            "overall": {**self.overall.as_dict(self.fraud, legit, self.fraud_amount), "review_rate": self.review_rate},
            "rules": {code: t.as_dict(self.fraud, legit, self.fraud_amount) for code, t in sorted(self.rules.items())},
            "shadow_rules": {code: t.as_dict(self.fraud, legit, self.fraud_amount) for code, t in sorted(self.shadow_rules.items())},
            "errors": dict(self.errors),
        }

    @property
    def review_rate(self) -> float | None:
        return round(self.overall.flagged / self.events, 5) if self.events else None


def replay(
    events: Sequence[Event],
    rules: Sequence[CompiledRule],
    thresholds: Thresholds,
    *,
    labels: Mapping[str, int] | None = None,
    model: Scorer | None = None,
    model_name: str = "model",
    measure: Callable[[Event], bool] | None = None,
    keep_decisions: int = 0,
    fx: Fx | None = None,
    confirmations: Sequence[Confirmation] | None = None,
) -> ReplayReport:
    """Decide ``events`` in time order as of their own time, and count what would have been flagged.

    ``labels`` (event id -> 1 fraud / 0 legitimate; an event without one is legitimate when labels
    are given) make recall and precision; ``measure`` limits the counts to some events (e.g. a
    hold-out period) while every event still builds the history.
    """
    velocity = Velocity(MemoryBackend(), fx=fx)
    fraud = ConfirmedFraudIndex(confirmations) if confirmations is not None else None
    report = ReplayReport()
    for event in sorted(events, key=lambda e: e.occurred_at):
        observed = velocity.observe(event)
        features, first_seen = observed.values, observed.payee_first_seen
        if fraud is not None and event.merchant is not None:
            features.update(fraud.values(event))
        reasons: list[Reason] = []
        info: dict[str, Any] = {"name": model_name, "score": None, "available": model is not None}
        score: float | None = None
        if model is not None:
            scored = model(event, features)
            if scored is not None:
                score, detail = scored
                info["score"] = score
                reasons.append(Reason(ReasonKind.MODEL, model_name, detail, None, 0.0, {"score": score}))
        yuan = velocity.fx.in_yuan(event)
        if yuan.unavailable:
            reasons.append(Reason(ReasonKind.ERROR, "currency_rate_unavailable", yuan.unavailable, Outcome.REVIEW))
        ctx = rule_context(event, features, first_seen, {"check": None, "risk_level": None, "lists": ()}, None, info, yuan.inputs())
        reasons += evaluate_rules(rules, ctx, event.type)
        outcome, total = resolve(reasons, thresholds)
        if measure is not None and not measure(event):
            continue
        label = None if labels is None else labels.get(event.event_id, 0)
        # The amount caught is counted in yuan (as sent where the currency has no rate).
        sent = yuan.amount if yuan.amount is not None else event.amount
        amount = float(sent) if sent is not None else 0.0
        report.events += 1
        report.outcomes[outcome.value] = report.outcomes.get(outcome.value, 0) + 1
        if label is not None:
            report.labelled += 1
            report.fraud += label
            report.fraud_amount += amount * label
        fired = tuple(r.code for r in reasons if r.kind is ReasonKind.RULE and r.enforced)
        for r in reasons:
            if r.kind is ReasonKind.ERROR:
                report.errors[r.code] = report.errors.get(r.code, 0) + 1
        shadow = tuple(r.code for r in reasons if r.kind is ReasonKind.RULE and not r.enforced)
        tallies = [report.rules.setdefault(code, Tally()) for code in fired]
        tallies += [report.shadow_rules.setdefault(code, Tally()) for code in shadow]
        if outcome is not Outcome.ALLOW:
            tallies.append(report.overall)
        for t in tallies:
            t.flagged += 1
            if label:
                t.fraud_flagged += 1
                t.amount_flagged += amount
        if len(report.decisions) < keep_decisions:
            report.decisions.append(ReplayedDecision(event.event_id, outcome, total, fired, score, label, shadow))
    return report
