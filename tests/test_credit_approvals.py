"""Referred credit applications are loan_approval cases (#14): the analyst's answer from the case
is written back to the application's stages, with who and why (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from finguard.alerts.model.cases import CaseFilter, CaseKind
from finguard.alerts.provider import make_cases
from finguard.alerts.service.cases import CaseService
from finguard.core.errors import Conflict, Forbidden, Unavailable
from finguard.credit.model.taxdata import record_to_doc
from finguard.credit.provider import CaseApprovals, register_approvals
from finguard.credit.service import CreditService
from finguard.credit.store.files import FileTaxFeed
from finguard.credit.store.repo import SqlCreditStore
from tests.credit_helpers import ask, good_record

YUAN = 100


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=5)
        return self.now


@pytest.fixture
def feed_dir(tmp_path):
    rec = good_record()
    (tmp_path / f"{rec.firm.uscc}.json").write_text(json.dumps(record_to_doc(rec), ensure_ascii=False))
    return tmp_path


def wire(engine: Engine, feed_dir, clock: Clock, *, write_back: bool = True) -> tuple[CreditService, CaseService]:
    cases = make_cases(engine, clock)
    svc = CreditService(SqlCreditStore(engine), FileTaxFeed(feed_dir), clock=clock, approvals=CaseApprovals(lambda: cases))
    if write_back:
        register_approvals(cases, lambda: svc)
    return svc, cases


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wired(engine, feed_dir, clock):
    svc, cases = wire(engine, feed_dir, clock)
    # Lines above CNY 50,000 wait for a person; the good firm's CNY 100,000 line is referred.
    svc.set_policy({"product": {"refer_above_fen": 50_000 * YUAN}}, created_by="test")
    return svc, cases


def stages(row) -> list[str]:
    return [s["stage"] for s in row["stages"]]


def test_a_referred_application_opens_one_loan_approval_case_with_the_credit_sla(wired, clock):
    svc, cases = wired
    r = svc.apply(ask(good_record()), channel="test", actor="applicant")
    assert r.outcome == "refer" and r.case_id is not None
    row = svc.get(r.application_id)
    assert row["outcome"] == "refer" and row["status"] == "referred" and row["approval_case_id"] == r.case_id
    assert stages(row) == ["received", "data_fetched", "scored", "decided", "referred"]
    assert [x["code"] for x in row["reasons"]] == ["REFER_LINE"] and "50,000" in row["reasons"][0]["en"]
    case = cases.get(r.case_id)
    referred_at = row["stages"][-1]["at"]
    assert case.kind is CaseKind.LOAN_APPROVAL and case.queue == "credit" and case.severity == "medium"
    assert case.subject == f"credit_application:{r.application_id}" and case.reference == f"LA{r.application_id}"
    assert case.due_at == referred_at + timedelta(hours=24)  # credit's approval-timeliness target
    assert case.details["application_id"] == r.application_id and case.details["line_fen"] == 100_000 * YUAN
    # The sweep finds the case already open: still one case per application.
    assert svc.open_pending_approvals() == [r.case_id]
    found, total = cases.find(CaseFilter(kind="loan_approval"))
    assert total == 1 and found[0].id == r.case_id


def test_an_analyst_approves_from_the_case_and_the_application_shows_who_and_why(wired):
    svc, cases = wired
    r = svc.apply(ask(good_record()), channel="test")
    cases.review(r.case_id, "user:ana")
    closed = cases.close(r.case_id, "user:ana", "approved", "tax record checked, turnover supports the line")
    assert closed.state.value == "closed" and closed.disposition == "approved"
    row = svc.get(r.application_id)
    assert row["outcome"] == "approve" and row["status"] == "decided"
    last = row["stages"][-1]
    assert last["stage"] == "approved" and last["actor"] == "user:ana"
    assert "turnover supports the line" in last["note"] and f"[case {r.case_id}]" in last["note"]
    # An approved application goes on to signing as any other.
    assert svc.advance(r.application_id, "signed", actor="staff")["status"] == "signed"


def test_a_refusal_from_the_case_refuses_the_application_with_the_reason(wired):
    svc, cases = wired
    r = svc.apply(ask(good_record()), channel="test")
    cases.close(r.case_id, "user:ana", "refused", "related-party sales inflate the turnover")
    row = svc.get(r.application_id)
    assert row["outcome"] == "refuse" and stages(row)[-1] == "refused"
    assert row["reasons"][0]["code"] == "REFUSED_ON_REVIEW" and "related-party" in row["reasons"][0]["en"]
    with pytest.raises(Conflict):
        svc.advance(r.application_id, "signed", actor="staff")


def test_a_large_line_takes_two_people_maker_checker(wired):
    svc, cases = wired
    svc.set_policy({"product": {"checker_above_fen": 80_000 * YUAN}}, created_by="test")
    r = svc.apply(ask(good_record()), channel="test")
    assert cases.get(r.case_id).severity == "high"
    proposed = cases.close(r.case_id, "user:ana", "approved", "fits the policy")
    assert proposed.open and proposed.pending_disposition == "approved"
    assert svc.get(r.application_id)["outcome"] == "refer"  # nothing written back on a proposal
    with pytest.raises(Forbidden):
        cases.confirm(r.case_id, "key:ana")  # the same person under another credential
    cases.confirm(r.case_id, "user:bo")
    row = svc.get(r.application_id)
    last = row["stages"][-1]
    assert row["outcome"] == "approve" and last["stage"] == "approved" and last["actor"] == "user:bo"
    assert "proposed by user:ana" in last["note"]


def test_a_case_engine_without_the_write_back_refuses_to_close_a_loan_approval(engine, feed_dir, clock, wired):
    svc, _ = wired
    r = svc.apply(ask(good_record()), channel="test")
    bare = make_cases(engine, clock)  # no credit handler registered in this "process"
    with pytest.raises(Unavailable):
        bare.close(r.case_id, "user:ana", "approved", "ok")
    assert bare.get(r.case_id).open and svc.get(r.application_id)["outcome"] == "refer"


def test_a_case_closed_where_the_write_back_failed_is_settled_on_the_next_read(engine, feed_dir, clock, wired):
    svc, _ = wired

    class Lost:
        def check(self, case, disposition):
            pass

        def closed(self, case, actor, proposed_by):
            pass  # the write-back was lost (a crash between the two writes)

    r = svc.apply(ask(good_record()), channel="test")
    other = make_cases(engine, clock)
    other.on_close(CaseKind.LOAN_APPROVAL, Lost())
    other.close(r.case_id, "user:ana", "approved", "checked")
    row = svc.get(r.application_id)
    assert row["outcome"] == "approve" and stages(row)[-1] == "approved" and "[case" in row["stages"][-1]["note"]


def test_closing_again_after_the_application_was_settled_is_a_conflict(wired):
    svc, cases = wired
    r = svc.apply(ask(good_record()), channel="test")
    svc.settle_approval(r.application_id, approved=False, actor="user:bo", reason="withdrawn by the firm")
    with pytest.raises(Conflict):
        cases.close(r.case_id, "user:ana", "approved", "late answer")
    assert cases.get(r.case_id).open


def test_an_approval_past_its_sla_is_a_timeliness_breach_and_the_case_escalates(wired, clock):
    svc, cases = wired
    r = svc.apply(ask(good_record()), channel="test")
    clock.now += timedelta(hours=25)
    found = [b for b in svc.timeliness(since=clock.now - timedelta(days=2)) if b.application_id == r.application_id]
    assert [b.stage for b in found] == ["approved"] and found[0].reached is None
    cases.sync()
    assert cases.get(r.case_id).state.value == "escalated"
    cases.close(r.case_id, "user:ana", "approved", "late but fine")
    late = [b for b in svc.timeliness(since=clock.now - timedelta(days=2)) if b.stage == "approved"]
    assert late and late[0].reached is not None


def test_a_referral_whose_case_could_not_be_opened_gets_it_from_the_sweep(engine, feed_dir, clock):
    svc, cases = wire(engine, feed_dir, clock)
    svc.set_policy({"product": {"refer_above_fen": 50_000 * YUAN}}, created_by="test")

    class Down:
        def open(self, request):
            raise RuntimeError("case engine down")

        def find(self, application_id):
            return None

    real = svc.approvals
    svc.approvals = Down()
    r = svc.apply(ask(good_record()), channel="test")
    assert r.outcome == "refer" and r.case_id is None
    svc.approvals = real
    opened = svc.open_pending_approvals()
    assert len(opened) == 1 and cases.get(opened[0]).details["application_id"] == r.application_id


def test_without_referral_settings_an_approval_is_decided_automatically(engine, feed_dir, clock):
    svc, cases = wire(engine, feed_dir, clock)
    r = svc.apply(ask(good_record()), channel="test")
    assert r.outcome == "approve" and r.case_id is None
    assert cases.find(CaseFilter(kind="loan_approval"))[1] == 0


def test_from_the_command_line_a_referral_is_approved_by_closing_its_case(tmp_path, db_url, feed_dir):
    import typer
    from typer.testing import CliRunner

    from finguard.alerts.cli import cases_app
    from finguard.core.db import make_engine, upgrade
    from finguard.credit.cli import app as credit_cli
    from finguard.credit.provider import CreditSettings, make_credit

    engine = make_engine(db_url)
    upgrade(engine)
    make_credit(engine, CreditSettings(tax_feed_dir=feed_dir)).set_policy({"product": {"refer_above_fen": 50_000 * YUAN}},
                                                                           created_by="test")  # fmt: skip
    engine.dispose()
    env = {"FINGUARD_DATABASE_URL": db_url, "FINGUARD_HOME": str(tmp_path / "home"), "FINGUARD_CREDIT_TAX_FEED_DIR": str(feed_dir),
           "COLUMNS": "220"}  # fmt: skip
    runner = CliRunner()
    root = typer.Typer()
    root.add_typer(cases_app, name="cases")
    r = runner.invoke(credit_cli, ["apply", good_record().firm.uscc, "--amount", "100000", "--purpose", "备货", "--json"], env=env)
    assert r.exit_code == 0, r.output
    shown = json.loads(r.output)
    assert shown["outcome"] == "refer"
    r = runner.invoke(credit_cli, ["sla", "--alerts", "--json"], env=env)
    assert r.exit_code == 0, r.output
    cases = json.loads(r.output)["approval_cases"]
    assert len(cases) == 1
    r = runner.invoke(root, ["cases", "close", str(cases[0]), "--disposition", "approved", "--reason", "checked", "--as", "li.na"],
                      env=env)  # fmt: skip
    assert r.exit_code == 0, r.output
    row = json.loads(runner.invoke(credit_cli, ["show", str(shown["id"]), "--json"], env=env).output)
    assert row["outcome"] == "approve" and row["stages"][-1]["stage"] == "approved" and "li.na" in row["stages"][-1]["actor"]
