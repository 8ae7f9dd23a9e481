"""The case engine (#13): alerts become work items, worked from new to closed with an audit trail.

Every test runs on SQLite and PostgreSQL (``engine``) with a clock the test moves by hand.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from finguard.alerts.model import cases as m
from finguard.alerts.model.cases import CaseFilter
from finguard.alerts.provider import make_cases
from finguard.alerts.service.cases import CaseService
from finguard.alerts.store import alert
from finguard.alerts.texts import cases_text, complaint_text
from finguard.core.errors import Conflict, Forbidden, InvalidInput, NotFound

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def raise_alert(engine: Engine, severity: str = "medium", kind: str = "screening_hit", subject: str = "party:7",
                summary: str = "ZHANG Wei matches a sanctions entry") -> int:
    """An alert exactly as screening, the guard and the monitors write it today."""
    with engine.begin() as conn:
        return int(conn.execute(alert.insert().values(
            kind=kind, subject=subject, severity=severity, status="open", summary=summary,
            details={"party_key": "P-7", "decision_id": 42}, created_at=T0, source_seq=None,
        ).returning(alert.c.id)).scalar_one())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cases(engine: Engine, clock: Clock) -> CaseService:
    return make_cases(engine, clock)


def test_an_alert_is_worked_from_new_to_closed_with_a_full_audit_trail(engine: Engine, cases: CaseService) -> None:
    alert_id = raise_alert(engine)
    [case], total = cases.find(CaseFilter())
    assert total == 1 and case.state is m.State.NEW and case.alert_id == alert_id
    assert case.queue == "screening" and case.details["decision_id"] == 42 and case.details["alert_kind"] == "screening_hit"
    cases.assign(case.id, "li.na", actor="lead")
    cases.review(case.id, actor="li.na")
    cases.comment(case.id, "li.na", "Date of birth differs from the listed person")
    closed = cases.close(case.id, "li.na", "false_positive", "different date of birth")
    assert closed.state is m.State.CLOSED and closed.disposition == "false_positive"
    _, events = cases.show(case.id)
    assert [(e.actor, e.action, e.from_state, e.to_state) for e in events] == [
        ("system", "open", None, "new"),
        ("lead", "assign", "new", "assigned"),
        ("li.na", "review", "assigned", "in_review"),
        ("li.na", "comment", "in_review", "in_review"),
        ("li.na", "close", "in_review", "closed"),
    ]
    with engine.connect() as conn:  # the alert's own status follows, so the old alert views agree
        assert conn.execute(select(alert.c.status).where(alert.c.id == alert_id)).scalar_one() == "closed"
    assert cases.find(CaseFilter())[1] == 0
    with pytest.raises(Conflict):
        cases.close(case.id, "li.na", "duplicate", "again")


def test_closing_a_high_risk_case_takes_a_second_person(engine: Engine, cases: CaseService) -> None:
    raise_alert(engine, severity="critical")
    [case], _ = cases.find(CaseFilter())
    proposed = cases.close(case.id, "key:maker", "true_positive", "confirmed sanctions match")
    assert proposed.state is not m.State.CLOSED and proposed.pending_by == "key:maker"
    for same in ("key:maker", "user:maker"):  # one person's key and account are one person
        with pytest.raises(Forbidden):
            cases.confirm(case.id, same)
    rejected = cases.confirm(case.id, "checker", approve=False, reason="attach the passport copy first")
    assert rejected.pending_disposition is None and rejected.state is not m.State.CLOSED
    cases.close(case.id, "key:maker", "true_positive", "passport attached")
    done = cases.confirm(case.id, "checker")
    assert done.state is m.State.CLOSED and done.disposition == "true_positive" and done.close_reason == "passport attached"
    actions = [(e.actor, e.action) for e in cases.show(case.id)[1]]
    assert actions[-1] == ("checker", "close") and ("key:maker", "close_proposed") in actions


def test_a_case_past_its_sla_escalates_on_the_next_read(engine: Engine, cases: CaseService, clock: Clock) -> None:
    """A critical alert has 4 hours; a low one a week."""
    raise_alert(engine, severity="critical", subject="acct:1")
    raise_alert(engine, severity="low", subject="acct:2")
    before, _ = cases.find(CaseFilter())
    clock.now = T0 + timedelta(hours=5)
    found, _ = cases.find(CaseFilter(sla="breached"))
    # the store escalates in bulk exactly the cases the model's rule picks one by one
    assert [c.id for c in before if m.breach(c, clock.now)] == [c.id for c in found]
    assert [c.subject for c in found] == ["acct:1"]
    assert found[0].state is m.State.ESCALATED and found[0].sla_state(clock.now) == "breached"
    assert cases.sync() == (0, 0)  # idempotent
    board = cases.dashboard()
    assert board.breached == 1 and board.total == 2 and board.bucket(0) == {"breached": 1, "due_soon": 0, "ok": 1}
    events = cases.show(found[0].id)[1]
    assert (events[-1].actor, events[-1].action, events[-1].reason) == ("system", "escalate", "sla_breached")


def test_two_people_changing_the_same_case_one_is_told_to_reload(engine: Engine, cases: CaseService) -> None:
    raise_alert(engine)
    [case], _ = cases.find(CaseFilter())
    store = cases.store
    store.apply(case, m.assign(case, "a", "lead", T0))
    with pytest.raises(Conflict):
        store.apply(case, m.assign(case, "b", "lead2", T0))


def test_a_complaint_gets_a_confirmation_number_and_the_statutory_deadline(cases: CaseService) -> None:
    c = cases.file_complaint(category="fair_trade", customer="王芳", text="Fee charged twice", contact="138 0000 0000",
                             channel="public", filed_by="public")
    assert c.kind is m.CaseKind.COMPLAINT and c.due_at == T0 + timedelta(days=15) and c.queue == "complaints"
    assert c.reference is not None and m.parse_confirmation(m.format_confirmation(c.reference).lower()) == c.reference
    assert cases.by_confirmation(m.format_confirmation(c.reference)).id == c.id
    assert cases.find(CaseFilter(q=m.format_confirmation(c.reference).lower()))[0][0].id == c.id  # staff search by number
    with pytest.raises(NotFound):
        cases.by_confirmation("AAAA-AAAA")
    with pytest.raises(InvalidInput) as bad:
        cases.file_complaint(category="rudeness", customer="", text="x", contact="1", filed_by="s")
    assert {p.field for p in bad.value.problems} == {"category", "customer"}
    with pytest.raises(InvalidInput):
        cases.close(c.id, "s", "false_positive", "wrong disposition kind")
    assert cases.close(c.id, "s", "upheld", "refunded the second fee").state is m.State.CLOSED


def test_a_home_visit_is_due_at_its_appointment_slot(cases: CaseService) -> None:
    start = T0 + timedelta(days=2)
    s = cases.request_service(service_type="home_visit", customer="Chen Lao", text="bedridden, needs to sign",
                              contact="021-555", branch="Pudong 1", slot_start=start, slot_end=start + timedelta(hours=2),
                              filed_by="teller")
    assert s.due_at == start and s.branch == "Pudong 1" and s.slot_end == start + timedelta(hours=2)
    with pytest.raises(InvalidInput) as bad:
        cases.request_service(service_type="home_visit", customer="C", text="", contact="1", branch="",
                              slot_start=start, slot_end=None, filed_by="t")
    assert {p.field for p in bad.value.problems} == {"branch", "slot_end"}


def test_filters_search_and_bulk_actions(engine: Engine, cases: CaseService) -> None:
    ids = [raise_alert(engine, subject=f"acct:{i}", summary=f"fan-in 100%_{i}") for i in range(3)]
    raise_alert(engine, kind="monitor_fan_in", severity="high", subject="acct:9")
    assert cases.find(CaseFilter(queue="monitors"))[1] == 1
    assert cases.find(CaseFilter(q="100%_1"))[1] == 1  # wildcards in a search are plain text
    assert cases.find(CaseFilter(q="100%"))[1] == 3
    assert cases.find(CaseFilter(severity="high"))[0][0].subject == "acct:9"
    all_ids = [c.id for c in cases.find(CaseFilter(queue="screening"))[0]]
    results = cases.bulk_assign([*all_ids, 999], "li.na", "lead")
    assert [r.ok for r in results] == [True, True, True, False] and "999" in results[-1].error
    assert cases.find(CaseFilter(assignee="li.na"))[1] == 3
    done = cases.bulk_close(all_ids[:2], "li.na", "duplicate", "same party as case 1")
    assert all(r.ok and r.state == "closed" and not r.pending for r in done)
    [held] = cases.bulk_close([cases.find(CaseFilter(severity="high"))[0][0].id], "li.na", "duplicate", "same")
    assert held.ok and held.pending and held.state == "new" and cases.find(CaseFilter(state="closed"))[1] == 2
    with pytest.raises(InvalidInput) as bad:
        cases.find(CaseFilter(state="pending", limit=0))
    assert {p.field for p in bad.value.problems} == {"state", "limit"}
    assert len(ids) == 3


def test_csv_export_neutralises_formulas(engine: Engine, cases: CaseService) -> None:
    raise_alert(engine, subject="=HYPERLINK(\"http://x\")", summary="+1 transfer")
    text = "".join(cases.export_csv(CaseFilter(state="all")))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["id", "kind", "state"]
    assert rows[1][6] == "'=HYPERLINK(\"http://x\")" and rows[1][7] == "'+1 transfer"


@given(st.text(max_size=30))
def test_csv_cells_never_start_a_formula(text: str) -> None:
    assert not m.csv_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))


@given(st.text(max_size=12))
def test_confirmation_parser_only_accepts_its_alphabet(text: str) -> None:
    raw = m.parse_confirmation(text)
    assert raw is None or (len(raw) == 8 and set(raw) <= set(m.CONFIRMATION_ALPHABET))


def test_confirmation_numbers_avoid_symbols_misheard_on_the_phone() -> None:
    assert not set("0O1IL2Z5S8BUV") & set(m.CONFIRMATION_ALPHABET)
    assert len({m.new_confirmation() for _ in range(1000)}) == 1000


def test_every_case_string_exists_in_both_languages() -> None:
    assert cases_text("zh").keys() == cases_text("en").keys()
    assert complaint_text("zh").keys() == complaint_text("en").keys()
    for kind, dispositions in m.DISPOSITIONS.items():
        assert {f"disp_{d}" for d in dispositions} <= cases_text("en").keys(), kind
    assert {f"cat_{c}" for c in m.COMPLAINT_CATEGORIES} <= complaint_text("zh").keys()
    assert {f"svc_{s}" for s in m.SERVICE_TYPES} <= cases_text("zh").keys()
    assert {f"state_{s}" for s in m.FILTER_STATES} <= cases_text("zh").keys()


def test_a_due_diligence_hit_is_a_due_diligence_review_and_other_alerts_stay_alerts(engine: Engine, cases: CaseService) -> None:
    """A counterparty's screening hit becomes a due-diligence review (#13), which can also end in
    enhanced due diligence; the guard's and the monitors' alerts stay alert cases."""
    raise_alert(engine, kind="screening_hit", subject="party:9")
    raise_alert(engine, kind="guard_block", subject="account:1")
    found, _ = cases.find(CaseFilter())
    kinds = {c.subject: c.kind for c in found}
    assert kinds == {"party:9": m.CaseKind.DUE_DILIGENCE, "account:1": m.CaseKind.ALERT}
    review = next(c for c in found if c.subject == "party:9")
    closed = cases.close(review.id, "li.na", "enhanced_due_diligence", "the beneficial owner needs checking")
    assert closed.disposition == "enhanced_due_diligence"
    alert_case = next(c for c in found if c.subject == "account:1")
    with pytest.raises(InvalidInput):
        cases.close(alert_case.id, "li.na", "enhanced_due_diligence", "not a disposition of an alert")
