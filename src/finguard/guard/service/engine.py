"""The guard: one synchronous, idempotent, explained decision per event.

:meth:`GuardService.decide` is the single entry point (the API, a batch replay);
:meth:`GuardService.decide_many` decides a batch (the stream consumer). In order: operator
conditions, velocity features (counted once per event id), the merchant's confirmed fraud
(``service.merchant_risk``), the customer's controls, the payee check, the model score, the
rules (enforced and shadow), then
:func:`finguard.guard.model.decision.resolve`; then the ledger stores the decision, unless the
event id is already stored: its stored decision is returned instead (the same id with another
body is refused and raises an alert). Recently decided ids are answered from memory without
evaluating. A part that fails becomes an ``error`` reason and the outcome is at least ``review``.
A payment the decision lets through is written to the fund-flow ledger in the transaction that
stores the decision (:mod:`finguard.guard.model.ledger`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from finguard.alerts.model import AlertDraft
from finguard.core.errors import Conflict, InvalidInput, NotFound
from finguard.guard.model.conditions import Condition, SubjectType, matching, subjects_of
from finguard.guard.model.conditions import reasons as condition_reasons
from finguard.guard.model.context import decode, encode, rule_context
from finguard.guard.model.controls import ControlContext, ControlSettings, CustomerControls
from finguard.guard.model.controls import evaluate as evaluate_controls
from finguard.guard.model.decision import ALLOW_OVERRIDE, HARD_BLOCK, Decision, Outcome, Reason, ReasonKind, Thresholds, resolve
from finguard.guard.model.events import Event, parse_event, record_hash
from finguard.guard.model.features import Explained
from finguard.guard.model.ledger import LedgerPayment, ledger_payment
from finguard.guard.model.rules import evaluate_rules
from finguard.guard.service.conditions import ConditionService
from finguard.guard.service.customer import CustomerControlService
from finguard.guard.service.fx import Fx, InYuan, default_fx
from finguard.guard.service.merchant_risk import MerchantRiskService
from finguard.guard.service.reviews import ReviewService
from finguard.guard.service.rules_service import RuleSet, RulesService, StoredDecision
from finguard.guard.service.velocity import DAILY_PAID, FeatureValue, Velocity, VelocityUnavailable
from finguard.lists.model.check import CheckRequest, CheckResult
from finguard.lists.model.check import Outcome as CheckOutcome

if TYPE_CHECKING:
    from finguard.guard.service.batcher import DecisionBatcher

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
_SEVERITY = {Outcome.REVIEW: "low", Outcome.HOLD: "medium", Outcome.BLOCK: "high"}
# FINGUARD_GUARD_EXPLAIN_FLOOR's default: a calibrated score of 5 % is tens of times the base rate of
# fraud in a bank's payments, the lowest score an analyst reads as "the model saw something"; the
# starter pack's model rule asks 0.9 and the bench's rules 0.5 and above (profile-19, stop 22).
EXPLAIN_FLOOR = 0.05


class ModelScorer(Protocol):
    """A fraud model. Its calibrated score (0..1) and top reasons, or None when it cannot score;
    rules read the score as ``model.score``."""

    name: str

    def explain(self, event: Event, features: Mapping[str, Any]) -> Explained | None: ...

    # Optional (``LightGBMScorer``): ``explain_many`` (the same, many events in one call) and
    # ``score_many`` (the scores alone, ``explained`` False); ``version`` (which model file).


class NoModel:
    """The default: no model is trained yet, every score is unavailable."""

    name = "none"

    def explain(self, event: Event, features: Mapping[str, Any]) -> Explained | None:
        return None


class PayeeCheck(Protocol):
    def check(self, request: CheckRequest, *, view: str = "staff", client: str = "library") -> CheckResult: ...


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision to store with its event, the inputs its rules saw, its alert (if any) and the
    ledger transfer of a payment it let through (if any)."""

    event: Event
    body_hash: str
    decision: Decision
    inputs: dict[str, Any]
    alert: AlertDraft | None
    payment: LedgerPayment | None = None
    body: dict[str, Any] | None = None  # event.to_record(), when the caller has made it already


