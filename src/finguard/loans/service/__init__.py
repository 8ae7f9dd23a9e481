"""Loan use cases: the book of loans, schedules with their relief, eligibility batches and
their approval (maker-checker). The API, the CLI and the staff pages call these functions.

Storage is the ``LoanStore`` protocol below; ``loans.store.SqlLoanStore`` implements it.
Every decision, approval, relief event and reversal is appended with who and when; nothing is
updated in place.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from finguard.core.clock import utcnow
from finguard.core.errors import Conflict, FieldProblem, Forbidden, ImportRejected, InvalidInput, NotFound
from finguard.loans.model.eligibility import Decision, Policy, evaluate
from finguard.loans.model.events import ReliefEvent, active, check_reversible, next_version
from finguard.loans.model.loan import Loan, parse_loan
from finguard.loans.model.relief import Assessment, Change, assess, change_as_dict, replay
from finguard.loans.model.schedule import Schedule
from finguard.loans.model.servicing import next_unpaid

MAX_BATCH_APPROVAL = 10_000


@dataclass(frozen=True, slots=True)
class Review:
    decision_id: int
    action: str  # approved | rejected
    actor: str
    at: datetime
    reason: str = ""
    event_version: int | None = None


@dataclass(frozen=True, slots=True)
class StoredDecision:
    id: int
    batch_id: str
    decision: Decision
    decided_by: str
    decided_at: datetime
    review: Review | None = None

    def as_dict(self) -> dict[str, Any]:
        out = self.decision.as_dict()
        out.update({"id": self.id, "batch_id": self.batch_id, "decided_by": self.decided_by, "decided_at": self.decided_at.isoformat(),
                    "review": None if self.review is None else {
                        "action": self.review.action, "actor": self.review.actor, "at": self.review.at.isoformat(),
                        "reason": self.review.reason, "event_version": self.review.event_version}})
        return out


class LoanStore(Protocol):
    def put_loans(self, loans: Sequence[Loan], actor: str, at: datetime) -> tuple[int, int]:
        """Insert new loans; (added, unchanged). A known id with other data raises Conflict, nothing written."""
        ...

    def loan(self, loan_id: str) -> Loan | None: ...

    def loans(self, *, branch: str | None = None, after: str = "", limit: int = 100) -> list[Loan]:
        """Loans ordered by id, keyset after ``after``."""
        ...

    def count_loans(self, branch: str | None = None) -> int: ...

    def events(self, loan_id: str) -> list[ReliefEvent]: ...

    def append_events(self, events: Sequence[ReliefEvent], reviews: Sequence[Review] = ()) -> None:
        """In one transaction. A version already taken on a loan, or a decision already reviewed, raises Conflict."""
        ...

    def add_decisions(self, batch_id: str, decisions: Sequence[Decision], actor: str, at: datetime) -> None: ...

    def decisions(self, *, batch_id: str | None = None, loan_id: str | None = None, ids: Sequence[int] | None = None,
                  eligible: bool | None = None, category: str | None = None, limit: int = 1000) -> list[StoredDecision]: ...

    def batches(self, limit: int = 50) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    unchanged: int
    skipped: tuple[FieldProblem, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"added": self.added, "unchanged": self.unchanged, "skipped": [p.as_dict() for p in self.skipped]}


@dataclass(frozen=True, slots=True)
class Comparison:
    """A schedule before and after a change, and what the change costs."""

    loan_id: str
    change: Change
    before: Schedule
    after: Schedule
    cost: Assessment

    def side_by_side(self) -> list[dict[str, Any]]:
        """One line per due date of either schedule: the instalment before and after."""
        before = {r.due: r for r in self.before.rows}
        after = {r.due: r for r in self.after.rows}
        lines = []
        for due in sorted(before.keys() | after.keys()):
            b, a = before.get(due), after.get(due)
            lines.append({
                "due": due.isoformat(),
                "before": None if b is None else b.as_dict(),
                "after": None if a is None else a.as_dict(),
                "changed": b is None or a is None or b.payment_fen != a.payment_fen or b.mode != a.mode,
            })
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "loan_id": self.loan_id,
            "change": change_as_dict(self.change),
            "cost": self.cost.as_dict(),
            "before": {"maturity": self.before.maturity.isoformat(), "totals": self.before.totals},
            "after": {"maturity": self.after.maturity.isoformat(), "totals": self.after.totals},
            "side_by_side": self.side_by_side(),
        }


@dataclass(frozen=True, slots=True)
class Applied:
    event: ReliefEvent
    comparison: Comparison | None  # None for a reversal

    def as_dict(self) -> dict[str, Any]:
        return {"event": self.event.as_dict(), "comparison": None if self.comparison is None else self.comparison.as_dict()}


@dataclass(frozen=True, slots=True)
class BatchReport:
    batch_id: str
    policy: str
    policy_version: int
    evaluated: int
    eligible: int
    by_category: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "policy": self.policy, "policy_version": self.policy_version, "evaluated": self.evaluated,
                "eligible": self.eligible, "by_category": self.by_category}


class LoanService:
    def __init__(self, store: LoanStore, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock

    # -- the book ---------------------------------------------------------------------------

    def import_loans(self, rows: Iterable[tuple[int, dict[str, Any]]], actor: str, *, skip_bad_rows: bool = False) -> ImportReport:
        """All or nothing unless ``skip_bad_rows``; every bad row is reported with its line."""
        loans: list[Loan] = []
        problems: list[FieldProblem] = []
        seen: dict[str, int] = {}
        for line, data in rows:
            try:
                loan = parse_loan(data, line)
            except InvalidInput as exc:
                problems.extend(exc.problems)
                continue
            if loan.loan_id in seen:
                problems.append(FieldProblem("loan_id", f"{loan.loan_id} also on line {seen[loan.loan_id]}", line))
                continue
            seen[loan.loan_id] = line
            loans.append(loan)
        if problems and not skip_bad_rows:
            raise ImportRejected(f"{len(problems)} problem(s); nothing was imported", problems=problems)
        added, unchanged = self.store.put_loans(loans, actor, self.clock()) if loans else (0, 0)
        return ImportReport(added, unchanged, tuple(problems))

    def loan(self, loan_id: str) -> Loan:
        loan = self.store.loan(loan_id)
        if loan is None:
            raise NotFound(f"no loan {loan_id}")
        return loan

    def schedule(self, loan_id: str) -> tuple[Loan, list[ReliefEvent], Schedule]:
        """The loan, its relief history and the schedule in force (every change not reversed)."""
        loan = self.loan(loan_id)
        events = self.store.events(loan_id)
        changes = [e.change for e in active(events) if e.change is not None]
        return loan, events, replay(loan.terms, changes)[-1]

    # -- relief on one loan -------------------------------------------------------------------

    def compare(self, loan_id: str, change: Change) -> Comparison:
        """What ``change`` would do, stored nowhere."""
        loan = self.loan(loan_id)
        events = self.store.events(loan_id)
        return self._compare(loan, events, change)

    def _compare(self, loan: Loan, events: Sequence[ReliefEvent], change: Change) -> Comparison:
        changes = [e.change for e in active(events) if e.change is not None]
        schedules = replay(loan.terms, [*changes, change])
        before, after = schedules[-2], schedules[-1]
        return Comparison(loan.loan_id, change, before, after, assess(before, after, change))

    def apply(self, loan_id: str, change: Change, actor: str, reason: str = "", *, decision_id: int | None = None) -> Applied:
        loan = self.loan(loan_id)
        events = self.store.events(loan_id)
        comparison = self._compare(loan, events, change)
        event = ReliefEvent(loan_id, next_version(events), change, None, actor, self.clock(), reason, decision_id,
                            comparison.cost.as_dict())
        self.store.append_events([event])
        return Applied(event, comparison)

    def reverse(self, loan_id: str, version: int, actor: str, reason: str = "") -> Applied:
        """Append a reversal of ``version``. Refused (Conflict) when a later change no longer fits without it."""
        loan = self.loan(loan_id)
        events = self.store.events(loan_id)
        check_reversible(events, version)
        event = ReliefEvent(loan_id, next_version(events), None, version, actor, self.clock(), reason)
        remaining = [e.change for e in active([*events, event]) if e.change is not None]
        try:
            replay(loan.terms, remaining)
        except InvalidInput as exc:
            raise Conflict(f"a later change does not fit the schedule without version {version} ({exc.message}); reverse it first") from exc
        self.store.append_events([event])
        return Applied(event, None)

    # -- eligibility batches and their approval ----------------------------------------------

    def evaluate(self, policy: Policy, actor: str, *, branch: str | None = None, chunk: int = 1000,
                 progress: Callable[[int, int], None] | None = None) -> BatchReport:
        """Evaluate every loan (of ``branch``) against ``policy``; the decisions are stored as one batch."""
        total = self.store.count_loans(branch)
        batch_id = uuid.uuid4().hex
        at = self.clock()
        done = eligible = 0
        by_category: dict[str, int] = {}
        after = ""
        while True:
            loans = self.store.loans(branch=branch, after=after, limit=chunk)
            if not loans:
                break
            decisions = [evaluate(policy, loan.borrower()) for loan in loans]
            self.store.add_decisions(batch_id, decisions, actor, at)
            for d in decisions:
                if d.category:
                    eligible += 1
                    by_category[d.category] = by_category.get(d.category, 0) + 1
            done += len(loans)
            after = loans[-1].loan_id
            if progress:
                progress(done, total)
        return BatchReport(batch_id, policy.code, policy.version, done, eligible, by_category)

    def proposal(self, decision_id: int, as_of: date) -> Comparison:
        """The relief a decision grants, on the loan as it stands, from its next instalment after ``as_of``."""
        stored = self._decision(decision_id)
        if stored.decision.offer is None:
            raise Conflict(f"decision {decision_id}: loan {stored.decision.loan_id} is not eligible; there is nothing to propose")
        loan = self.loan(stored.decision.loan_id)
        events = self.store.events(loan.loan_id)
        changes = [e.change for e in active(events) if e.change is not None]
        start = next_unpaid(replay(loan.terms, changes)[-1], as_of)
        return self._compare(loan, events, stored.decision.offer.change(start))

    def _decision(self, decision_id: int) -> StoredDecision:
        found = self.store.decisions(ids=[decision_id])
        if not found:
            raise NotFound(f"no decision {decision_id}")
        return found[0]

    def approve(self, decision_ids: Sequence[int], actor: str, as_of: date, reason: str = "") -> list[Applied]:
        """Grant the relief of each decision, all or nothing. The approver must not be who ran the
        evaluation (maker-checker); a decision is reviewed once."""
        stored = self._reviewable(decision_ids, actor)
        loans = [s.decision.loan_id for s in stored]
        twice = sorted({x for x in loans if loans.count(x) > 1})
        if twice:
            raise Conflict(f"loan(s) {', '.join(twice)} have more than one decision in this approval; approve one of them")
        at = self.clock()
        applied: list[Applied] = []
        events: list[ReliefEvent] = []
        reviews: list[Review] = []
        for item in stored:
            if item.decision.offer is None:
                raise Conflict(f"decision {item.id}: loan {item.decision.loan_id} is not eligible")
            try:
                comparison = self.proposal(item.id, as_of)
            except InvalidInput as exc:
                raise Conflict(f"decision {item.id}: loan {item.decision.loan_id}: {exc.message}") from exc
            version = next_version(self.store.events(item.decision.loan_id))
            event = ReliefEvent(item.decision.loan_id, version, comparison.change, None, actor, at,
                                reason or f"{item.decision.policy} v{item.decision.policy_version} category {item.decision.category}",
                                item.id, comparison.cost.as_dict())
            events.append(event)
            reviews.append(Review(item.id, "approved", actor, at, reason, event.version))
            applied.append(Applied(event, comparison))
        self.store.append_events(events, reviews)
        return applied

    def reject(self, decision_ids: Sequence[int], actor: str, reason: str) -> list[Review]:
        if not reason.strip():
            raise InvalidInput.for_field("reason", "a rejection needs a reason the customer can be told")
        stored = self._reviewable(decision_ids, actor)
        at = self.clock()
        reviews = [Review(item.id, "rejected", actor, at, reason) for item in stored]
        self.store.append_events([], reviews)
        return reviews

    def _reviewable(self, decision_ids: Sequence[int], actor: str) -> list[StoredDecision]:
        ids = list(dict.fromkeys(decision_ids))
        if not ids:
            raise InvalidInput.for_field("decision_ids", "name at least one decision")
        if len(ids) > MAX_BATCH_APPROVAL:
            raise InvalidInput.for_field("decision_ids", f"at most {MAX_BATCH_APPROVAL} per request")
        stored = self.store.decisions(ids=ids, limit=len(ids))
        missing = set(ids) - {s.id for s in stored}
        if missing:
            raise NotFound(f"no decision(s) {', '.join(str(i) for i in sorted(missing))}")
        for item in stored:
            if item.decided_by == actor:
                raise Forbidden(f"decision {item.id} was made by {actor}; another person must review it (maker-checker)")
            if item.review is not None:
                raise Conflict(f"decision {item.id} was already {item.review.action} by {item.review.actor}")
        return stored
