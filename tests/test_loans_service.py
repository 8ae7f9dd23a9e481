"""Loans on the book, relief events and eligibility batches, on SQLite and PostgreSQL.

Three loans of branch 310000 at 4.35 % from 15 Jan 2020 (equal instalments, 30/360):
L-001, a restaurant (industry H, small firm, impact documented): category A, 6 months' deferral;
L-002, a builder (F, micro, 12 days late): category B, 3 months' grace;
L-003, a large manufacturer: not covered.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from finguard.core.errors import Conflict, Forbidden, ImportRejected, InvalidInput, NotFound
from finguard.loans.model.eligibility import EPIDEMIC_2020
from finguard.loans.model.relief import Deferral, Extension, Grace, RateChange, Treatment
from finguard.loans.service import LoanService
from finguard.loans.store import SqlLoanStore

BOOK = [
    {"loan_id": "L-001", "customer_id": "C-1", "branch": "310000", "principal": "1000000.00", "annual_rate": "4.35%", "term_months": "36",
     "start": "2020-01-15", "industry": "H", "firm_size": "small", "impact_documented": "yes"},
    {"loan_id": "L-002", "customer_id": "C-2", "branch": "310000", "principal": "200000.00", "annual_rate": "0.0435", "term_months": 24,
     "start": "2020-01-15", "industry": "F", "firm_size": "micro", "impact_documented": True, "days_past_due": "12"},
    {"loan_id": "L-003", "customer_id": "C-3", "branch": "310000", "principal": "50000000.00", "annual_rate": "0.0435",
     "term_months": 60, "start": "2020-01-15", "industry": "C", "firm_size": "large", "impact_documented": True},
]
AS_OF = date(2020, 3, 1)


@pytest.fixture
def service(engine):
    svc = LoanService(SqlLoanStore(engine), clock=lambda: datetime(2020, 3, 1, 9, tzinfo=UTC))
    report = svc.import_loans(enumerate(BOOK, start=2), actor="importer")
    assert (report.added, report.unchanged) == (3, 0)
    return svc


def test_import_is_all_or_nothing_and_idempotent(service):
    again = service.import_loans(enumerate(BOOK, start=2), actor="importer")
    assert (again.added, again.unchanged) == (0, 3)
    bad = [dict(BOOK[0], loan_id="L-009"), dict(BOOK[0], loan_id="L-010", principal=12.5, start="2020-13-01")]
    with pytest.raises(ImportRejected) as err:
        service.import_loans(enumerate(bad, start=2), actor="importer")
    assert {(p.field, p.line) for p in err.value.problems} == {("principal", 3), ("start", 3)}
    with pytest.raises(NotFound):
        service.loan("L-009")  # the good row was not imported either
    skipped = service.import_loans(enumerate(bad, start=2), actor="importer", skip_bad_rows=True)
    assert skipped.added == 1 and {p.line for p in skipped.skipped} == {3}
    with pytest.raises(Conflict):
        service.import_loans([(2, dict(BOOK[0], principal="999.00"))], actor="importer")


def test_relief_events_are_versioned_and_reversible(service):
    _, events, base = service.schedule("L-001")
    assert events == [] and len(base.rows) == 36
    first = service.apply("L-001", Deferral(3, 3, Treatment.INTEREST_FREE), actor="officer-1", reason="customer request")
    assert first.event.version == 1
    assert first.event.cost["credit_report"] == "relief_not_overdue"
    second = service.apply("L-001", RateChange(10, Decimal("0.0385")), actor="officer-1")
    assert second.event.version == 2
    _, _, now = service.schedule("L-001")
    assert len(now.rows) == 39
    rev = service.reverse("L-001", 2, actor="officer-2", reason="entered by mistake")
    assert (rev.event.version, rev.event.reverses) == (3, 2)
    _, events, after = service.schedule("L-001")
    assert [e.version for e in events] == [1, 2, 3]
    assert {r.rate for r in after.rows} == {Decimal("0.0435")}
    with pytest.raises(Conflict):
        service.reverse("L-001", 2, actor="officer-2")


def test_a_reversal_that_would_break_a_later_change_is_refused(service):
    service.apply("L-001", Deferral(3, 3, Treatment.INTEREST_FREE), actor="officer-1")
    service.apply("L-001", Grace(38, 1), actor="officer-1")  # instalment 38 exists only with the deferral
    with pytest.raises(Conflict) as err:
        service.reverse("L-001", 1, actor="officer-2")
    assert "reverse it first" in err.value.message


def test_extension_caps_hold_across_events(service):
    service.apply("L-002", Extension(3, 10), actor="officer-1")
    with pytest.raises(InvalidInput) as err:
        service.apply("L-002", Extension(5, 3), actor="officer-1")  # 24 months: medium-term, cap 12
    assert "贷款通则" in str(err.value)


def test_a_batch_is_evaluated_explained_and_approved_by_someone_else(service):
    seen = []
    report = service.evaluate(EPIDEMIC_2020, actor="analyst-1", progress=lambda done, total: seen.append((done, total)), chunk=2)
    assert (report.evaluated, report.eligible, report.by_category) == (3, 2, {"A": 1, "B": 1})
    assert seen == [(2, 3), (3, 3)]
    decisions = {d.decision.loan_id: d for d in service.store.decisions(batch_id=report.batch_id)}
    refused = decisions["L-003"].decision
    assert not refused.eligible
    assert any("大型企业" in c.zh for c in refused.checks)
    proposal = service.proposal(decisions["L-001"].id, AS_OF)
    assert proposal.change == Deferral(2, 6, Treatment.INTEREST_FREE)  # the next instalment after 1 March: 15 March
    assert proposal.cost.loss_fen > 0
    assert any(line["changed"] for line in proposal.side_by_side())
    ids = [decisions["L-001"].id, decisions["L-002"].id]
    with pytest.raises(Forbidden):
        service.approve(ids, actor="analyst-1", as_of=AS_OF)  # maker-checker
    with pytest.raises(Conflict):
        service.approve([decisions["L-003"].id], actor="manager-1", as_of=AS_OF)
    applied = service.approve(ids, actor="manager-1", as_of=AS_OF)
    assert [a.event.loan_id for a in applied] == ["L-001", "L-002"]
    assert all(a.event.decision_id in ids for a in applied)
    _, events, schedule = service.schedule("L-001")
    assert events[0].actor == "manager-1" and len(schedule.rows) == 42
    with pytest.raises(Conflict):
        service.approve(ids[:1], actor="manager-2", as_of=AS_OF)  # reviewed once
    reviewed = service.store.decisions(ids=ids)
    assert {d.review.action for d in reviewed} == {"approved"}
    assert service.store.batches()[0]["eligible"] == 2


def test_rejections_need_a_reason_and_are_kept(service):
    report = service.evaluate(EPIDEMIC_2020, actor="analyst-1", branch="310000")
    d = next(x for x in service.store.decisions(batch_id=report.batch_id) if x.decision.eligible)
    with pytest.raises(InvalidInput):
        service.reject([d.id], actor="manager-1", reason=" ")
    service.reject([d.id], actor="manager-1", reason="impact not confirmed by the branch")
    again = service.store.decisions(ids=[d.id])[0]
    assert again.review.action == "rejected" and again.review.actor == "manager-1"