class DecisionLedger(Protocol):
    def find_decision(self, event_id: str) -> tuple[str, Decision] | None:
        """The stored body hash and decision of an event id."""
        ...

    def record_decisions(self, records: Sequence[DecisionRecord], now: datetime) -> list[tuple[str, Decision]]:
        """Store events, their decisions, alerts and ledger payments in one transaction. An event
        id already stored (a replay, or another process won a race) stores nothing: its stored
        body hash and decision are returned in its place. Distinct event ids only."""
        ...

    def get_decision(self, decision_id: str) -> Decision | None: ...
    def decisions_of(self, customer_id: str, limit: int, offset: int) -> list[Decision]: ...
    def add_guard_alert(self, alert: AlertDraft, now: datetime) -> None: ...
    def get_controls(self, customer_id: str) -> CustomerControls | None: ...
    def conditions_for(self, subjects: Sequence[tuple[SubjectType, str]]) -> list[Condition]: ...
    def cached_controls(self, customer_id: str) -> CustomerControls | None:
        """``get_controls`` through a cache that follows changes (at once in this process)."""
        ...

    def cached_conditions(self, subjects: Sequence[tuple[SubjectType, str]]) -> list[Condition]:
        """``conditions_for`` through a cache that follows changes (at once in this process)."""
        ...


class GuardStore(DecisionLedger, Protocol):
    def stored_decisions(self, since: datetime | None, until: datetime | None, limit: int) -> Sequence[StoredDecision]: ...


@dataclass(frozen=True, slots=True)
class GuardConfig:
    thresholds: Thresholds = field(default_factory=Thresholds)
    recent_decisions: int = 4096  # decided events kept in memory to answer replays without the store
    batch_max: int = 128  # the API's batcher: at most this many concurrent events per decide_many
    batch_window: float = 0.0  # seconds an idle batcher waits for company before deciding a lone event
    # seconds a busy batcher (events came while it decided the last batch) waits for company, while
    # fewer than batch_company events wait (#19, guardhttp7: batches of ~3 over HTTP at 500/s; 2 ms
    # measured no better than none at load 4-6, so off)
    batch_busy_window: float = 0.0
    batch_company: int = 16
    # A model score's contributions (TreeSHAP, the costliest part of a decision: #19) are computed
    # when the calibrated score is at least this, or the outcome is not allow (a shadow outcome
    # alone does not count: stop 25); below it an allowed decision stores the score alone and staff compute them on demand
    # (:meth:`GuardService.explain_decision`). 0 computes them for every score (as before #19).
    explain_floor: float = EXPLAIN_FLOOR

    def __post_init__(self) -> None:
        floor = self.explain_floor
        if isinstance(floor, bool) or not isinstance(floor, int | float) or not 0.0 <= floor <= 1.0:
            raise InvalidInput.for_field("guard_explain_floor", f"must be a number from 0 to 1 (a calibrated model score), got {floor!r}")


def _error(code: str, detail: str) -> Reason:
    return Reason(ReasonKind.ERROR, code, detail, Outcome.REVIEW)


def _payee_reasons(result: CheckResult) -> tuple[list[Reason], dict[str, Any]]:
    info: dict[str, Any] = {
        "check": result.outcome.value,
        "risk_level": result.risk_level.label if result.risk_level else None,
        "lists": sorted({h.list_code for h in result.hits}),
    }
    hits = [
        {"list": h.list_code, "field": h.field, "risk_level": h.risk_level.label, "entry": h.entry_key, "match": h.match.value}
        for h in result.hits
        if not h.is_allow
    ][:10]
    values = {"check_id": result.check_id, "hits": hits, "seq": result.seq}
    if result.outcome is CheckOutcome.BLOCK:
        return [Reason(ReasonKind.LIST, "payee_listed", "; ".join(result.reasons), Outcome.BLOCK, 0.0, values)], info
    if result.outcome is CheckOutcome.WARN:
        return [Reason(ReasonKind.LIST, "payee_warned", "; ".join(result.reasons), Outcome.REVIEW, 0.0, values)], info
    if result.outcome is CheckOutcome.UNAVAILABLE:
        return [_error("payee_check_unavailable", "; ".join(result.reasons) or "the payee check is unavailable")], info
    return [], info


def _not_allowed(reasons: Sequence[Reason]) -> bool:
    """Whether these reasons (read before the model and the rules) already make the outcome at
    least review, whatever the rules add (:func:`~finguard.guard.model.decision.resolve`: a hard
    block, a control's or an error's outcome stand even against an allow override; a condition's
    or a list's outcome stands without one; rules only add)."""
    enforced = [r for r in reasons if r.enforced]
    override = any(r.kind is ReasonKind.CONDITION and r.code == ALLOW_OVERRIDE for r in enforced)
    for r in enforced:
        if r.kind is ReasonKind.ERROR or (r.kind is ReasonKind.CONDITION and r.code == HARD_BLOCK):
            return True
        if r.outcome is None or r.outcome is Outcome.ALLOW:
            continue
        if r.kind is ReasonKind.CONTROL or (not override and r.kind in (ReasonKind.CONDITION, ReasonKind.LIST)):
            return True
    return False


