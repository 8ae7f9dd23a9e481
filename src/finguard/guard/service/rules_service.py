"""Rules: stored with every version (append-only), hot-reloaded, and backtested over stored events.

Every change bumps the rule-set version. A process keeps the compiled set in memory and asks
the store for the version before a decision (at most every ``check_seconds``); a change made by
this process (through any store on the same engine) is visible to its next decision at once, one
made by another process after that version check. A rule set at version *v* is, for each rule, its newest version saved at or
before *v*.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from finguard.core.errors import Conflict, NotFound
from finguard.guard.model.context import decode, rule_context
from finguard.guard.model.decision import Decision, ReasonKind, Thresholds, resolve
from finguard.guard.model.events import parse_event
from finguard.guard.model.rules import CompiledRule, Rule, compile_rule, evaluate_rules

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class StoredRule:
    rule: Rule
    set_version: int
    actor: str
    at: datetime


class RuleStore(Protocol):
    def local_rule_changes(self) -> int:
        """A count of rule changes made in this process on this database (by any store on it)."""
        ...

    def rules_version(self) -> int: ...
    def rules_at(self, set_version: int) -> list[Rule]: ...
    def add_rule_version(self, rule: Rule, actor: str, now: datetime) -> tuple[Rule, int]: ...
    def rule_history(self, rule_id: str) -> list[StoredRule]: ...


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decided event as the ledger holds it, with the inputs its rules saw."""

    event: dict[str, Any]
    decision: Decision
    inputs: dict[str, Any]


class DecisionSource(Protocol):
    def stored_decisions(self, since: datetime | None, until: datetime | None, limit: int) -> Iterable[StoredDecision]: ...


@dataclass(frozen=True, slots=True)
class RuleSet:
    version: int
    rules: tuple[CompiledRule, ...]


@dataclass(frozen=True, slots=True)
class Change:
    event_id: str
    decision_id: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class BacktestReport:
    rule_version: int
    evaluated: int
    changed: int
    transitions: dict[str, int]
    fired: dict[str, int]
    errors: dict[str, int]
    changes: list[Change] = field(default_factory=list)


def replay(rules: RuleSet, stored: StoredDecision, thresholds: Thresholds) -> tuple[str, list[str], list[str]]:
    """The outcome ``rules`` would have given a stored decision; the rules that fired and that failed.

    Every other reason (conditions, controls, list hits, errors of the velocity or payee check)
    is kept as it was recorded: only the rules change.
    """
    event = parse_event(stored.event, None)
    i = decode(stored.inputs)
    # The yuan amount the decision compared (``fx``; absent on decisions stored before #11's conversion).
    ctx = rule_context(
        event, i.get("features") or {}, i.get("payee_first_seen"), i.get("payee") or {}, None, i.get("model") or {}, i.get("fx")
    )
    ctx["customer"] = dict(i.get("customer") or ctx["customer"])
    ctx["event"]["local_hour"] = i.get("local_hour", ctx["event"]["local_hour"])
    kept = [r for r in stored.decision.reasons if r.kind is not ReasonKind.RULE and r.values.get("source") != "rule"]
    fresh = evaluate_rules(rules.rules, ctx, event.type)
    outcome, _ = resolve([*kept, *fresh], thresholds)
    fired = [r.code for r in fresh if r.kind is ReasonKind.RULE and r.enforced]
    failed = [r.code for r in fresh if r.kind is ReasonKind.ERROR and r.enforced]
    return outcome.value, fired, failed


class RulesService:
    def __init__(self, store: RuleStore, clock: Clock, *, check_seconds: float = 0.0) -> None:
        self.store = store
        self.clock = clock
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._set: RuleSet | None = None
        self._checked = float("-inf")
        self._local = -1

    def current(self) -> RuleSet:
        """The rule set in force, reloaded when the store's version moved."""
        now = time.monotonic()
        local = self.store.local_rule_changes()
        cached = self._set
        if cached is not None and local == self._local and now - self._checked < self.check_seconds:
            return cached
        version = self.store.rules_version()
        self._checked, self._local = now, local
        if cached is not None and cached.version == version:
            return cached
        with self._lock:
            if self._set is None or self._set.version != version:
                self._set = self.at(version)
            return self._set

    def at(self, version: int) -> RuleSet:
        rules = [compile_rule(r) for r in self.store.rules_at(version)]
        return RuleSet(version, tuple(sorted((r for r in rules if r.rule.enabled), key=lambda r: r.rule.id)))

    def rules(self) -> list[Rule]:
        """The newest version of every rule, disabled ones included."""
        return sorted(self.store.rules_at(self.store.rules_version()), key=lambda r: r.id)

    def get(self, rule_id: str) -> Rule:
        found = next((r for r in self.rules() if r.id == rule_id), None)
        if found is None:
            raise NotFound(f"no rule {rule_id!r}")
        return found

    def save(self, rule: Rule, actor: str) -> Rule:
        """Validate, compile and store a new version of a rule (the version number is assigned)."""
        compile_rule(rule)
        saved, _ = self.store.add_rule_version(rule, actor, self.clock())
        self._checked = float("-inf")  # this process sees its own change on the next decision
        return saved

    def create(self, rule: Rule, actor: str) -> Rule:
        """Store version 1 of a new rule; a rule id already in use is a conflict (adding a version
        of an existing rule is :meth:`save`)."""
        if any(r.id == rule.id for r in self.rules()):
            raise Conflict(f"rule {rule.id!r} exists; PUT /rules/{rule.id} adds a version")
        return self.save(rule, actor)

    def disable(self, rule_id: str, actor: str) -> Rule:
        return self.save(replace(self.get(rule_id), enabled=False), actor)

    def history(self, rule_id: str) -> list[StoredRule]:
        found = self.store.rule_history(rule_id)
        if not found:
            raise NotFound(f"no rule {rule_id!r}")
        return found

    def install(self, rules: Sequence[Rule], actor: str) -> list[Rule]:
        """Add the rules whose id is not stored yet (a rule pack); existing rules are left alone."""
        have = {r.id for r in self.rules()}
        return [self.save(r, actor) for r in rules if r.id not in have]

    def backtest(
        self,
        source: DecisionSource,
        thresholds: Thresholds,
        *,
        version: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 10_000,
        sample: int = 50,
    ) -> BacktestReport:
        """Replay a rule-set version over stored decisions and report what would have changed."""
        rules = self.at(self.store.rules_version() if version is None else version)
        evaluated = changed = 0
        transitions: Counter[str] = Counter()
        fired: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        changes: list[Change] = []
        for stored in source.stored_decisions(since, until, limit):
            outcome, hit, failed = replay(rules, stored, thresholds)
            evaluated += 1
            fired.update(hit)
            errors.update(failed)
            before = stored.decision.outcome.value
            if outcome != before:
                changed += 1
                transitions[f"{before}->{outcome}"] += 1
                if len(changes) < sample:
                    changes.append(Change(stored.decision.event_id, stored.decision.decision_id, before, outcome))
        return BacktestReport(rules.version, evaluated, changed, dict(transitions), dict(fired), dict(errors), changes)
