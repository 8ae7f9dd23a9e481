"""Loans, relief events, eligibility decisions and their reviews: SQLAlchemy Core tables on the
one metadata, and ``SqlLoanStore``, the implementation of ``service.LoanStore`` for SQLite and
PostgreSQL. Events, decisions and reviews are only ever inserted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError

from finguard.core.db import begin_write
from finguard.core.errors import Conflict
from finguard.core.tables import Id, UTCDateTime, metadata
from finguard.loans.model.daycount import DayCount
from finguard.loans.model.eligibility import Check, Decision, FirmSize, ReliefOffer
from finguard.loans.model.events import ReliefEvent
from finguard.loans.model.loan import Loan
from finguard.loans.model.relief import Treatment, change_as_dict, change_from_dict
from finguard.loans.model.schedule import LoanTerms, Method
from finguard.loans.service import Review, StoredDecision

loan = Table(
    "loan",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("loan_id", String(64), nullable=False, unique=True),
    Column("customer_id", String(64), nullable=False),
    Column("branch", String(64), nullable=False),
    Column("principal_fen", BigInteger, nullable=False),
    Column("annual_rate", String(24), nullable=False),  # a Decimal as text: exact on both databases
    Column("term_months", Integer, nullable=False),
    Column("start", Date, nullable=False),
    Column("method", String(24), nullable=False),
    Column("day_count", String(12), nullable=False),
    Column("industry", String(16), nullable=False),
    Column("firm_size", String(16), nullable=False),
    Column("total_credit_fen", BigInteger, nullable=False),
    Column("impact_documented", Boolean, nullable=False),
    Column("days_past_due", Integer, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_loan_branch", "branch", "loan_id"),
)

loan_relief_event = Table(
    "loan_relief_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("loan_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(24), nullable=False),  # the change's kind, or "reversal"
    Column("change", JSON, nullable=True),
    Column("reverses", Integer, nullable=True),
    Column("actor", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("decision_id", BigInteger, nullable=True),
    Column("cost", JSON, nullable=True),
    Index("ux_loan_relief_event_version", "loan_id", "version", unique=True),
)

loan_decision = Table(
    "loan_decision",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("batch_id", String(32), nullable=False),
    Column("loan_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("policy", String(64), nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("eligible", Boolean, nullable=False),
    Column("category", String(32), nullable=True),
    Column("offer", JSON, nullable=True),
    Column("checks", JSON, nullable=False),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Index("ix_loan_decision_batch", "batch_id", "id"),
    Index("ix_loan_decision_loan", "loan_id", "id"),
)

loan_decision_review = Table(
    "loan_decision_review",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("decision_id", BigInteger, nullable=False, unique=True),  # reviewed once
    Column("action", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("event_version", Integer, nullable=True),
)



def _loan_row(item: Loan, actor: str, at: datetime) -> dict[str, Any]:
    t = item.terms
    return {
        "loan_id": item.loan_id, "customer_id": item.customer_id, "branch": item.branch, "principal_fen": t.principal_fen,
        "annual_rate": str(t.annual_rate), "term_months": t.term_months, "start": t.start, "method": t.method.value,
        "day_count": t.day_count.value, "industry": item.industry, "firm_size": item.firm_size.value,
        "total_credit_fen": item.total_credit_fen, "impact_documented": item.impact_documented, "days_past_due": item.days_past_due,
        "created_by": actor, "created_at": at,
    }


def adapt_loan(row: Any) -> Loan:
    terms = LoanTerms(int(row.principal_fen), Decimal(row.annual_rate), int(row.term_months),
                      row.start if isinstance(row.start, date) else date.fromisoformat(row.start),
                      Method(row.method), DayCount(row.day_count))
    return Loan(row.loan_id, row.customer_id, row.branch, terms, row.industry, FirmSize(row.firm_size), int(row.total_credit_fen),
                bool(row.impact_documented), int(row.days_past_due))


def adapt_event(row: Any) -> ReliefEvent:
    return ReliefEvent(row.loan_id, row.version, change_from_dict(row.change) if row.change else None, row.reverses, row.actor,
                       row.at, row.reason, row.decision_id, row.cost)


def _offer_dict(offer: ReliefOffer | None) -> dict[str, Any] | None:
    if offer is None:
        return None
    return {"kind": offer.kind, "months": offer.months, "treatment": offer.treatment.value, "principal_only": offer.principal_only}


def adapt_decision(row: Any, review: Any | None) -> StoredDecision:
    offer = None if row.offer is None else ReliefOffer(row.offer["kind"], row.offer["months"], Treatment(row.offer["treatment"]),
                                                       row.offer["principal_only"])
    checks = tuple(Check(c["category"], c["rule"], c["passed"], c["zh"], c["en"]) for c in row.checks)
    decision = Decision(row.loan_id, row.customer_id, row.policy, row.policy_version, bool(row.eligible), row.category, offer, checks)
    rev = None if review is None else Review(row.id, review.action, review.actor, review.at, review.reason, review.event_version)
    return StoredDecision(row.id, row.batch_id, decision, row.decided_by, row.decided_at, rev)


class SqlLoanStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put_loans(self, loans: Sequence[Loan], actor: str, at: datetime) -> tuple[int, int]:
        added = unchanged = 0
        with begin_write(self.engine) as conn:
            for start in range(0, len(loans), 1000):
                part = loans[start:start + 1000]
                query = select(loan).where(loan.c.loan_id.in_([x.loan_id for x in part]))
                existing = {r.loan_id: adapt_loan(r) for r in conn.execute(query)}
                new = []
                for item in part:
                    old = existing.get(item.loan_id)
                    if old is None:
                        new.append(_loan_row(item, actor, at))
                    elif old == item:
                        unchanged += 1
                    else:
                        raise Conflict(f"loan {item.loan_id} is already on the book with other terms; nothing was imported")
                if new:
                    conn.execute(loan.insert(), new)
                    added += len(new)
        return added, unchanged

    def loan(self, loan_id: str) -> Loan | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(loan).where(loan.c.loan_id == loan_id)).first()
        return None if row is None else adapt_loan(row)

    def loans(self, *, branch: str | None = None, after: str = "", limit: int = 100) -> list[Loan]:
        query = select(loan).where(loan.c.loan_id > after).order_by(loan.c.loan_id).limit(limit)
        if branch:
            query = query.where(loan.c.branch == branch)
        with self.engine.connect() as conn:
            return [adapt_loan(r) for r in conn.execute(query)]

    def count_loans(self, branch: str | None = None) -> int:
        query = select(func.count()).select_from(loan)
        if branch:
            query = query.where(loan.c.branch == branch)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def events(self, loan_id: str) -> list[ReliefEvent]:
        query = select(loan_relief_event).where(loan_relief_event.c.loan_id == loan_id).order_by(loan_relief_event.c.version)
        with self.engine.connect() as conn:
            return [adapt_event(r) for r in conn.execute(query)]

    def append_events(self, events: Sequence[ReliefEvent], reviews: Sequence[Review] = ()) -> None:
        rows = [{
            "loan_id": e.loan_id, "version": e.version, "kind": e.change.kind if e.change else "reversal",
            "change": change_as_dict(e.change) if e.change else None, "reverses": e.reverses, "actor": e.actor, "at": e.at,
            "reason": e.reason, "decision_id": e.decision_id, "cost": e.cost,
        } for e in events]
        review_rows = [{"decision_id": r.decision_id, "action": r.action, "actor": r.actor, "at": r.at, "reason": r.reason,
                        "event_version": r.event_version} for r in reviews]
        try:
            with begin_write(self.engine) as conn:
                if rows:
                    conn.execute(loan_relief_event.insert(), rows)
                if review_rows:
                    conn.execute(loan_decision_review.insert(), review_rows)
        except IntegrityError as exc:
            raise Conflict("another change was recorded at the same time (a version or a review is taken); reload and try again") from exc

    def add_decisions(self, batch_id: str, decisions: Sequence[Decision], actor: str, at: datetime) -> None:
        rows = [{
            "batch_id": batch_id, "loan_id": d.loan_id, "customer_id": d.customer_id, "policy": d.policy,
            "policy_version": d.policy_version, "eligible": d.eligible, "category": d.category, "offer": _offer_dict(d.offer),
            "checks": [c.as_dict() for c in d.checks], "decided_by": actor, "decided_at": at,
        } for d in decisions]
        if rows:
            with begin_write(self.engine) as conn:
                conn.execute(loan_decision.insert(), rows)

    def decisions(self, *, batch_id: str | None = None, loan_id: str | None = None, ids: Sequence[int] | None = None,
                  eligible: bool | None = None, category: str | None = None, limit: int = 1000) -> list[StoredDecision]:
        d, r = loan_decision, loan_decision_review
        query = select(d, r.c.action, r.c.actor, r.c.at, r.c.reason, r.c.event_version, r.c.decision_id.label("reviewed")).outerjoin(
            r, r.c.decision_id == d.c.id).order_by(d.c.id).limit(limit)
        if batch_id is not None:
            query = query.where(d.c.batch_id == batch_id)
        if loan_id is not None:
            query = query.where(d.c.loan_id == loan_id)
        if ids is not None:
            query = query.where(d.c.id.in_(list(ids)))
        if eligible is not None:
            query = query.where(d.c.eligible == eligible)
        if category is not None:
            query = query.where(d.c.category == category)
        with self.engine.connect() as conn:
            return [adapt_decision(row, row if row.reviewed is not None else None) for row in conn.execute(query)]

    def batches(self, limit: int = 50) -> list[dict[str, Any]]:
        d = loan_decision
        eligible = func.sum(func.cast(d.c.eligible, Integer))
        query = (select(d.c.batch_id, d.c.policy, d.c.policy_version, d.c.decided_by, func.min(d.c.decided_at).label("at"),
                        func.count().label("evaluated"), eligible.label("eligible"))
                 .group_by(d.c.batch_id, d.c.policy, d.c.policy_version, d.c.decided_by)
                 .order_by(func.min(d.c.decided_at).desc()).limit(limit))
        with self.engine.connect() as conn:
            return [{"batch_id": r.batch_id, "policy": r.policy, "policy_version": r.policy_version, "decided_by": r.decided_by,
                     "at": r.at.isoformat(), "evaluated": int(r.evaluated), "eligible": int(r.eligible or 0)}
                    for r in conn.execute(query)]