class _Reindexed:
    """A scorer's prepared rows of some of a run's events, asked by the run's indices."""

    def __init__(self, prepared: Any, where: Sequence[int]) -> None:
        self.prepared = prepared
        self.at = {k: j for j, k in enumerate(where)}

    def explain(self, items: Sequence[int]) -> list[Explained | None]:
        found = self.prepared.explain([self.at[k] for k in items])
        return list(found)


def _same_score(a: Explained | None, b: Explained | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a.score == b.score)


def model_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """What the model saw of an event (``_Read.seen``), from the decision's stored inputs: the
    velocity and merchant features, the payee check as ``payee_listed`` and the cooling-off state."""
    seen: dict[str, Any] = dict(decode(inputs.get("features") or {}))
    payee = inputs.get("payee") or {}
    if payee.get("check") is not None:
        seen["payee_listed"] = payee["check"] in ("warn", "block")
    customer = inputs.get("customer") or {}
    if customer.get("controls_set"):
        seen["cooling_off"] = bool(customer.get("cooling_off"))
    return seen


@dataclass(frozen=True, slots=True)
class _Read:
    """What an event's decision read before the model (:meth:`GuardService._read`)."""

    event: Event
    now: datetime
    reasons: list[Reason]
    features: dict[str, FeatureValue]
    first_seen: datetime | None
    payee: dict[str, Any]
    list_seq: int
    effective: ControlSettings | None
    seen: dict[str, Any]
    yuan: InYuan


