"""An analyst works an alert from new to closed in headless Chromium, in English and in Chinese
(the Chinese run on a 390 px phone, with a second person confirming a high-risk close)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from finguard.alerts.store import alert
from finguard.app.platform import Platform
from tests.browser import new_page, serve, sign_in
from tests.conftest import make_settings
from tests.test_cases_web import cases_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """uvicorn over SQLite with two alerts as the monitors and screening write them, and two analysts."""
    tmp_path = tmp_path_factory.mktemp("cases")
    platform = Platform(make_settings(f"sqlite:///{tmp_path}/c.db", tmp_path, delta_screening=False))
    with platform.engine.begin() as conn:
        for severity, subject, summary in (("medium", "account:6222-0001", "fan-in from 40 accounts"),
                                           ("high", "party:WANG-7", "王强 matches a sanctions entry")):
            conn.execute(alert.insert().values(kind="aml_fan_in" if severity == "medium" else "screening_hit",
                                               subject=subject, severity=severity, status="open", summary=summary,
                                               details={}, created_at=datetime.now(UTC)))
    maker = platform.keys.create("analyst-7", "analyst", actor="test")[1]
    checker = platform.keys.create("analyst-8", "analyst", actor="test")[1]
    try:
        with serve(cases_app(platform)) as url:
            yield url, maker, checker
    finally:
        platform.close()




def _open_case(page: Page, url: str, lang: str, subject: str) -> None:
    page.goto(f"{url}/staff/cases?lang={lang}")
    expect(page.locator("#case-chart")).to_be_visible()
    page.locator("tr.case-row", has_text=subject).locator("a").first.click()
    expect(page.locator("#case-state")).to_have_attribute("data-state", "new")


def _work(page: Page) -> None:
    page.click("#assign-form button")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "assigned")
    page.click("#review-form button")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "in_review")
    page.fill("#f-text", "Counterparties checked one by one")
    page.click("#comment-form button")
    expect(page.locator("tr.trail-row[data-action=comment]")).to_contain_text("Counterparties checked")


def test_an_analyst_closes_an_alert_in_english(live: tuple[str, str, str], browser: Browser) -> None:
    url, maker, _ = live
    page = new_page(browser, "en-GB", 1280)
    sign_in(page, url, maker, "en")
    _open_case(page, url, "en", "account:6222-0001")
    _work(page)
    page.select_option("#f-disposition", "false_positive")
    page.click("#close-form button")
    expect(page.locator("#case-error")).to_contain_text("Please check")  # a close needs its reason
    page.select_option("#f-disposition", "false_positive")
    page.fill("#f-reason", "payroll account of a known employer")
    page.click("#close-form button")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "closed")
    expect(page.locator("#case-disposition")).to_contain_text("False positive")
    expect(page.locator("tr.trail-row")).to_have_count(5)
    page.context.close()


def test_a_high_risk_alert_is_closed_by_two_people_in_chinese_on_a_phone(live: tuple[str, str, str], browser: Browser) -> None:
    url, maker, checker = live
    page = new_page(browser, "zh-CN", 390)
    sign_in(page, url, maker, "zh")
    page.goto(f"{url}/staff/cases?lang=zh")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the list scrolls inside its card
    _open_case(page, url, "zh", "party:WANG-7")
    _work(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.select_option("#f-disposition", "true_positive")
    page.fill("#f-reason", "证件号码与名单一致")
    page.click("#close-form button")
    expect(page.locator("#pending")).to_contain_text("复核")
    expect(page.locator("#confirm-form")).to_have_count(0)  # the maker is not offered the confirmation
    case_url = page.url.split("&saved")[0]
    page.context.close()

    second = new_page(browser, "zh-CN", 390)
    sign_in(second, url, checker, "zh")
    second.goto(case_url)
    second.click("#confirm-form button[value=confirm]")
    expect(second.locator("#case-state")).to_have_attribute("data-state", "closed")
    expect(second.locator("#case-disposition")).to_contain_text("确认命中")
    expect(second.locator("tr.trail-row[data-action=close]")).to_contain_text("analyst-8")
    second.goto(url + "/staff/cases?lang=zh")
    expect(second.locator("#case-total")).to_contain_text("共 0 件")
    assert second.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off a phone's screen
    second.context.close()
