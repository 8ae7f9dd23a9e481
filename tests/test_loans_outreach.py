"""Outreach: a relief campaign reaches each eligible borrower once, with their own figures,
honouring quiet hours, frequency caps and opt-outs, over a real SMTP server (aiosmtpd) and a
real local webhook; a killed run never sends a message twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from finguard.core.errors import Conflict
from finguard.loans.channels import SmtpSender, WebhookSender
from finguard.loans.model.eligibility import EPIDEMIC_2020
from finguard.loans.model.outreach import CHINA, Channel, Contact, Recipient, Rules, Skip, Template, plan
from finguard.loans.provider import make_outreach
from tests.loans_servers import smtp_server, webhook_server

TEMPLATE = Template(
    subject_zh="延期还款通知",
    body_zh="$name 您好：您的贷款 $loan_id 可申请$relief。当前月供 $instalment_now 元，纾困后首期 $instalment_after 元。回复 TD 退订。",
    subject_en="Repayment relief", body_en="Dear $name, your loan $loan_id qualifies for $relief. Instalment now $instalment_now, "
    "after relief $instalment_after. Reply STOP to opt out.",
)
NOON = datetime(2020, 3, 2, 12, 0, tzinfo=CHINA)


def test_plan_honours_quiet_hours_opt_outs_missing_addresses_and_caps():
    """21:30 China time is inside the quiet hours (21:00-08:00): the messages wait for 08:00."""
    people = [Recipient(Contact("C1", "张三", "zh", phone="13900000001"), {"loan_id": "L1", "relief": "延期", "instalment_now": "1.00",
                                                                            "instalment_after": "0.50"}),
              Recipient(Contact("C2", "Li Si", "en", phone="13900000002"), {"loan_id": "L2", "relief": "a grace", "instalment_now": "2.00",
                                                                             "instalment_after": "2.00"}),
              Recipient(Contact("C3", "王五", "zh"), {"loan_id": "L3", "relief": "x", "instalment_now": "3", "instalment_after": "3"}),
              Recipient(Contact("C4", "赵六", "zh", phone="139"),
                        {"loan_id": "L4", "relief": "x", "instalment_now": "4", "instalment_after": "4"})]
    late = datetime(2020, 3, 2, 21, 30, tzinfo=CHINA)
    out = plan("camp", Channel.SMS, TEMPLATE, people, now=late, rules=Rules(), opted_out={"C2"}, recent={"C4": 3})
    assert [p.skipped for p in out] == [None, Skip.OPTED_OUT, Skip.NO_ADDRESS, Skip.CAPPED]
    assert out[0].not_before == datetime(2020, 3, 3, 8, 0, tzinfo=CHINA)
    assert "张三 您好：您的贷款 L1 可申请延期。当前月供 1.00 元" in out[0].body
    assert out[1].body.startswith("Dear Li Si, your loan L2")
    assert out[0].key == plan("camp", Channel.SMS, TEMPLATE, people[:1], now=NOON, rules=Rules(), opted_out=set(), recent={})[0].key


def test_a_template_naming_a_figure_nobody_has_is_refused():
    bad = Template("s", "$name owes $debt", "s", "$name")
    with pytest.raises(Exception) as err:
        plan("c", Channel.SMS, bad, [Recipient(Contact("C1", "A", "zh", phone="13900000001"))], now=NOON, rules=Rules(), opted_out=set(),
             recent={})
    assert "$debt" in str(err.value)


BOOK = [
    {"loan_id": f"L-{i:03}", "customer_id": f"C-{i:03}", "branch": "310000", "principal": "300000.00", "annual_rate": "4.35%",
     "term_months": 36, "start": "2020-01-15", "industry": "H", "firm_size": "small", "impact_documented": True}
    for i in range(1, 6)
]
CONTACTS = [{"customer_id": f"C-{i:03}", "name": f"客户{i}", "lang": "zh" if i % 2 else "en", "email": f"c{i}@example.cn",
             "phone": f"1390000000{i}"} for i in range(1, 6)]


@pytest.fixture
def outreach(engine):
    clock = [NOON.astimezone(UTC)]
    svc = make_outreach(engine, clock=lambda: clock[0])
    svc.loans.clock = lambda: clock[0]
    svc.loans.import_loans(enumerate(BOOK, 2), actor="importer")
    svc.import_contacts(enumerate(CONTACTS, 2))
    batch = svc.loans.evaluate(EPIDEMIC_2020, actor="analyst-1")
    svc.clock_ref = clock
    svc.batch_id = batch.batch_id
    return svc


def test_an_email_campaign_reaches_each_borrower_once_with_their_figures(outreach):
    recipients = outreach.relief_segment(outreach.batch_id, date(2020, 3, 1))
    assert len(recipients) == 5 and recipients[0].figures["instalment_now"] == "8,903.98"
    report = outreach.create_campaign("relief-mail", "Relief", Channel.EMAIL, TEMPLATE, recipients, "officer-1", "batch")
    assert report["by_status"] == {"queued": 5}
    with pytest.raises(Conflict):
        outreach.create_campaign("relief-mail", "Relief", Channel.EMAIL, TEMPLATE, recipients, "officer-1", "batch")
    with smtp_server() as (port, box):
        sender = SmtpSender("127.0.0.1", port, "relief@bank.example")
        done = outreach.run("relief-mail", {Channel.EMAIL: sender})
        assert (done.sent, done.failed, done.uncertain) == (5, 0, 0)
        assert outreach.run("relief-mail", {Channel.EMAIL: sender}).sent == 0
        sender.close()
        time.sleep(0.2)
    assert len({m["id"] for m in box.messages}) == 5
    first = next(m for m in box.messages if m["to"] == "c1@example.cn")
    assert first["subject"] == "延期还款通知" and "8,903.98" in first["body"] and "客户1 您好" in first["body"]
    assert outreach.store.report("relief-mail")["by_status"] == {"sent": 5}


def test_sms_over_the_webhook_opt_out_by_reply_and_the_frequency_cap(outreach):
    recipients = outreach.relief_segment(outreach.batch_id, date(2020, 3, 1))
    outreach.create_campaign("relief-sms", "Relief", Channel.SMS, TEMPLATE, recipients, "officer-1", "batch")
    with webhook_server() as (url, gateway):
        gateway.refuse.add("13900000005")
        done = outreach.run("relief-sms", {Channel.SMS: WebhookSender(url)})
        assert (done.sent, done.failed) == (4, 1)
        key = next(k for k, body in gateway.delivered.items() if body["to"] == "13900000001")
        outreach.reply(key, "退订")
        outreach.rules = Rules(cap_messages=1)
        report = outreach.create_campaign("relief-sms-2", "Reminder", Channel.SMS, TEMPLATE, recipients, "officer-1", "batch")
    assert report["skipped"] == {"opted_out": 1, "frequency_cap": 3}
    assert report["by_status"]["queued"] == 1  # the refused number: a failed message does not count against the cap
    assert outreach.store.report("relief-sms")["replies"] == 1


def test_in_doubt_messages_are_resent_only_where_the_receiver_deduplicates(outreach):
    """A run died after claiming (status sending): the webhook gets the same key again and the
    gateway keeps one; e-mail is marked uncertain and not resent."""
    recipients = outreach.relief_segment(outreach.batch_id, date(2020, 3, 1))
    outreach.create_campaign("sms", "s", Channel.SMS, TEMPLATE, recipients, "o", "b")
    outreach.create_campaign("mail", "m", Channel.EMAIL, TEMPLATE, recipients, "o", "b")
    with webhook_server() as (url, gateway), smtp_server() as (port, box):
        hook = WebhookSender(url)
        claimed = outreach.store.claim("sms", outreach.clock(), 2)
        hook.send(claimed[0])  # delivered, then the process "died" before recording it
        outreach.store.claim("mail", outreach.clock(), 1)
        outreach.clock_ref[0] += timedelta(minutes=5)
        sms = outreach.run("sms", {Channel.SMS: hook})
        mail = outreach.run("mail", {Channel.EMAIL: SmtpSender("127.0.0.1", port, "r@bank.example")})
        time.sleep(0.2)
    assert (sms.resent_in_doubt, sms.sent) == (2, 3) and gateway.duplicates == 1 and len(gateway.delivered) == 5
    assert (mail.uncertain, mail.sent) == (1, 4) and len(box.messages) == 4


def test_quiet_hours_hold_the_campaign_until_morning(outreach):
    outreach.clock_ref[0] = datetime(2020, 3, 2, 22, 0, tzinfo=CHINA).astimezone(UTC)
    recipients = outreach.relief_segment(outreach.batch_id, date(2020, 3, 1))
    outreach.create_campaign("night", "n", Channel.SMS, TEMPLATE, recipients, "o", "b")
    with webhook_server() as (url, _gateway):
        assert outreach.run("night", {Channel.SMS: WebhookSender(url)}).waiting == 5
        outreach.clock_ref[0] = datetime(2020, 3, 3, 8, 1, tzinfo=CHINA).astimezone(UTC)
        assert outreach.run("night", {Channel.SMS: WebhookSender(url)}).sent == 5


def test_an_opt_out_during_a_run_stops_messages_already_reserved(outreach):
    """A run reserves a batch before sending it one by one: an opt-out recorded meanwhile skips the
    customer's reserved message, and a dead run's reservations are sent once by the next run."""
    recipients = outreach.relief_segment(outreach.batch_id, date(2020, 3, 1))
    outreach.create_campaign("mail", "m", Channel.EMAIL, TEMPLATE, recipients, "o", "b")
    reserved = outreach.store.reserve("mail", outreach.clock(), 3)  # a run that then died
    assert [m.customer_id for m in reserved] == ["C-001", "C-002", "C-003"]
    outreach.opt_out("C-002", Channel.EMAIL, "phone call")
    assert outreach.store.advance(None, reserved[1].key, outreach.clock()) is False  # never handed to the channel
    with smtp_server() as (port, box):
        sender = SmtpSender("127.0.0.1", port, "r@bank.example")
        fresh = outreach.run("mail", {Channel.EMAIL: sender}, connections=3)  # the reservations are not yet past the lease
        outreach.clock_ref[0] += timedelta(minutes=5)
        later = outreach.run("mail", {Channel.EMAIL: sender}, connections=3)
        sender.close()
        time.sleep(0.2)
    assert (fresh.sent, later.sent, later.uncertain) == (2, 2, 0)
    assert sorted(m["to"] for m in box.messages) == ["c1@example.cn", "c3@example.cn", "c4@example.cn", "c5@example.cn"]
    assert outreach.store.report("mail")["skipped"] == {"opted_out": 1}


def test_a_webhook_campaign_over_several_connections_sends_each_message_once(outreach):
    recipients = outreach.relief_segment(outreach.batch_id, date(2020, 3, 1))
    outreach.create_campaign("sms", "s", Channel.SMS, TEMPLATE, recipients, "o", "b")
    with webhook_server() as (url, gateway):
        hook = WebhookSender(url)
        done = outreach.run("sms", {Channel.SMS: hook}, connections=4, batch=2)
        hook.close()
    assert (done.sent, done.failed, gateway.duplicates, len(gateway.delivered)) == (5, 0, 0, 5)
    assert outreach.store.report("sms")["by_status"] == {"sent": 5}


def test_an_email_has_crlf_line_ends_and_a_long_chinese_subject_survives_folding():
    from email import message_from_bytes, policy

    from finguard.loans.service.outreach import Message

    subject = "延期还款政策通知：" * 6
    message = Message("k" * 32, "c", "C1", Channel.EMAIL, "c1@example.cn", "zh", subject, "您好\n第二行")
    raw = SmtpSender("127.0.0.1", 25, "r@bank.example").render(message)
    assert raw.count(b"\n") == raw.count(b"\r\n")  # SMTP forbids bare LF; smtplib sends bytes as they are
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == subject and parsed["Message-ID"] == f"<{'k' * 32}@finguard>"
    assert parsed.get_content().splitlines() == ["您好", "第二行"]


@pytest.mark.parametrize("connections", [None, 3])
def test_kill_9_mid_campaign_then_restart_sends_nothing_twice(db_url, tmp_path, connections):
    """A real process sends 60 e-mails to a slow local SMTP server and is killed with SIGKILL
    mid-way; the restarted run finishes. Every address gets at most one e-mail; at most the one
    in flight on each connection (one by default) is left uncertain."""
    from finguard.core.db import make_engine, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    svc = make_outreach(engine)
    people = [Recipient(Contact(f"C{i}", f"客户{i}", "zh", email=f"c{i}@example.cn"),
                        {"loan_id": f"L{i}", "relief": "延期", "instalment_now": "1.00", "instalment_after": "0.50"}) for i in range(60)]
    svc.rules = Rules(quiet_start=datetime.now(CHINA).time(), quiet_end=datetime.now(CHINA).time())  # no quiet hours now
    svc.create_campaign("big", "b", Channel.EMAIL, TEMPLATE, people, "o", "test")
    engine.dispose()
    env = {**os.environ, "FINGUARD_DATABASE_URL": db_url}
    code = "import sys; from finguard.loans.cli import app; app(sys.argv[1:])"
    with smtp_server(delay=0.03) as (port, box):
        args = [sys.executable, "-c", code, "campaign", "run", "big", "--smtp-port", str(port), "--lease-seconds", "0",
                "--quiet", "00:00-00:00",
                *(["--connections", str(connections)] if connections else [])]
        first = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(box.messages) < 15 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        killed_at = len(box.messages)
        assert 0 < killed_at < 60
        second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        time.sleep(0.3)
    ids = [m["to"] for m in box.messages]
    assert len(ids) == len(set(ids))  # nothing sent twice
    engine = make_engine(db_url)
    report = make_outreach(engine).store.report("big")
    engine.dispose()
    assert report["by_status"].get("uncertain", 0) <= (connections or 1)
    assert report["by_status"]["sent"] + report["by_status"].get("uncertain", 0) == 60
    assert len(ids) >= report["by_status"]["sent"]