class GuardService:
    def __init__(
        self,
        store: GuardStore,
        velocity: Velocity,
        rules: RulesService,
        controls: CustomerControlService,
        conditions: ConditionService,
        clock: Clock,
        *,
        checker: PayeeCheck | None = None,
        model: ModelScorer | None = None,
        challenger: ModelScorer | None = None,
        config: GuardConfig | None = None,
        reviews: ReviewService | None = None,
        fx: Fx | None = None,
        merchant_risk: MerchantRiskService | None = None,
    ) -> None:
        self.store = store
        self.velocity = velocity
        self.rules = rules
        self.controls = controls
        self.conditions = conditions
        self.clock = clock
        self.checker = checker
        self.model: ModelScorer = model or NoModel()
        self.challenger = challenger  # scored on every decision in shadow, never enforced
        self.reviews = reviews  # analysts' releases and fraud confirmations (the labels)
        self.merchant_risk = merchant_risk  # the merchant's confirmed fraud (None: those features are missing)
        self.config = config or GuardConfig()
        # Amounts in yuan for the rules and controls, as the velocity sums are.
        self.fx = fx or getattr(velocity, "fx", None) or default_fx()
        self._recent: OrderedDict[str, tuple[str, Decision]] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._batcher: DecisionBatcher | None = None
        self._batcher_lock = threading.Lock()

    @property
    def batcher(self) -> DecisionBatcher:
        """Group commit for concurrent single decisions (the API): started on first use."""
        if self._batcher is None:
            with self._batcher_lock:
                if self._batcher is None:
                    from finguard.guard.service.batcher import DecisionBatcher

                    self._batcher = DecisionBatcher(
                        self,
                        max_batch=self.config.batch_max,
                        window=self.config.batch_window,
                        busy_window=self.config.batch_busy_window,
                        busy_company=self.config.batch_company,
                    )
        return self._batcher

    def close(self) -> None:
        """Decide what the batcher holds, then stop it."""
        if self._batcher is not None:
            self._batcher.close()

    def decide_raw(self, data: object) -> Decision:
        """Parse an event (JSON object) and decide it; InvalidInput names every bad field."""
        return self.decide(parse_event(data, self.clock()))

    def decide(self, event: Event) -> Decision:
        """Decide one event. The same event id returns the stored decision; another body raises Conflict."""
        result = self.decide_many([event])[0]
        if isinstance(result, Conflict):
            raise result
        return result

    def decide_many(self, events: Sequence[Event]) -> list[Decision | Conflict]:
        """Decide events in order, storing them in as few transactions as exactness allows.

        Each result is the event's decision, or the Conflict :meth:`decide` would raise for it. An
        event is decided exactly as :meth:`decide` would, one after the other: the batch is stored
        before an event whose id, customer or account an earlier event of the batch shares whose money
        moved (allow, review), so paid totals (the daily limit) always include the earlier ones.
        """
        results: list[Decision | Conflict | None] = [None] * len(events)
        pending: list[DecisionRecord] = []
        where: list[int] = []
        ids: set[str] = set()
        paid: set[str] = set()
        # A run: events whose inputs are read (velocity, payee, controls ...) but not yet scored and
        # resolved, so that the model explains them in one call (#19). No event of a run shares an
        # id, customer or account with another: none can change what another reads (the store is
        # written, and allowed payments counted, only between runs), so each is decided as alone.
        run: list[tuple[int, str, dict[str, Any], _Read]] = []
        held: set[str] = set()  # the run's event ids, customers and accounts
        now = self.clock()

        def settle() -> None:
            if not run:
                return
            reads = [r[3] for r in run]
            for (i, body_hash, body, read), (decision, inputs) in zip(run, self._decide_run(reads), strict=True):
                event = read.event
                pending.append(
                    DecisionRecord(event, body_hash, decision, inputs, self._alert(event, decision), ledger_payment(event, decision), body)
                )
                where.append(i)
                if decision.outcome.moves_money:
                    paid.add(event.customer_id)
                    if event.account is not None:
                        paid.add(event.account)
            run.clear()
            held.clear()

        def flush() -> None:
            settle()
            for i, result in zip(where, self._store(pending, now), strict=True):
                results[i] = result
            pending.clear()
            where.clear()
            ids.clear()
            paid.clear()

        for i, event in enumerate(events):
            body = event.to_record()  # made once: hashed here, stored by record_decisions
            body_hash = record_hash(body)
            known = self._recent_get(event.event_id) if event.event_id not in ids else None
            if known is not None:
                results[i] = self._replayed(event, body_hash, known, now)
                continue
            if event.event_id in held or event.customer_id in held or (event.account is not None and event.account in held):
                settle()  # its outcome may decide whether the batch is stored first
            if event.event_id in ids or event.customer_id in paid or (event.account is not None and event.account in paid):
                flush()
                now = self.clock()
            run.append((i, body_hash, body, self._read(event, now)))
            ids.add(event.event_id)
            held.add(event.event_id)
            held.add(event.customer_id)
            if event.account is not None:
                held.add(event.account)
        flush()
        return [r for r in results if r is not None]

    def _alert(self, event: Event, decision: Decision) -> AlertDraft | None:
        if decision.outcome is Outcome.ALLOW:
            return None
        top = [r.code for r in decision.enforced_reasons][:5]
        return AlertDraft(
            "guard_decision",
            f"customer:{event.customer_id}",
            _SEVERITY[decision.outcome],
            f"{decision.outcome.value}: {event.type.value} {event.event_id} ({', '.join(top)})",
            {"decision_id": decision.decision_id, "event_id": event.event_id, "outcome": decision.outcome.value, "reasons": top},
        )

    def _store(self, pending: Sequence[DecisionRecord], now: datetime) -> list[Decision | Conflict]:
        if not pending:
            return []
        stored = self.store.record_decisions(pending, now)
        out: list[Decision | Conflict] = []
        moved: list[Event] = []
        try:
            for record, found in zip(pending, stored, strict=True):
                self._recent_put(record.event.event_id, found)
                if found[1].decision_id != record.decision.decision_id:
                    out.append(self._replayed(record.event, record.body_hash, found, now))
                    continue
                out.append(record.decision)
                # A payment under review goes ahead too: it counts against the daily limit.
                if record.decision.outcome.moves_money:
                    moved.append(record.event)
        finally:
            # Counted together, in one velocity call with Redis (#19): nothing of the batch reads the
            # velocity between them, so what later events read is the same as counting each in turn.
            if moved:
                self._count_allowed(moved)
        return out

    def _count_allowed(self, moved: Sequence[Event]) -> None:
        """Count the stored batch's allowed payments in the velocity. The decisions stand whatever
        happens: a velocity outage is a warning per payment not counted; a fault in counting (a
        TypeError, a KeyError ...) is logged as an error with its traceback, never as an outage, and
        not raised: the decisions are stored already, and raising here would only hide it (the
        batcher and the stream consumer answer a failed batch by replaying its stored decisions)."""
        try:
            failed = self.velocity.record_allowed_many(moved)
        except Exception:
            log.exception("velocity: a fault counting %d allowed payments; some or all not counted", len(moved))
            return
        for event, exc in failed:
            # the decision stands; the daily total misses this payment
            log.warning("velocity: allowed payment %s not counted: %s", event.event_id, exc)

    def _recent_get(self, event_id: str) -> tuple[str, Decision] | None:
        with self._recent_lock:
            return self._recent.get(event_id)

    def _recent_put(self, event_id: str, found: tuple[str, Decision]) -> None:
        if self.config.recent_decisions <= 0:
            return
        with self._recent_lock:
            self._recent[event_id] = found
            if len(self._recent) > self.config.recent_decisions:
                self._recent.popitem(last=False)

    def _replayed(self, event: Event, body_hash: str, found: tuple[str, Decision], now: datetime) -> Decision | Conflict:
        stored_hash, decision = found
        if stored_hash == body_hash:
            return decision
        self.store.add_guard_alert(
            AlertDraft(
                "guard_duplicate_event",
                f"event:{event.event_id}",
                "high",
                f"event id {event.event_id} was sent again with a different body",
                {"event_id": event.event_id, "decision_id": decision.decision_id, "stored_hash": stored_hash, "received_hash": body_hash},
            ),
            now,
        )
        return Conflict(f"event {event.event_id} was already decided with a different body (decision {decision.decision_id})")

    def _evaluate(self, event: Event, now: datetime) -> tuple[Decision, dict[str, Any]]:
        """Decide one event alone (what :meth:`decide_many` does for a run of one)."""
        return self._decide_run([self._read(event, now)])[0]

    def _decide_run(self, reads: Sequence[_Read]) -> list[tuple[Decision, dict[str, Any]]]:
        """Score, resolve and explain a run of read events (#19).

        With a positive explain floor and no rule reading more of ``model`` than its score, every
        event is first scored alone (one plain prediction for the run), its rules and outcome
        resolved on that score; then the contributions are computed, in one call for the run,
        for the scores at or above the floor and for every decision not allowed (its outcome; a shadow
        outcome alone is explained on demand), and put in the model's reason and inputs as they would have been from the start.
        Whatever the floor, outcomes and scores are those of explaining every event."""
        ruleset = self.rules.current()
        floor = self.config.explain_floor
        lazy = floor > 0 and not any(cr.expression.reads_model_detail for cr in ruleset.rules)
        if not lazy:
            models = self._score_many(self.model, reads)
            challengers = self._score_many(self.challenger, reads) if self.challenger else [None] * len(reads)
            return [self._decide_read(read, m, c, ruleset) for read, m, c in zip(reads, models, challengers, strict=True)]
        # An event whose read reasons make it not allowed whatever the rules say is explained at once
        # (one call, as before the floor); the others are scored plainly first.
        sure = [k for k, r in enumerate(reads) if _not_allowed(r.reasons)]
        if len(sure) == len(reads):
            models = self._score_many(self.model, reads)
            challengers = self._score_many(self.challenger, reads) if self.challenger else [None] * len(reads)
            return [self._decide_read(read, m, c, ruleset) for read, m, c in zip(reads, models, challengers, strict=True)]
        models, pm = self._scores(self.model, reads, sure)
        challengers, pc = self._scores(self.challenger, reads, sure) if self.challenger else ([None] * len(reads), None)
        out = [self._decide_read(read, m, c, ruleset) for read, m, c in zip(reads, models, challengers, strict=True)]

        def wanted(found: Sequence[Explained | None], k: int) -> bool:
            e = found[k]
            if e is None or e.explained:
                return False
            d = out[k][0]
            # A shadow outcome alone (a rule under trial) is not a reason to explain the model at once:
            # the rule's own reason says why, and staff compute the contributions on demand (#19, stop 25).
            return e.score >= floor or d.outcome is not Outcome.ALLOW

        todo_m = [k for k in range(len(reads)) if wanted(models, k)]
        todo_c = [k for k in range(len(reads)) if wanted(challengers, k)] if self.challenger else []
        full_m = self._explain_some(self.model, pm, reads, todo_m)
        full_c = self._explain_some(self.challenger, pc, reads, todo_c) if self.challenger else {}
        for k in sorted({*full_m, *full_c}):
            m = full_m.get(k, models[k])
            c = full_c.get(k, challengers[k])
            if not (_same_score(m, models[k]) and _same_score(c, challengers[k])):
                # The explained score is not the plain one (never seen: the last bits of a margin
                # summed in another order): decide again on the explained answers, as before #19.
                log.info("model scores of %s differ explained and plain: decided again", reads[k].event.event_id)
                out[k] = self._decide_read(reads[k], m, c, ruleset)
                continue
            decision, inputs = out[k]
            if k in full_m:
                decision, inputs = self._with_explained(decision, inputs, self.model, m, enforced=True)
            if k in full_c and self.challenger is not None:
                decision, inputs = self._with_explained(decision, inputs, self.challenger, c, enforced=False)
            out[k] = (decision, inputs)
        return out

    def _scores(self, scorer: ModelScorer | None, reads: Sequence[_Read], sure: Sequence[int]) -> tuple[list[Explained | None], Any]:
        """The run's answers of a scorer: the ``sure`` events (not allowed whatever the rules say)
        explained, the others scored plainly (``prepare``: their rows kept, indexed as ``reads``)."""
        if scorer is None:
            return [None] * len(reads), None
        found: list[Explained | None] = [None] * len(reads)
        if sure:
            for k, e in zip(sure, self._score_many(scorer, [reads[k] for k in sure]), strict=True):
                found[k] = e
        skip = set(sure)
        rest = [k for k in range(len(reads)) if k not in skip]
        prepared = self._prepare(scorer, [reads[k] for k in rest])
        if prepared is None:  # no plain scoring: explained as before
            for k, e in zip(rest, self._score_many(scorer, [reads[k] for k in rest]), strict=True):
                found[k] = e
            return found, None
        for k, e in zip(rest, prepared.scores, strict=True):
            found[k] = e
        return found, _Reindexed(prepared, rest)

    @staticmethod
    def _prepare(scorer: ModelScorer | None, reads: Sequence[_Read]) -> Any:
        """The scorer's ``prepare`` of the events read (scores now, contributions later from the
        same encoded rows), or None when it has none or fails (then scored as before)."""
        prepare = getattr(scorer, "prepare", None)
        if scorer is None or prepare is None:
            return None
        try:
            prepared = prepare([(r.event, r.seen) for r in reads])
        except Exception as exc:
            log.debug("model %s failed to score %d events: %s", scorer.name, len(reads), exc)
            return None
        return prepared if len(prepared.scores) == len(reads) else None

    def _explain_some(
        self, scorer: ModelScorer | None, prepared: Any, reads: Sequence[_Read], todo: Sequence[int]
    ) -> dict[int, Explained | None]:
        """The explanations of the run's events ``todo`` (their indices), in one call: from the
        prepared rows when there are, else as :meth:`_score_many` explains."""
        if scorer is None or not todo:
            return {}
        if prepared is not None:
            try:
                found = list(prepared.explain(todo))
            except Exception as exc:  # explained below, each failure that event's alone
                log.debug("model %s failed to explain %d prepared events: %s", scorer.name, len(todo), exc)
            else:
                if len(found) == len(todo):
                    return dict(zip(todo, found, strict=True))
        return dict(zip(todo, self._score_many(scorer, [reads[k] for k in todo]), strict=True))

    def _with_explained(
        self, decision: Decision, inputs: dict[str, Any], scorer: ModelScorer, explained: Explained | None, *, enforced: bool
    ) -> tuple[Decision, dict[str, Any]]:
        """A decision resolved on a score alone, with the model's reason and inputs as explaining
        the event from the start would have made them (the same place, the same text and values)."""
        made: list[Reason] = []
        info = self._model_reason(scorer, explained, made, enforced=enforced)
        reasons = list(decision.reasons)
        for j, r in enumerate(reasons):
            if r.kind is ReasonKind.MODEL and r.enforced is enforced and made and r.code == made[0].code:
                reasons[j] = made[0]
                break
        inputs["model" if enforced else "challenger"] = encode(info)
        return replace(decision, reasons=tuple(reasons)), inputs

    def _read(self, event: Event, now: datetime) -> _Read:
        """Everything a decision reads before the model: conditions, velocity, merchant risk,
        controls, the payee check, and what the model sees."""
        reasons: list[Reason] = condition_reasons(matching(self.store.cached_conditions(subjects_of(event)), event))
        features: dict[str, FeatureValue] = {}
        first_seen: datetime | None = None
        daily: Decimal | None = None
        try:
            observed = self.velocity.observe(event)
        except VelocityUnavailable as exc:
            log.warning("velocity unavailable for %s: %s", event.event_id, exc)
            reasons.append(_error("velocity_unavailable", "velocity features cannot be read; the decision needs review"))
        else:
            features, first_seen = observed.values, observed.payee_first_seen
            paid = features.get(DAILY_PAID)
            daily = paid if isinstance(paid, Decimal) else None
        if self.merchant_risk is not None and event.merchant is not None:
            try:
                features.update(self.merchant_risk.values(event))
            except Exception as exc:  # missing features, never a crash
                log.warning("merchant risk unavailable for %s: %s", event.event_id, exc)
                detail = "the merchant's confirmed fraud cannot be read; the decision needs review"
                reasons.append(_error("merchant_risk_unavailable", detail))
        yuan = self.fx.in_yuan(event)
        if yuan.unavailable:
            reasons.append(_error("currency_rate_unavailable", f"{yuan.unavailable}: the amount cannot be compared with yuan thresholds"))
        controls = self.store.cached_controls(event.customer_id)
        reasons += evaluate_controls(controls, event, ControlContext(daily, first_seen, yuan.amount, yuan.unavailable is not None))

        payee: dict[str, Any] = {"check": None, "risk_level": None, "lists": ()}
        list_seq = 0
        if self.checker is not None and event.is_outgoing and event.payee is not None:
            p = event.payee
            # The event parser has normalised the payee (its account, card and name) and checked the
            # amount as money: the check takes them as they are, without parsing them again (#19).
            # A checker that takes a normalised payee (the lists' PayeeChecker) is given it as it is.
            check_normalised = getattr(self.checker, "check_normalised", None)
            try:
                if check_normalised is not None:
                    result = check_normalised(p.account, p.card, p.name, view="guard", client="guard")
                else:
                    request = CheckRequest(account=p.account, card=p.card, name=p.name, bank=p.bank, channel=event.channel)
                    result = self.checker.check(request, view="guard", client="guard")
            except InvalidInput as exc:
                reasons.append(_error("payee_check_failed", f"the payee could not be checked: {exc.message}"))
            except Exception as exc:  # a failing check is an outcome, never an allow
                log.warning("payee check failed for %s: %s", event.event_id, exc)
                reasons.append(_error("payee_check_unavailable", "the payee check failed"))
            else:
                found, payee = _payee_reasons(result)
                reasons += found
                list_seq = result.seq

        # What the model sees beyond the velocity features: the payee check and the cooling-off
        # state, when known (in training they come from the events' attributes of these names).
        seen: dict[str, Any] = dict(features)
        if payee.get("check") is not None:
            seen["payee_listed"] = payee["check"] in ("warn", "block")
        effective = controls.effective(event.occurred_at) if controls else None
        if effective is not None:
            seen["cooling_off"] = effective.cooling_off.enabled
        return _Read(event, now, reasons, features, first_seen, payee, list_seq, effective, seen, yuan)

    def _decide_read(
        self, read: _Read, model: Explained | None, challenger: Explained | None, ruleset: RuleSet | None = None
    ) -> tuple[Decision, dict[str, Any]]:
        """The model's answers (explained or scored already), the rules and the outcome of a read event."""
        event, now, features, first_seen, payee = read.event, read.now, read.features, read.first_seen, read.payee
        reasons = list(read.reasons)  # a read may be decided again (_decide_run)
        model_info = self._model_reason(self.model, model, reasons, enforced=True)
        challenger_info = self._model_reason(self.challenger, challenger, reasons, enforced=False) if self.challenger else None
        ruleset = ruleset or self.rules.current()
        fx = read.yuan.inputs()
        ctx = rule_context(event, features, first_seen, payee, read.effective, model_info, fx)
        reasons += evaluate_rules(ruleset.rules, ctx, event.type)
        outcome, total = resolve(reasons, self.config.thresholds)
        # With every reason enforced, the shadow outcome is the outcome: resolve would see the same reasons.
        shadow = resolve(reasons, self.config.thresholds, enforced_only=False)[0] if not all(r.enforced for r in reasons) else outcome
        decision = Decision(
            uuid.uuid4().hex,
            event.event_id,
            event.customer_id,
            event.type.value,
            outcome,
            total,
            tuple(reasons),
            ruleset.version,
            read.list_seq,
            now,
            shadow,
        )
        inputs = encode(
            {
                "features": features,
                "payee_first_seen": first_seen,
                "payee": payee,
                "model": model_info,
                **({"challenger": challenger_info} if challenger_info else {}),
                "customer": ctx["customer"],
                "local_hour": ctx["event"]["local_hour"],
                "fx": fx,
            }
        )
        return decision, inputs

    @staticmethod
    def _score_many(scorer: ModelScorer, reads: Sequence[_Read], *, scores_only: bool = False) -> list[Explained | None]:
        """The scorer's explanations of the events read, in one call when it explains many at once
        (the same answers as one call each); a scorer that fails is unavailable, never a crash.
        ``scores_only``: the scores alone when the scorer can (``score_many``), else explained."""
        score_many = getattr(scorer, "score_many", None) if scores_only else None
        if score_many is not None:
            try:
                scored: list[Explained | None] = list(score_many([(r.event, r.seen) for r in reads]))
            except Exception as exc:  # explained below, as without the floor
                log.debug("model %s failed to score %d events: %s", scorer.name, len(reads), exc)
            else:
                if len(scored) == len(reads):
                    return scored
        explain_many = getattr(scorer, "explain_many", None)
        if explain_many is not None and len(reads) > 1:
            try:
                found: list[Explained | None] = list(explain_many([(r.event, r.seen) for r in reads]))
            except Exception as exc:  # one event at a time below: each failure is that event's alone, as in explain
                log.debug("model %s failed on %d events together: %s", scorer.name, len(reads), exc)
            else:
                if len(found) == len(reads):
                    return found
        out: list[Explained | None] = []
        for r in reads:
            try:
                out.append(scorer.explain(r.event, r.seen))
            except Exception as exc:  # the model is a feature: unavailable, never a crash
                log.warning("model %s failed: %s", scorer.name, exc)
                out.append(None)
        return out

    def _model_reason(self, scorer: ModelScorer, explained: Explained | None, reasons: list[Reason], *, enforced: bool) -> dict[str, Any]:
        info: dict[str, Any] = {"name": scorer.name, "score": None, "available": False}
        if explained is not None:
            code = scorer.name if enforced else f"challenger:{scorer.name}"
            if explained.explained:
                values = explained.values()
                detail = explained.detail()
            else:  # scored alone: the score, and how to get its contributions (#19)
                floor = self.config.explain_floor
                values = {
                    "score": explained.score,
                    "explained": False,
                    "explain_floor": floor,
                    "model_version": getattr(scorer, "version", None),
                }
                detail = (
                    f"model score {explained.score:.2f}; contributions not computed below the explain floor {floor:g} "
                    "(an allowed decision): staff can compute them on the decision's page"
                )
            info.update(values, available=True)
            reasons.append(Reason(ReasonKind.MODEL, code, detail, None, 0.0, values, enforced))
        return info

    def explain_decision(self, decision_id: str) -> list[dict[str, Any]]:
        """Compute now the contributions of a stored decision's model scores that were stored
        without them (allowed, below the explain floor: #19), with the model that scored them.

        One entry per such model reason (none when every score was explained): its ``code``, the
        stored ``score``, the ``model_version``; ``available`` True with ``top`` (feature, value,
        contribution), ``detail`` (the text the reason would have had) and ``same_score`` (the
        model gives the stored score again), or False with ``detail`` saying why (the model that
        decided is no longer loaded, or it no longer scores the event). Nothing is stored."""
        if self.reviews is None:
            raise NotFound(f"no decision {decision_id!r}")
        stored = self.reviews.store.stored_decision(decision_id)
        if stored is None:
            raise NotFound(f"no decision {decision_id!r}")
        return self.explain_stored(stored)

    def explain_stored(self, stored: StoredDecision) -> list[dict[str, Any]]:
        """:meth:`explain_decision` of a decision read already."""
        wanted = [r for r in stored.decision.reasons if r.kind is ReasonKind.MODEL and r.values.get("explained") is False]
        if not wanted:
            return []
        event = parse_event(stored.event, None)
        seen = model_inputs(stored.inputs)
        loaded = [s for s in (self.model, self.challenger) if s is not None and s.name != "none"]
        out: list[dict[str, Any]] = []
        for r in wanted:
            name = r.code if r.enforced else r.code.removeprefix("challenger:")
            version = r.values.get("model_version")
            entry: dict[str, Any] = {"code": r.code, "score": r.values.get("score"), "model_version": version, "enforced": r.enforced}
            scorer = next((s for s in loaded if s.name == name and getattr(s, "version", None) == version), None)
            if scorer is None:
                now = ", ".join(f"{s.name} (version {getattr(s, 'version', None)})" for s in loaded) or "none"
                detail = (
                    f"the model that decided ({name}, version {version}) is no longer loaded (loaded now: {now}): "
                    "its contributions cannot be computed"
                )
                out.append({**entry, "available": False, "detail": detail})
                continue
            found = scorer.explain(event, seen)
            if found is None:
                out.append({**entry, "available": False, "detail": f"the model {name} does not score this event now"})
                continue
            out.append(
                {**entry, "available": True, "same_score": found.score == entry["score"], "detail": found.detail(), **found.values()}
            )
        return out

    def get_decision(self, decision_id: str) -> Decision:
        found = self.store.get_decision(decision_id)
        if found is None:
            raise NotFound(f"no decision {decision_id!r}")
        return found

    def decision_for_event(self, event_id: str) -> Decision:
        found = self.store.find_decision(event_id)
        if found is None:
            raise NotFound(f"no decision for event {event_id!r}")
        return found[1]

    def decisions_of(self, customer_id: str, *, limit: int = 50, offset: int = 0) -> list[Decision]:
        return self.store.decisions_of(customer_id, limit, offset)
