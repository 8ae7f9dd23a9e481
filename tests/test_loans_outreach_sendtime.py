"""Outreach rules checked again when a message is sent, not only when the campaign is planned:
a run that reaches quiet hours (21:00 China time) stops and leaves the rest queued for 08:00 (no
message dropped, none sent twice); an opt-out or other campaigns' messages since the plan stop a
message at sending time. The clock is the service's (the core clock in production); the local
gateway and SMTP server move it while the run is sending."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

from finguard.loans.channels import SmtpSender, WebhookSender
from finguard.loans.model.outreach import CHINA, Channel, Rules
from tests.loans_servers import smtp_server, webhook_server
from tests.test_loans_outreach import TEMPLATE, outreach  # noqa: F401 - the fixture

EVENING = datetime(2020, 3, 2, 20, 59, tzinfo=CHINA)
NIGHT = datetime(2020, 3, 2, 21, 0, 30, tzinfo=CHINA)
MORNING = datetime(2020, 3, 3, 8, 0, tzinfo=CHINA)


def _plan(svc, campaign_id, channel):
    recipients = svc.relief_segment(svc.batch_id, date(2020, 3, 1))
    return svc.create_campaign(campaign_id, campaign_id, channel, TEMPLATE, recipients, "officer-1", "batch")


def _statuses(svc, campaign_id):
    return svc.store.report(campaign_id)["by_status"]


def _due(svc, campaign_id):
    from sqlalchemy import select

    from finguard.loans.store.outreach import outreach_message as m
    with svc.store.engine.connect() as conn:
        return {r.not_before for r in conn.execute(select(m.c.not_before).where(m.c.campaign_id == campaign_id, m.c.status == "queued"))}


def _move_clock_at(svc, n):
    def hook(count):
        if count == n:
            svc.clock_ref[0] = NIGHT.astimezone(UTC)
    return hook


def test_a_webhook_run_reaching_quiet_hours_stops_and_the_morning_run_finishes(outreach):  # noqa: F811
    outreach.clock_ref[0] = EVENING.astimezone(UTC)
    _plan(outreach, "sms", Channel.SMS)
    with webhook_server() as (url, gateway):
        gateway.on_deliver = _move_clock_at(outreach, 2)
        hook = WebhookSender(url)
        done = outreach.run("sms", {Channel.SMS: hook}, batch=1)
        assert (done.sent, done.waiting, done.quiet_until) == (2, 3, MORNING.astimezone(UTC))
        assert _due(outreach, "sms") == {MORNING.astimezone(UTC)}  # re-queued to the end of the quiet hours
        outreach.clock_ref[0] = datetime(2020, 3, 3, 1, 0, tzinfo=CHINA).astimezone(UTC)
        assert outreach.run("sms", {Channel.SMS: hook}).sent == 0
        outreach.clock_ref[0] = datetime(2020, 3, 3, 8, 1, tzinfo=CHINA).astimezone(UTC)
        later = outreach.run("sms", {Channel.SMS: hook})
        hook.close()
    assert (later.sent, later.quiet_until, gateway.duplicates, len(gateway.delivered)) == (3, None, 0, 5)
    assert _statuses(outreach, "sms") == {"sent": 5}


def test_messages_claimed_before_quiet_hours_but_not_yet_sent_go_back_to_the_queue(outreach):  # noqa: F811
    """A batch of 5 is claimed at 20:59; the clock passes 21:00 after the first is delivered: the
    other four were never handed to the gateway and wait for 08:00."""
    outreach.clock_ref[0] = EVENING.astimezone(UTC)
    _plan(outreach, "sms", Channel.SMS)
    with webhook_server() as (url, gateway):
        gateway.on_deliver = _move_clock_at(outreach, 1)
        hook = WebhookSender(url)
        done = outreach.run("sms", {Channel.SMS: hook}, batch=5, connections=1)
        hook.close()
    assert (done.sent, done.waiting, len(gateway.delivered)) == (1, 4, 1)
    assert _statuses(outreach, "sms") == {"sent": 1, "queued": 4}
    assert _due(outreach, "sms") == {MORNING.astimezone(UTC)}


def test_an_email_run_reaching_quiet_hours_leaves_nothing_reserved_or_uncertain(outreach):  # noqa: F811
    outreach.clock_ref[0] = EVENING.astimezone(UTC)
    _plan(outreach, "mail", Channel.EMAIL)
    with smtp_server() as (port, box):
        box.on_message = _move_clock_at(outreach, 2)
        sender = SmtpSender("127.0.0.1", port, "r@bank.example")
        done = outreach.run("mail", {Channel.EMAIL: sender}, connections=2)
        assert done.quiet_until == MORNING.astimezone(UTC)
        assert _statuses(outreach, "mail") == {"sent": done.sent, "queued": 5 - done.sent}
        outreach.clock_ref[0] = datetime(2020, 3, 3, 8, 5, tzinfo=CHINA).astimezone(UTC)
        later = outreach.run("mail", {Channel.EMAIL: sender}, connections=2)
        sender.close()
        time.sleep(0.2)
    assert 2 <= done.sent <= 3  # the second connection may have had one message in flight when the clock moved
    assert done.sent + later.sent == 5 and later.uncertain == 0
    assert sorted(m["to"] for m in box.messages) == [f"c{i}@example.cn" for i in range(1, 6)]


def test_an_opt_out_during_the_run_stops_further_messages_to_that_customer(outreach):  # noqa: F811
    _plan(outreach, "sms", Channel.SMS)
    with webhook_server() as (url, gateway):
        def opt_out(count):
            if count == 1:
                outreach.opt_out("C-003", Channel.SMS, "branch visit")
        gateway.on_deliver = opt_out
        hook = WebhookSender(url)
        done = outreach.run("sms", {Channel.SMS: hook}, batch=1)
        hook.close()
    assert done.sent == 4 and "13900000003" not in {b["to"] for b in gateway.delivered.values()}
    assert outreach.store.report("sms")["skipped"] == {"opted_out": 1}


def test_an_opt_out_after_a_batch_was_claimed_is_checked_before_sending(outreach):  # noqa: F811
    _plan(outreach, "sms", Channel.SMS)
    claimed = outreach.store.claim("sms", outreach.clock(), 5)
    outreach.opt_out("C-002", Channel.SMS, "call centre")  # the claimed (sending) message is not touched by the opt-out itself
    with webhook_server() as (url, gateway), ThreadPoolExecutor(2) as pool:
        hook = WebhookSender(url)
        results = outreach._send_batch(pool, hook, claimed)
        hook.close()
    assert len(results) == 4 and len(gateway.delivered) == 4
    assert outreach.store.report("sms")["skipped"] == {"opted_out": 1}


def test_the_frequency_cap_is_checked_again_at_sending_time(outreach):  # noqa: F811
    """Two campaigns planned under a cap of 5; the second is sent first. When the cap is 1 by the
    time the first runs, its messages are skipped: each customer already had one."""
    outreach.rules = Rules(cap_messages=5)
    _plan(outreach, "first", Channel.SMS)
    _plan(outreach, "second", Channel.EMAIL)
    with smtp_server() as (port, _box), webhook_server() as (url, gateway):
        sender = SmtpSender("127.0.0.1", port, "r@bank.example")
        assert outreach.run("second", {Channel.EMAIL: sender}).sent == 5
        sender.close()
        outreach.rules = Rules(cap_messages=1)
        done = outreach.run("first", {Channel.SMS: WebhookSender(url)})
    assert (done.sent, len(gateway.delivered)) == (0, 0)
    assert outreach.store.report("first")["skipped"] == {"frequency_cap": 5}
