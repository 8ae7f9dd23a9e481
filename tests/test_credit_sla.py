"""Approval timeliness: a stage late or still pending past its target is a breach, explained, alerted once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from finguard.alerts.store import alert
from finguard.credit.model.sla import breaches
from finguard.credit.service import CreditService
from finguard.credit.service.monitors import sla_alerts
from finguard.credit.store.alerts import SqlCreditAlerts
from finguard.credit.store.files import FileTaxFeed
from finguard.credit.store.repo import SqlCreditStore
from tests.credit_helpers import ask, good_record

T0 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


def st(**offsets):
    return [{"stage": k, "at": T0 + v} for k, v in offsets.items()]


def test_a_decision_slower_than_a_second_is_a_breach():
    (b,) = breaches(1, "refuse", st(received=timedelta(0), decided=timedelta(seconds=3)), T0 + timedelta(days=9))
    assert b.stage == "decided" and b.late_by == timedelta(seconds=2) and "2.0 s" in b.en and "2.0秒" in b.zh


def test_an_approval_not_signed_in_three_days_is_an_open_breach_but_a_refusal_is_not():
    stages = st(received=timedelta(0), decided=timedelta(milliseconds=5))
    now = T0 + timedelta(days=4)
    (b,) = breaches(2, "approve", stages, now)
    assert b.stage == "signed" and b.reached is None and "still pending" in b.en
    assert breaches(3, "refuse", stages, now) == []


def test_on_time_is_no_breach():
    stages = st(received=timedelta(0), decided=timedelta(milliseconds=5), signed=timedelta(days=1), disbursed=timedelta(days=1, hours=2))
    assert breaches(4, "approve", stages, T0 + timedelta(days=30)) == []


def test_the_service_reports_and_alerts_each_breach_once(engine, tmp_path):
    import json

    from finguard.credit.model.taxdata import record_to_doc

    rec = good_record()
    (tmp_path / f"{rec.firm.uscc}.json").write_text(json.dumps(record_to_doc(rec), ensure_ascii=False))
    clock = [T0]
    svc = CreditService(SqlCreditStore(engine), FileTaxFeed(tmp_path), clock=lambda: clock[0])
    svc.apply(ask(rec))
    clock[0] = T0 + timedelta(days=5)
    found = svc.timeliness(since=T0 - timedelta(days=1))
    assert [(b.stage, b.reached) for b in found] == [("signed", None)]
    sink = SqlCreditAlerts(engine)
    assert len(sla_alerts(found, sink)) == 1 and sla_alerts(found, sink) == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(alert).where(alert.c.kind == "credit_sla_breach")).scalar_one() == 1
