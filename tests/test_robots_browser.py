"""The nightly robot in headless Chromium (#13): staff run it from the robots page, it raises a case
for a newly listed card, and the settlement report downloads as CSV and XLSX; in English on a
desktop and in Chinese on a 390 px phone."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.ledger.store.tables import ledger_account
from tests.browser import new_page, serve, sign_in
from tests.conftest import make_settings
from tests.test_robots import card, list_card

pytestmark = pytest.mark.browser

FIRST, SECOND = card("6222"), card("6228")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Platform]]:
    """uvicorn over SQLite: two customers' cards in the ledger, already checked once by the robot."""
    tmp_path = tmp_path_factory.mktemp("robots")
    platform = Platform(make_settings(f"sqlite:///{tmp_path}/r.db", tmp_path, delta_screening=False))
    with platform.engine.begin() as conn:
        conn.execute(ledger_account.insert(), [{"account": a, "name": n, "kind": "customer"}
                                               for a, n in ((FIRST, "Li Na"), (SECOND, "王强"))])
    platform.lists.create_list("police-cards", "Police-reported cards", "fraud_account", "police", "critical")
    platform.robots.runner.run("new_listings", actor="os:setup")  # last night's run: nothing listed yet
    key = platform.keys.create("analyst-7", "analyst", actor="test")[1]
    try:
        with serve(create_app(platform)) as url:
            yield url, key, platform
    finally:
        platform.close()




def _run(page: Page, url: str, lang: str, robot: str) -> None:
    page.goto(f"{url}/staff/robots?lang={lang}")
    page.locator(f"tr.robot-row[data-robot={robot}] .run-form button").click()
    expect(page.locator("#started")).to_be_visible()
    # The page refreshes itself while the run is going; the run's row ends "ok".
    expect(page.locator(f"tr.run-row[data-robot={robot}]").first).to_have_attribute("data-outcome", "ok", timeout=20_000)


def _download(page: Page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.locator(selector).first.click()
    return Path(info.value.path()).read_bytes()


def test_the_nightly_robot_raises_a_case_and_writes_the_report_in_english(live: tuple[str, str, Platform],
                                                                        browser: Browser) -> None:
    url, key, platform = live
    list_card(platform, "police-cards", FIRST)  # listed today by the police
    page = new_page(browser, "en-GB", 1280)
    sign_in(page, url, key, "en")
    _run(page, url, "en", "new_listings")
    expect(page.locator("tr.robot-row[data-robot=new_listings] .robot-counts")).to_contain_text("cases opened 1")
    expect(page.locator("#hits")).to_contain_text(FIRST)

    page.goto(f"{url}/staff/cases?lang=en")
    row = page.locator("tr.case-row", has_text=f"card:{FIRST}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("robots")
    page.goto(f"{url}/staff/?lang=en")
    expect(page.locator("#sla-breached")).to_have_text("0")

    _run(page, url, "en", "settlement_report")
    csv = _download(page, "a.report-csv").decode()
    assert csv.startswith("day,section,group,count") and ",cases_opened,alert,1" in csv
    assert ",alerts_by_source,robots,1" in csv
    xlsx = load_workbook(io.BytesIO(_download(page, "a.report-xlsx")))
    subjects = [r[5] for r in xlsx["cases"].iter_rows(min_row=2, values_only=True)]
    assert f"card:{FIRST}" in subjects
    page.context.close()


def test_the_nightly_robot_on_a_phone_in_chinese(live: tuple[str, str, Platform], browser: Browser) -> None:
    url, key, platform = live
    list_card(platform, "police-cards", SECOND)
    page = new_page(browser, "zh-CN", 390)
    sign_in(page, url, key, "zh")
    _run(page, url, "zh", "new_listings")
    expect(page.locator("tr.robot-row[data-robot=new_listings]")).to_contain_text("成功")
    expect(page.locator("tr.robot-row[data-robot=new_listings] .robot-counts")).to_contain_text("新建案件 1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the tables scroll inside their cards

    page.goto(f"{url}/staff/cases?lang=zh")
    expect(page.locator("tr.case-row", has_text=f"card:{SECOND}")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    _run(page, url, "zh", "settlement_report")
    expect(page.locator("#reports")).to_contain_text("截至目前")
    csv = _download(page, "a.report-csv").decode()
    assert ",cases_opened,alert,2" in csv  # both cards' cases were opened today
    assert load_workbook(io.BytesIO(_download(page, "a.report-xlsx"))).sheetnames == ["summary", "cases"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.context.close()
