"""The staff console acts (#13), in headless Chromium: a teller checks a payee; staff add, find, edit
and delist a list entry (in Chinese on a 390 px phone); staff change a customer's controls with the
delayed loosening; an administrator writes a rule, tests it on recent events and enables it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.identifiers import IdType
from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind
from tests.browser import new_page, serve, sign_in
from tests.conftest import make_settings
from tests.guard_helpers import transfer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """uvicorn over SQLite with a police list holding one account, a bank list, recent guard events,
    an analyst and an administrator."""
    tmp_path = tmp_path_factory.mktemp("console")
    platform = Platform(make_settings(f"sqlite:///{tmp_path}/c.db", tmp_path, delta_screening=False))
    platform.lists.create_list("police", "Police fraud accounts", "fraud_account", "police", "critical")
    platform.lists.create_list("mule-own", "Our mule accounts", "mule_account", "fraud team", "high")
    platform.lists.add_entry("police", EntryDraft("account:6222020200003333", SubjectKind.IDENTIFIER,
                                                  (Identifier(IdType.ACCOUNT, "6222020200003333"),), reason="police report 2026-117"), "t")
    now = datetime.now(UTC)
    for i, amount in enumerate(("100.00", "60000.00", "75000.00", "200.00")):
        platform.guard.decide_raw(transfer(f"ev-{i}", at=now - timedelta(hours=5 - i), amount=amount))
    analyst = platform.keys.create("analyst-7", "analyst", actor="test")[1]
    admin = platform.keys.create("admin-7", "admin", actor="test")[1]
    try:
        with serve(create_app(platform)) as url:
            yield url, analyst, admin
    finally:
        platform.close()




def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # tables scroll inside their cards


def test_a_teller_checks_a_payee_in_english(live: tuple[str, str, str], browser: Browser) -> None:
    url, analyst, _ = live
    page = new_page(browser, "en-GB", 1280)
    sign_in(page, url, analyst, "en")
    page.click("nav.staff-nav a:has-text('Payee check')")
    page.fill("#f-account", "6222 0202 0000 3333")
    page.click("#check-form button[type=submit]")
    expect(page.locator("#check-result")).to_have_attribute("data-outcome", "block")
    expect(page.locator("#check-level")).to_have_text("critical")
    expect(page.locator("tr.hit-row")).to_contain_text("police report 2026-117")
    page.fill("#f-account", "12")
    page.click("#check-form button[type=submit]")
    expect(page.locator("#form-errors li[data-field=account]")).to_be_visible()
    page.fill("#f-account", "6222020200003333")
    page.click("#check-form button[type=submit]")
    page.click("#file-complaint")  # the customer was talked into paying: a complaint for them
    expect(page.locator("#new-case-form")).to_be_visible()
    page.context.close()


def test_staff_work_a_list_entry_in_chinese_on_a_phone(live: tuple[str, str, str], browser: Browser) -> None:
    url, analyst, _ = live
    page = new_page(browser, "zh-CN", 390)
    sign_in(page, url, analyst, "zh")
    page.goto(f"{url}/staff/lists?lang=zh")
    expect(page.locator("tr.list-row[data-code=police] .as-of")).not_to_have_text("—")
    _fits(page)
    page.select_option("#f-list_code", "mule-own")
    page.fill("#f-id_value", "6222020200005555")
    page.click("#add-form button[type=submit]")
    expect(page.locator("#form-errors li[data-field=reason]")).to_contain_text("理由")  # every bad field named
    page.select_option("#f-list_code", "mule-own")
    page.select_option("#f-risk_level", "medium")
    page.fill("#f-id_value", "6222020200005555")
    page.fill("#f-name", "张伟")
    page.fill("#f-reason", "出售银行卡")
    page.click("#add-form button[type=submit]")
    expect(page.locator("#saved")).to_be_visible()
    expect(page.locator("#entry-level")).to_have_text("中")
    _fits(page)
    # The very next check sees it.
    page.goto(f"{url}/staff/payee-check?lang=zh")
    page.fill("#f-account", "6222020200005555")
    page.click("#check-form button[type=submit]")
    expect(page.locator("#check-result")).to_have_attribute("data-outcome", "warn")
    _fits(page)
    # Find it by name, raise it, then delist it with a reason (it waits for a supervisor).
    page.goto(f"{url}/staff/lists?lang=zh")
    page.fill("#s-name", "张伟")
    page.click("#search-submit")
    page.locator("#search-results tr.entry-row a").first.click()
    page.select_option("#f-risk_level", "high")
    page.click("#edit-form button[type=submit]")
    expect(page.locator("#entry-level")).to_have_text("高")
    page.click("#delist-form button[type=submit]")
    expect(page.locator("#form-errors li[data-field=delist_reason]")).to_be_visible()
    page.fill("#f-delist_reason", "客户已注销该卡")
    page.click("#delist-form button[type=submit]")
    expect(page.locator("#pending")).to_contain_text("审批")
    _fits(page)
    page.context.close()


def test_staff_change_a_customers_controls(live: tuple[str, str, str], browser: Browser) -> None:
    url, analyst, _ = live
    page = new_page(browser, "zh-CN", 390)
    sign_in(page, url, analyst, "zh")
    page.goto(f"{url}/staff/guard/customers/c-42?lang=zh")
    page.check("#f-nl_enabled")
    page.fill("#f-lim_mobile_single", "5000")
    page.click("#controls-form button[type=submit]")
    expect(page.locator("#controls-saved")).to_be_visible()
    expect(page.locator("[data-control=night_lock] .pill")).to_have_text("开启")
    _fits(page)
    page.uncheck("#f-nl_enabled")
    page.click("#controls-form button[type=submit]")
    expect(page.locator("#controls-saved")).to_contain_text("生效")  # the loosening waits the delay
    expect(page.locator("[data-control=night_lock] .pill")).to_have_text("开启")
    page.uncheck("#f-nl_enabled")
    page.check("#f-at_branch")
    page.click("#controls-form button[type=submit]")
    expect(page.locator("#form-errors li[data-field=reason]")).to_be_visible()
    page.fill("#f-reason", "本人持身份证到网点确认")
    page.click("#controls-form button[type=submit]")
    expect(page.locator("#controls-pending")).to_be_visible()
    _fits(page)
    page.context.close()


def test_an_administrator_tests_a_rule_then_enables_it_in_shadow(live: tuple[str, str, str], browser: Browser) -> None:
    url, _, admin = live
    page = new_page(browser, "en-GB", 1280)
    sign_in(page, url, admin, "en")
    page.goto(f"{url}/staff/guard?lang=en")
    page.click("#new-rule")
    page.fill("#f-id", "big_transfer")
    page.fill("#f-expression", "event.amount >= 50000")
    page.fill("#f-description", "a large transfer")
    page.fill("#f-score", "40")
    page.select_option("#f-outcome", "review")
    expect(page.locator("#rule-shadow")).to_have_count(0)  # no enabling before a test run
    page.click("#rule-test")
    expect(page.locator("#rule-result")).to_have_attribute("data-hits", "2")
    expect(page.locator("#rule-rate")).to_have_text("50.00%")
    expect(page.locator("#rule-examples tr.example-row")).to_have_count(2)
    page.click("#rule-shadow")
    expect(page.locator("#rule-saved")).to_contain_text("big_transfer")
    page.goto(f"{url}/staff/guard?lang=en")
    expect(page.locator("#rule-big_transfer")).to_have_attribute("data-mode", "shadow")
    page.context.close()
