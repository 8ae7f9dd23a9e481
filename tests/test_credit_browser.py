"""Headless Chromium: a referred application becomes a loan-approval case, an analyst approves it
from the case and the application shows it approved (who and why); then signing with the face
check from the application page, the two pictures shown side by side with the verdict."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.app.signing import IdentitySigningCheck
from finguard.credit.model.taxdata import record_to_doc
from finguard.credit.provider import CreditSettings, make_credit
from finguard.identity.provider import identity_for
from tests.browser import serve, sign_in
from tests.conftest import make_settings
from tests.credit_helpers import good_record

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Platform]]:
    tmp_path = tmp_path_factory.mktemp("credit")
    feed = tmp_path / "feed"
    feed.mkdir()
    rec = good_record()
    (feed / f"{rec.firm.uscc}.json").write_text(json.dumps(record_to_doc(rec), ensure_ascii=False))
    platform = Platform(make_settings(f"sqlite:///{tmp_path}/c.db", tmp_path, delta_screening=False))
    platform.credit = make_credit(platform.engine, CreditSettings(tax_feed_dir=feed),
                                  face_check=IdentitySigningCheck(lambda: identity_for(platform)),
                                  cases=lambda: platform.cases)  # fmt: skip
    platform.credit.set_policy({"product": {"refer_above_fen": 50_000_00}}, created_by="test")  # lines above CNY 50,000
    analyst = platform.keys.create("analyst-7", "analyst", actor="test")[1]
    try:
        with serve(create_app(platform)) as url:
            yield url, analyst, platform
    finally:
        platform.close()



def test_a_referred_application_is_approved_from_its_case_then_signed_with_the_face_check(
    live: tuple[str, str, Platform], browser: Browser, shared_data: Path
) -> None:
    url, analyst, _ = live
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    sign_in(page, url, analyst, "en")
    page.goto(f"{url}/staff/credit?lang=en")
    page.fill("#f-uscc", good_record().firm.uscc)
    page.fill("#f-amount", "100000")
    page.fill("#f-purpose", "raw materials")
    page.click("#credit-submit")
    expect(page.locator("#decision")).to_have_attribute("data-outcome", "refer")
    expect(page.locator("#referred")).to_contain_text("needs a person")
    expect(page.locator("li[data-code=REFER_LINE]")).to_be_visible()
    expect(page.locator("#sign-form")).to_have_count(0)  # nothing to sign before a person approves

    page.click("#approval-case")  # the case appears in the case engine
    expect(page.locator("#case-state")).to_have_attribute("data-state", "new")
    expect(page.locator("h1")).to_contain_text("Loan approval")
    page.select_option("#f-disposition", "approved")
    page.fill("#f-reason", "turnover and tax paid support the line")
    page.click("#close-form button")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "closed")
    expect(page.locator("#case-disposition")).to_contain_text("Approve")

    page.click("#case-application")
    expect(page.locator("#decision")).to_have_attribute("data-outcome", "approve")
    approved = page.locator("tr[data-stage=approved]")
    expect(approved).to_contain_text("analyst-7")
    expect(approved).to_contain_text("turnover and tax paid support the line")

    root = shared_data / "faces" / "london-set"
    page.set_input_files("#f-photo", str(root / "neutral" / "001.jpg"))
    page.set_input_files("#f-capture", str(root / "smiling" / "002.jpg"))
    page.click("#sign")
    expect(page.locator("#face-result")).to_have_attribute("data-verdict", "no_match")
    expect(page.locator("#face-photos img")).to_have_count(2)
    expect(page.locator("tr[data-stage=signed]")).to_have_count(0)
    page.goto(page.url.split("/sign")[0] + "?lang=zh")
    page.set_input_files("#f-photo", str(root / "neutral" / "001.jpg"))
    page.set_input_files("#f-capture", str(root / "smiling" / "001.jpg"))
    page.click("#sign")
    expect(page.locator("#face-result")).to_have_attribute("data-verdict", "match")
    expect(page.locator("#face-result")).to_contain_text("人脸一致")
    expect(page.locator("#face-photos img")).to_have_count(2)
    expect(page.locator("tr[data-stage=signed]")).to_have_count(1)
    page.context.close()
