"""Reach and response over time: per China-time day and channel, the messages sent, delivered,
replied to and the opt-outs their replies brought, in the API and as an inline SVG chart on the
campaign page (zh / en), drawn in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.loans.channels import WebhookSender
from finguard.loans.model.eligibility import EPIDEMIC_2020
from finguard.loans.model.outreach import CHINA, Channel, Rules
from finguard.loans.service.outreach import OutreachService
from tests.browser import serve
from tests.conftest import make_settings
from tests.loans_servers import webhook_server
from tests.test_loans_outreach import BOOK, CONTACTS, TEMPLATE, outreach  # noqa: F401 - the fixture

DAY1 = datetime(2020, 3, 2, 12, 0, tzinfo=CHINA)


def _send_and_answer(svc: OutreachService, clock: list[datetime], batch_id: str) -> None:
    """Five SMS sent on 2 March; three delivered that day, one on the 3rd; on the 3rd one reply TD
    (delivered by it) and one thank-you to a message delivered the day before."""
    clock[0] = DAY1.astimezone(UTC)
    recipients = svc.relief_segment(batch_id, date(2020, 3, 1))
    svc.create_campaign("relief-sms", "Relief", Channel.SMS, TEMPLATE, recipients, "officer-1", "batch")
    with webhook_server() as (url, gateway):
        hook = WebhookSender(url)
        assert svc.run("relief-sms", {Channel.SMS: hook}).sent == 5
        hook.close()
    key = {body["to"]: k for k, body in gateway.delivered.items()}
    clock[0] = datetime(2020, 3, 3, 12, 0, tzinfo=CHINA).astimezone(UTC)
    svc.receipts([{"message_id": key[f"1390000000{i}"], "event": "delivered", "at": "2020-03-02T14:00:00+08:00"} for i in (1, 2, 3)]
                 + [{"message_id": key["13900000004"], "event": "delivered", "at": "2020-03-03T09:00:00+08:00"},
                    {"message_id": key["13900000005"], "event": "reply", "text": "TD", "at": "2020-03-03T10:00:00+08:00"},
                    {"message_id": key["13900000001"], "event": "reply", "text": "好的", "at": "2020-03-03T11:00:00+08:00"}])


EXPECTED = [{"day": "2020-03-02", "channel": "sms", "sent": 5, "delivered": 3, "replied": 0, "opted_out": 0},
            {"day": "2020-03-03", "channel": "sms", "sent": 0, "delivered": 2, "replied": 2, "opted_out": 1}]


def test_the_report_counts_reach_and_response_per_china_day(outreach):  # noqa: F811
    _send_and_answer(outreach, outreach.clock_ref, outreach.batch_id)
    report = outreach.campaign_report("relief-sms")
    assert report["timeline"] == EXPECTED
    assert report["totals"] == {"sent": 5, "delivered": 5, "replied": 2, "opted_out": 1}
    assert report["by_status"] == {"delivered": 3, "replied": 2}


def test_the_day_is_china_time():
    from finguard.loans.model.outreach import timeline

    late = datetime(2020, 3, 2, 16, 30, tzinfo=UTC)  # 00:30 on 3 March in China
    assert timeline([("sent", "email", late), ("delivered", "email", None)]) == [
        {"day": "2020-03-03", "channel": "email", "sent": 1, "delivered": 0, "replied": 0, "opted_out": 0}]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    tmp: Path = tmp_path_factory.mktemp("timeline")
    platform = Platform(make_settings(f"sqlite:///{tmp}/t.db", tmp, delta_screening=False))
    clock = [DAY1.astimezone(UTC)]
    svc = platform.outreach
    svc.clock = svc.loans.clock = lambda: clock[0]
    svc.rules = Rules()
    svc.loans.import_loans(enumerate(BOOK, 2), actor="importer")
    svc.import_contacts(enumerate(CONTACTS, 2))
    _send_and_answer(svc, clock, svc.loans.evaluate(EPIDEMIC_2020, actor="analyst-1").batch_id)
    secret = platform.keys.create("analyst-7", "analyst", actor="test")[1]
    try:
        with serve(create_app(platform)) as url:
            yield url, secret
    finally:
        platform.close()


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.mark.browser
def test_browser_the_campaign_page_charts_reach_and_response_per_day(live: tuple[str, str], desk: Page) -> None:
    url, secret = live
    desk.goto(f"{url}/staff/login?lang=zh")
    desk.fill("#f-api_key", secret)
    desk.click("button[type=submit]")
    expect(desk.locator("#who")).to_contain_text("analyst-7")
    errors: list[str] = []
    desk.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # e.g. a CSP refusal
    desk.goto(f"{url}/staff/loans/campaigns/relief-sms?lang=zh")
    chart = desk.locator("#over-time svg[data-chart=timeline]")
    expect(chart).to_be_visible()
    expect(desk.locator("#over-time h2")).to_have_text("每日触达与回应")
    assert chart.locator("rect[data-series]").count() == 8  # two days, four measures
    sent = chart.locator('rect[data-series="sent"][data-day="2020-03-02"]')
    assert sent.get_attribute("data-count") == "5" and sent.bounding_box()["height"] > 100  # the tallest bar
    opted = chart.locator('rect[data-series="opted_out"][data-day="2020-03-03"]')
    assert opted.get_attribute("data-count") == "1" and 0 < opted.bounding_box()["height"] < sent.bounding_box()["height"]
    assert chart.locator('rect[data-series="sent"][data-day="2020-03-03"]').bounding_box()["height"] == 0
    expect(opted.locator("title")).to_have_text("2020-03-03 退订: 1")
    expect(chart).to_contain_text("已送达")
    rows = desk.locator("#timeline-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("2020-03-03")
    desk.goto(f"{url}/staff/loans/campaigns/relief-sms?lang=en")
    expect(desk.locator("#over-time h2")).to_have_text("Reach and response per day")
    expect(desk.locator("#over-time svg[data-chart=timeline]")).to_contain_text("opted out")
    assert errors == []
