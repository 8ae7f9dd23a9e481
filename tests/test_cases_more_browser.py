"""Evidence, the supervisor dashboard and the batch due-diligence page in headless Chromium (#13):
English on a desktop, the dashboard and the batch page also in Chinese on a 390 px phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from finguard.alerts.store import alert
from finguard.app.platform import Platform
from tests.browser import new_page, serve, sign_in
from tests.conftest import make_settings
from tests.test_cases_evidence import PDF
from tests.test_cases_web import cases_app
from tests.test_screening_batch_page import BATCH, listed

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """uvicorn over SQLite: three alerts (one 10 days old), one case closed, a sanctions list."""
    tmp_path = tmp_path_factory.mktemp("cases2")
    platform = Platform(make_settings(f"sqlite:///{tmp_path}/c.db", tmp_path, delta_screening=False, home=tmp_path,
                                      case_attachment_max_bytes=64 * 1024))
    listed(platform)
    now = datetime.now(UTC)
    with platform.engine.begin() as conn:
        for days, subject in ((0, "account:6222-0001"), (2, "account:6222-0002"), (10, "account:6222-0003")):
            conn.execute(alert.insert().values(kind="aml_fan_in", subject=subject, severity="low", status="open",
                                               summary="fan-in from 40 accounts", details={},
                                               created_at=now - timedelta(days=days)))
    cases = platform.cases
    old = next(c for c in cases.find(cases_filter())[0] if c.subject == "account:6222-0003")
    cases.close(old.id, "key:setup", "duplicate", "same ring as another case")
    key = platform.keys.create("analyst-9", "analyst", actor="test")[1]
    try:
        with serve(cases_app(platform)) as url:
            yield url, key
    finally:
        platform.close()


def cases_filter():  # type: ignore[no-untyped-def]
    from finguard.alerts.model.cases import CaseFilter

    return CaseFilter()




def test_evidence_is_uploaded_refused_and_downloaded_in_english(live: tuple[str, str], browser: Browser) -> None:
    url, key = live
    page = new_page(browser, "en-GB", 1280)
    sign_in(page, url, key, "en")
    page.goto(f"{url}/staff/cases?lang=en")
    page.locator("tr.case-row", has_text="account:6222-0001").locator("a").first.click()
    expect(page.locator("#no-evidence")).to_be_visible()
    case_url = page.url.split("?")[0]
    page.set_input_files("#f-file", files=[{"name": "statement.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#attach-form button")
    expect(page.locator("tr.attachment-row")).to_have_count(1)
    expect(page.locator("tr.attachment-row")).to_contain_text("analyst-9")
    expect(page.locator("tr.trail-row[data-action=attach]")).to_contain_text("statement.pdf")

    # a program named .pdf is refused, named for what it is, and nothing is stored
    page.set_input_files("#f-file", files=[{"name": "invoice.pdf", "mimeType": "application/pdf",
                                            "buffer": b"MZ\x90\x00" + b"\x00" * 200}])
    page.click("#attach-form button")
    expect(page.locator("#case-error")).to_contain_text("a Windows program")
    expect(page.locator("tr.attachment-row")).to_have_count(1)
    # so is a file over the limit (64 KB here)
    page.set_input_files("#f-file", files=[{"name": "big.pdf", "mimeType": "application/pdf",
                                            "buffer": PDF + b"0" * (80 * 1024)}])
    page.click("#attach-form button")
    expect(page.locator("#case-error")).to_contain_text("larger than")
    expect(page.locator("tr.attachment-row")).to_have_count(1)

    with page.expect_download() as info:
        page.locator("tr.attachment-row a").click()
    download = info.value
    assert download.suggested_filename == "statement.pdf"
    assert Path(download.path()).read_bytes() == PDF
    page.reload()
    expect(page.locator("tr.trail-row[data-action=download]")).to_contain_text("statement.pdf")
    page.context.close()

    phone = new_page(browser, "zh-CN", 390)
    sign_in(phone, url, key, "zh")
    phone.goto(f"{case_url}?lang=zh")
    expect(phone.locator("tr.attachment-row")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # the evidence table scrolls in its card
    phone.set_input_files("#f-file", files=[{"name": "照片.jpg", "mimeType": "image/jpeg", "buffer": PDF}])
    phone.click("#attach-form button")
    expect(phone.locator("#case-error")).to_contain_text("与扩展名 .jpg 不符")
    phone.context.close()


def test_the_supervisor_dashboard_in_english_and_on_a_chinese_phone(live: tuple[str, str], browser: Browser) -> None:
    url, key = live
    page = new_page(browser, "en-GB", 1280)
    sign_in(page, url, key, "en")
    page.goto(f"{url}/staff/cases?lang=en")
    page.click("#dashboard-link")
    expect(page.locator("h1")).to_have_text("Supervisor dashboard")
    for chart, name in (("#age-chart", "Open cases by age and SLA state"), ("#closed-chart", "Closed per day (last 30 days)"),
                        ("#disposition-chart", "Dispositions (last 30 days)")):
        expect(page.locator(chart)).to_be_visible()
        expect(page.locator(chart)).to_have_attribute("role", "img")
        expect(page.locator(f"{chart} > title")).to_have_text(name)
    expect(page.locator("#disposition-chart rect title")).to_have_text("Duplicate: 1")
    expect(page.locator("#closed-total")).to_have_text("1 in all")
    expect(page.locator("#age-chart rect[data-series=ok]")).to_have_count(2)
    page.context.close()

    phone = new_page(browser, "zh-CN", 390)
    sign_in(phone, url, key, "zh")
    phone.goto(f"{url}/staff/cases/dashboard?lang=zh")
    expect(phone.locator("h1")).to_have_text("主管看板")
    expect(phone.locator("#closed-chart > title")).to_have_text("近 30 天每日结案数")
    expect(phone.locator("#disposition-chart")).to_contain_text("重复")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing runs off the screen
    for chart in ("#age-chart", "#closed-chart", "#disposition-chart"):
        box = phone.locator(chart).bounding_box()
        assert box is not None and box["width"] <= 390 and box["width"] >= 300
        # the smallest text of a chart stays readable (at least 9 CSS px tall as drawn)
        heights = phone.eval_on_selector_all(f"{chart} text", "els => els.map(e => e.getBoundingClientRect().height)")
        assert heights and min(heights) >= 9, (chart, heights)
    phone.context.close()


def test_batch_due_diligence_upload_progress_and_reports(live: tuple[str, str], browser: Browser) -> None:
    url, key = live
    page = new_page(browser, "en-GB", 1280)
    sign_in(page, url, key, "en")
    page.goto(f"{url}/staff/screen?lang=en")
    page.click("#batch-link")
    expect(page.locator("h1")).to_have_text("Batch due diligence")
    page.set_input_files("#f-batch-file", files=[{"name": "bad.xls", "mimeType": "application/vnd.ms-excel",
                                                  "buffer": b"\xd0\xcf\x11\xe0"}])
    page.click("#batch-form button")
    expect(page.locator("#batch-error")).to_contain_text("must be a .csv or .jsonl file")
    page.set_input_files("#f-batch-file", files=[{"name": "parties.csv", "mimeType": "text/csv", "buffer": BATCH.encode()}])
    page.select_option("#f-batch-purpose", "supplier")
    page.click("#batch-form button")
    expect(page.locator("#batch-progress progress")).to_be_visible()
    expect(page.locator("#batch-state")).to_have_attribute("data-state", "done", timeout=30_000)  # the page reloads itself
    expect(page.locator("#batch-rows")).to_have_text("4 / 4 rows")
    expect(page.locator("#batch-summary")).to_contain_text("3 parties screened: 1 match")
    with page.expect_download() as info:
        page.click("#report-csv")
    assert "MADURO" in Path(info.value.path()).read_text(encoding="utf-8")
    with page.expect_download() as info:
        page.click("#report-xlsx")
    assert info.value.suggested_filename.endswith(".xlsx") and Path(info.value.path()).read_bytes()[:2] == b"PK"
    page.context.close()

    phone = new_page(browser, "zh-CN", 390)
    sign_in(phone, url, key, "zh")
    phone.goto(f"{url}/staff/screen/batch?lang=zh")
    expect(phone.locator("tr.batch-row[data-state=done]")).to_contain_text("parties.csv")
    phone.locator("tr.batch-row a").first.click()
    expect(phone.locator("#batch-state")).to_have_text("已完成")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.context.close()
