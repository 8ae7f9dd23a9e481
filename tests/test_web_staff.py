"""The staff pages: sign-in, roles, CSRF, screening with explanations, decisions, alerts, guard.

TestClient tests run on SQLite and PostgreSQL; the browser tests drive headless Chromium against a
live uvicorn over SQLite, as the public page's tests do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from finguard.access.model import Principal, Role
from finguard.access.pages import COOKIE, csrf_token
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.app.staff import router as staff_router
from finguard.core.i18n import MESSAGES
from finguard.guard.model.rules import Rule, RuleMode
from finguard.lists.model.lists import EntryDraft, Party, SubjectKind
from finguard.screening.model.diligence import Counterparty, PartyKind, Purpose
from tests.browser import serve
from tests.conftest import make_settings
from tests.guard_helpers import transfer

ZH = MESSAGES["zh"]
EN = MESSAGES["en"]
MADURO = "MADURO MOROS, Nicolas"


def staff_app(platform: Platform) -> FastAPI:
    """The app with the staff pages, whether or not create_app includes them yet."""
    app = create_app(platform)
    if not any(getattr(r, "path", "").startswith("/staff") for r in app.routes):
        app.include_router(staff_router)
    return app


def with_sdn(p: Platform) -> int:
    """An OFAC-like list holding Maduro (born 1962-11-23); returns his entry id."""
    p.lists.create_list("sdn", "SDN", "sanctions", "OFAC", "critical")
    entry = p.lists.add_entry(
        "sdn",
        EntryDraft("maduro", SubjectKind.PERSON, party=Party(names=(MADURO,), birth_dates=("1962-11-23",)), reason="sanctioned"),
        "t",
    )
    return entry.id


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    """Delta screening off: alerts come only from what a test does."""
    with Platform(make_settings(db_url, tmp_path, delta_screening=False)) as p:
        yield p


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(staff_app(platform)) as c:
        yield c


@dataclass
class Session:
    client: TestClient
    csrf: str

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return self.client.post(path, data={"csrf": self.csrf, **data}, follow_redirects=False)


def sign_in(client: TestClient, secret: str) -> Session:
    r = client.post("/staff/login", data={"api_key": secret, "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    token = client.cookies[COOKIE]
    assert token != secret and secret not in r.headers["set-cookie"]  # the cookie is a session, never the key
    return Session(client, csrf_token(token))


@pytest.fixture
def analyst(web: TestClient, analyst_key: str) -> Session:
    return sign_in(web, analyst_key)


# --- sign-in, roles, CSRF ----------------------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_clears_it(web: TestClient, analyst_key: str) -> None:
    r = web.get("/staff/alerts?lang=en", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/staff/login?lang=en&next=%2Fstaff%2Falerts")

    r = web.get("/staff/login?lang=en")
    assert r.status_code == 200 and EN["staff_login_title"] in r.text and 'type="password"' in r.text

    r = web.post("/staff/login", data={"api_key": "", "lang": "en"})
    assert r.status_code == 422 and EN["staff_err_user"] in r.text and 'aria-invalid="true"' in r.text
    r = web.post("/staff/login", data={"api_key": "fg_not-a-key", "lang": "zh"})
    assert r.status_code == 401 and ZH["staff_err_api_key"] in r.text
    assert COOKIE not in r.headers.get("set-cookie", "")

    r = web.post("/staff/login", data={"api_key": analyst_key, "lang": "en", "next": "/staff/alerts?lang=en"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/alerts?lang=en"
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=") and "httponly" in cookie and "samesite=strict" in cookie and "path=/staff" in cookie
    assert "secure" not in cookie  # plain http here; see the https test

    r = web.get("/staff/?lang=en")
    assert r.status_code == 200 and "analyst-1" in r.text and EN["staff_dashboard_heading"] in r.text

    r = web.post("/staff/logout", data={"csrf": csrf_token(web.cookies[COOKIE]), "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/login?lang=en"
    assert f'{COOKIE}=""' in r.headers["set-cookie"] or "max-age=0" in r.headers["set-cookie"].lower()
    assert web.get("/staff/", follow_redirects=False).status_code == 303


def test_the_cookie_is_secure_over_https_and_next_cannot_leave_the_staff_pages(platform: Platform, analyst_key: str) -> None:
    with TestClient(staff_app(platform), base_url="https://testserver") as c:
        for target in ("https://evil.example/", "//evil.example/staff/", "/staff//evil", "/other"):
            r = c.post("/staff/login", data={"api_key": analyst_key, "next": target, "lang": "zh"}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/staff/?lang=zh", target
        assert "secure" in r.headers["set-cookie"].lower()


def test_roles_are_enforced_per_page(web: TestClient, platform: Platform, analyst_key: str, admin_key: str) -> None:
    platform.guard.rules.save(Rule("big-transfer", "event.amount >= 50000", "a large transfer", score=40), "t")
    analyst = sign_in(web, analyst_key)
    r = web.get("/staff/guard?lang=en")
    assert r.status_code == 200 and "big-transfer" in r.text
    assert 'name="action"' not in r.text  # no rule buttons for an analyst
    r = analyst.post("/staff/guard/rules/big-transfer", {"action": "shadow", "lang": "en"})
    assert r.status_code == 403 and EN["staff_forbidden_title"] in r.text
    assert platform.guard.rules.get("big-transfer").mode is RuleMode.ENFORCE

    admin = sign_in(web, admin_key)
    r = web.get("/staff/guard?lang=en")
    assert 'value="shadow"' in r.text
    r = admin.post("/staff/guard/rules/big-transfer", {"action": "shadow", "lang": "en"})
    assert r.status_code == 303
    # Shadowing an enforced rule can lower outcomes: it waits for a supervisor's approval.
    assert platform.guard.rules.get("big-transfer").mode is RuleMode.ENFORCE
    (pending,) = platform.approvals.find("pending")
    assert (pending.proposal.kind, pending.proposed_by) == ("guard.rule", "key:admin-1")
    platform.approvals.approve(pending.id, Principal("user", "sup-1", Role.SUPERVISOR), "checked")
    rule = platform.guard.rules.get("big-transfer")
    assert rule.mode is RuleMode.SHADOW and rule.version == 2
    r = admin.post("/staff/guard/rules/big-transfer", {"action": "explode", "lang": "en"})
    assert r.status_code == 422 and EN["staff_err_action"] in r.text
    r = admin.post("/staff/guard/rules/no-such-rule", {"action": "shadow", "lang": "en"})
    assert r.status_code == 404


def test_a_revoked_key_is_signed_out_at_once(web: TestClient, platform: Platform, analyst_key: str) -> None:
    sign_in(web, analyst_key)
    assert web.get("/staff/").status_code == 200
    platform.keys.revoke("analyst-1", actor="test")
    r = web.get("/staff/screen", follow_redirects=False)
    assert r.status_code == 303 and "/staff/login" in r.headers["location"]
    assert COOKIE in r.headers["set-cookie"]  # the dead cookie is cleared
    assert web.get("/staff/", follow_redirects=False).status_code == 303


def test_post_forms_need_the_csrf_token_of_this_session(web: TestClient, platform: Platform, analyst_key: str, admin_key: str) -> None:
    with_sdn(platform)
    sign_in(web, analyst_key)
    form = {"name": "Nicolas Maduro Moros", "mode": "quick", "lang": "en"}
    for token in (None, "", "0" * 64, csrf_token(admin_key), csrf_token(analyst_key)):
        data = form if token is None else {**form, "csrf": token}
        r = web.post("/staff/screen", data=data)
        assert r.status_code == 403 and EN["staff_csrf_title"] in r.text, token
        assert MADURO not in r.text
    good = {**form, "csrf": csrf_token(web.cookies[COOKIE])}
    r = web.post("/staff/screen", data=good, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and MADURO not in r.text  # the browser says another site sent it
    r = web.post("/staff/screen", data=good)
    assert r.status_code == 200 and MADURO in r.text
    r = web.post("/staff/login", data={"api_key": analyst_key}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403


def test_a_link_from_another_site_hops_once_to_bring_the_strict_cookie(web: TestClient) -> None:
    r = web.get("/staff/alerts?lang=en", headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
    assert r.status_code == 200
    assert '<meta http-equiv="refresh" content="0;url=/staff/alerts?lang=en">' in r.text and "<script" not in r.text
    r = web.get("/staff/alerts?lang=en", follow_redirects=False)  # the same-site hop, still signed out
    assert r.status_code == 303 and "/staff/login" in r.headers["location"]


# --- screening and decisions ------------------------------------------------------------------


def test_quick_screening_shows_every_feature_and_stores_nothing(web: TestClient, platform: Platform, analyst: Session) -> None:
    with_sdn(platform)
    r = analyst.post("/staff/screen", {"name": "Nicolas Maduro Moros", "kind": "person", "birth_date": "1962-11-23", "lang": "en"})
    assert r.status_code == 200
    html = r.text
    assert MADURO in html and "<code>sdn</code>" in html and 'data-outcome="match"' in html
    for feature in ("name_similarity", "birth_date", "kind_mismatch"):
        assert f'data-feature="{feature}"' in html, feature
    assert EN["staff_feature_name_similarity"] in html and "+0.05" in html and "is the listed one" in html
    assert html.count('class="fbar"') == 3  # a bar per feature
    assert EN["staff_quick_no_decisions"] in html and 'action="/staff/decisions"' not in html
    assert platform.diligence.alerts() == []


def test_due_diligence_stores_the_party_alerts_and_records_decisions(web: TestClient, platform: Platform, analyst: Session) -> None:
    entry_id = with_sdn(platform)
    r = analyst.post(
        "/staff/screen", {"name": "Nicolas Maduro Moros", "mode": "diligence", "purpose": "supplier", "key": "s-9", "lang": "en"}
    )
    html = r.text
    assert r.status_code == 200 and 'id="party-link"' in html and "/staff/parties/s-9?lang=en" in html
    assert EN["staff_party_alerts"] in html and 'data-kind="screening_hit"' in html
    assert f'name="entry_id" value="{entry_id}"' in html and 'value="false_positive"' in html
    assert platform.diligence.party("s-9")[0].purpose is Purpose.SUPPLIER

    r = analyst.post(
        "/staff/decisions", {"party_key": "s-9", "entry_id": str(entry_id), "decision": "false_positive", "reason": " ", "lang": "en"}
    )
    assert r.status_code == 422 and EN["staff_err_reason"] in r.text
    r = analyst.post("/staff/decisions", {"party_key": "s-9", "entry_id": "x1", "decision": "false_positive", "reason": "r", "lang": "en"})
    assert r.status_code == 422 and EN["staff_err_entry_id"] in r.text
    r = analyst.post("/staff/decisions", {"party_key": "s-9", "entry_id": str(entry_id), "decision": "maybe", "reason": "r", "lang": "en"})
    assert r.status_code == 422 and EN["staff_err_decision"] in r.text
    r = analyst.post("/staff/decisions", {"party_key": "nobody", "entry_id": str(entry_id), "decision": "confirmed", "reason": "r"})
    assert r.status_code == 404

    r = analyst.post(
        "/staff/decisions",
        {"party_key": "s-9", "entry_id": str(entry_id), "decision": "false_positive", "reason": "born 1990", "lang": "en"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/staff/parties/s-9?lang=en#hit-{entry_id}"
    (decision,) = platform.diligence.party("s-9")[1]
    assert decision.actor == "key:analyst-1" and decision.reason == "born 1990"

    page = web.get("/staff/parties/s-9?lang=en").text
    assert 'data-decision="false_positive"' in page and "key:analyst-1" in page and "born 1990" in page
    assert EN["staff_suppressed"] in page
    # Screening again honours the decision: the hit is suppressed and the party comes out clean.
    r = analyst.post(
        "/staff/screen", {"name": "Nicolas Maduro Moros", "mode": "diligence", "purpose": "supplier", "key": "s-9", "lang": "en"}
    )
    assert 'data-outcome="no_match"' in r.text and EN["staff_suppressed"] in r.text


def test_alerts_page_links_to_the_party(web: TestClient, platform: Platform, analyst: Session) -> None:
    with_sdn(platform)
    platform.diligence.screen(Counterparty("c/1 x", PartyKind.PERSON, "Nicolas Maduro Moros", Purpose.HIRE))
    r = web.get("/staff/alerts?lang=zh")
    assert r.status_code == 200 and ZH["staff_alerts_heading"] in r.text and ZH["staff_alert_screening_hit"] in r.text
    link = re.search(r'href="(/staff/parties/[^"]+)"', r.text)
    assert link and link.group(1) == "/staff/parties/c%2F1%20x?lang=zh"
    party = web.get(link.group(1).replace("&amp;", "&"))
    assert party.status_code == 200 and 'id="party-name">Nicolas Maduro Moros<' in party.text and MADURO in party.text
    assert web.get("/staff/alerts?offset=-1").status_code == 422
    missing = web.get("/staff/parties/nobody?lang=en")
    assert missing.status_code == 404 and "nobody" in missing.text and missing.headers["content-type"].startswith("text/html")


BAD_SCREENS = [
    ({"name": ""}, "name", "staff_err_name"),
    ({"name": "!!! ???"}, "name", "staff_err_name"),
    ({"name": "x" * 5000}, "name", "staff_err_name"),
    ({"name": "Li Wei", "birth_date": "23/11/1962"}, "birth_date", "staff_err_birth_date"),
    ({"name": "Li Wei", "birth_date": "1962-02-30"}, "birth_date", "staff_err_birth_date"),
    ({"name": "Li Wei", "kind": "vessel"}, "kind", "staff_err_kind"),
    ({"name": "Li Wei", "country": "x" * 101}, "country", "staff_err_country"),
    ({"name": "Li Wei", "mode": "diligence", "purpose": "friendship"}, "purpose", "staff_err_purpose"),
    ({"name": "Li Wei", "mode": "other"}, "mode", "staff_err_mode"),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_screening_input_names_the_field(web: TestClient, analyst: Session, lang: str) -> None:
    for data, field, key in BAD_SCREENS:
        r = analyst.post("/staff/screen", {**data, "lang": lang})
        assert r.status_code == 422, data
        html = r.text
        assert MESSAGES[lang][key] in html and f'id="e-{field}"' in html, data
        assert 'id="results"' not in html
    r = analyst.post("/staff/screen", {"name": '"><script>alert(1)</script>', "lang": lang})
    assert "<script>alert(1)" not in r.text
    r = web.post("/staff/screen", files={"name": ("a.txt", b"Li Wei", "text/plain")})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")


# --- dashboard, guard, language ---------------------------------------------------------------


def test_dashboard_counts_alerts_decisions_and_lists(web: TestClient, platform: Platform, analyst: Session) -> None:
    with_sdn(platform)
    platform.diligence.screen(Counterparty("p1", PartyKind.PERSON, "Nicolas Maduro Moros", Purpose.CONTRACT))
    platform.guard.rules.save(Rule("big-transfer", "event.amount >= 50000", "a large transfer", outcome=None, score=100), "t")
    now = datetime.now(UTC)
    platform.guard.decide_raw(transfer("e1", at=now))
    platform.guard.decide_raw(transfer("e2", at=now, amount="60000.00"))
    r = web.get("/staff/?lang=en")
    assert r.status_code == 200
    html = r.text
    assert '<tr data-kind="screening_hit"><td>Screening hit</td><td class="num">1</td>' in html
    assert '<tr data-kind="guard_decision"><td>Guard block or review</td><td class="num">1</td>' in html
    assert 'id="outcome-chart"' in html and html.count('class="chart__bar') == 4
    assert re.search(r'data-outcome="allow">.*?>1</text>', html, re.S) and re.search(r'data-outcome="block">.*?>1</text>', html, re.S)
    assert "<td><code>sdn</code></td>" in html and f'id="seq">{platform.follower.seq}<' in html


def test_guard_pages_show_decisions_reasons_and_the_checkup(web: TestClient, platform: Platform, analyst: Session) -> None:
    platform.guard.rules.save(Rule("big-transfer", "event.amount >= 50000", "a large transfer", score=100), "t")
    decision = platform.guard.decide_raw(transfer("e9", at=datetime.now(UTC), amount="60000.00"))
    r = web.get("/staff/guard?lang=en")
    assert r.status_code == 200 and f"/staff/guard/decisions/{decision.decision_id}" in r.text and 'data-outcome="block"' in r.text
    assert "60000.00" in r.text and '<code class="reason" title="a large transfer">big-transfer</code>' in r.text

    r = web.get(f"/staff/guard/decisions/{decision.decision_id}?lang=en")
    assert r.status_code == 200 and "a large transfer" in r.text and "<dt>event.amount</dt><dd>60000.00</dd>" in r.text
    assert web.get("/staff/guard/decisions/nope").status_code == 404

    r = web.get("/staff/guard/customers/c1?lang=zh")
    assert r.status_code == 200 and "夜间锁未开启" in r.text and ZH["staff_control_night_lock"] in r.text and "e9" in r.text
    r = web.get("/staff/guard/customers?customer_id=c1&lang=en", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/staff/guard/customers/c1?lang=en"
    for bad in ("", "a b", "x" * 65, "<b>"):
        r = web.get("/staff/guard/customers", params={"customer_id": bad, "lang": "en"})
        assert r.status_code == 422 and EN["staff_err_customer_id"] in r.text and 'id="e-customer_id"' in r.text, bad


def test_language_switch_and_headers(web: TestClient, analyst: Session) -> None:
    r = web.get("/staff/alerts?lang=zh")
    assert '<html lang="zh-CN">' in r.text and ZH["staff_nav_alerts"] in r.text
    assert 'href="/staff/alerts?lang=en"' in r.text  # the switch keeps the page
    r = web.get("/staff/alerts", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in r.text and EN["staff_alerts_heading"] in r.text and r.headers["content-language"] == "en"
    assert "script-src" not in r.headers["content-security-policy"] and "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    for path in ("/staff/", "/staff/screen", "/staff/alerts", "/staff/guard", "/staff/login"):
        assert "<script" not in web.get(path).text, path
    assert not any(p.startswith("/staff") for p in web.get("/openapi.json").json()["paths"])


# --- headless Chromium ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """uvicorn in a thread over SQLite with the Maduro list, a few guard decisions and an analyst key."""
    tmp_path = tmp_path_factory.mktemp("staff")
    platform = Platform(make_settings(f"sqlite:///{tmp_path}/s.db", tmp_path, delta_screening=False))
    with_sdn(platform)
    platform.guard.rules.save(Rule("big-transfer", "event.amount >= 50000", "a large transfer", score=100), "t")
    platform.guard.rules.save(Rule("mid-transfer", "event.amount >= 10000", "a sizeable transfer", score=45), "t")
    now = datetime.now(UTC)
    for i, amount in enumerate(("120.00", "80.00", "15000.00", "60000.00", "300.00", "99.00")):
        platform.guard.decide_raw(transfer(f"live-{i}", at=now, amount=amount, customer_id=f"c{i % 3}"))
    secret = platform.keys.create("analyst-7", "analyst", actor="test")[1]
    try:
        with serve(staff_app(platform)) as url:
            yield url, secret
    finally:
        platform.close()


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def _sign_in(page: Page, url: str, secret: str) -> None:
    page.goto(f"{url}/staff/")
    expect(page.locator("h1")).to_have_text(EN["staff_login_title"])
    page.fill("#f-api_key", secret)
    page.click("button[type=submit]")
    expect(page.locator("#who")).to_contain_text("analyst-7")


@pytest.mark.browser
def test_browser_screen_maduro_and_mark_false_positive(live: tuple[str, str], desk: Page) -> None:
    url, secret = live
    _sign_in(desk, url, secret)
    expect(desk.locator("#outcome-chart")).to_be_visible()
    desk.screenshot(path="/tmp/staff-dashboard.png", full_page=True)

    desk.click("nav.staff-nav >> text=" + EN["staff_nav_screen"])
    desk.check("#mode-diligence")
    desk.fill("#f-name", "Nicolas Maduro Moros")
    desk.select_option("#f-kind", "person")
    desk.select_option("#f-purpose", "contract")
    desk.fill("#f-key", "browser-1")
    desk.click("form.screen-form button[type=submit]")
    hit = desk.locator("article.hit").first
    expect(hit.locator(".hit__name")).to_have_text(MADURO)
    expect(hit.locator('[data-feature="name_similarity"]')).to_contain_text("against the listed 'MADURO MOROS, Nicolas'")
    expect(hit.locator(".badge")).to_have_text(EN["staff_screen_match"])
    desk.screenshot(path="/tmp/staff-screen.png", full_page=True)

    hit.locator("input[name=reason]").fill("born 1990 in Shanghai: not the listed person")
    hit.locator("button[value=false_positive]").click()
    expect(desk.locator("#party-name")).to_have_text("Nicolas Maduro Moros")
    row = desk.locator("tr.decision-row").first
    expect(row).to_have_attribute("data-decision", "false_positive")
    expect(row).to_contain_text("key:analyst-7")
    expect(row).to_contain_text("born 1990 in Shanghai")
    expect(desk.locator("article.hit .hit__note")).to_have_text(EN["staff_suppressed"])
    desk.screenshot(path="/tmp/staff-party.png", full_page=True)

    desk.click("nav.staff-nav >> text=" + EN["staff_nav_guard"])
    expect(desk.locator("#recent tr.guard-row")).to_have_count(6)
    desk.screenshot(path="/tmp/staff-guard.png", full_page=True)
    desk.locator('#recent tr[data-outcome="block"] a').first.click()
    expect(desk.locator("#reasons")).to_contain_text("a large transfer")
    desk.screenshot(path="/tmp/staff-decision.png", full_page=True)
    desk.locator("#decision a").first.click()
    expect(desk.locator("#checkup")).to_contain_text("Night lock is off")
    desk.screenshot(path="/tmp/staff-customer.png", full_page=True)


@pytest.mark.browser
def test_browser_staff_pages_work_without_javascript_in_chinese(live: tuple[str, str], browser: Browser) -> None:
    url, secret = live
    context = browser.new_context(java_script_enabled=False, locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{url}/staff/screen")
        expect(page.locator("h1")).to_have_text(ZH["staff_login_title"])
        page.fill("#f-api_key", secret)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text(ZH["staff_screen_heading"])  # back where we were going
        page.fill("#f-name", "Maduro Moros Nicolas")
        page.click("form.screen-form button[type=submit]")
        expect(page.locator("article.hit .hit__name")).to_have_text(MADURO)
        expect(page.locator("#hit-count")).to_have_text(ZH["staff_hits_found"].format(n=1))
        page.screenshot(path="/tmp/staff-screen-zh.png", full_page=True)
        page.click("#logout")
        expect(page.locator("h1")).to_have_text(ZH["staff_login_title"])
        page.goto(f"{url}/staff/")
        expect(page.locator("h1")).to_have_text(ZH["staff_login_title"])
    finally:
        context.close()
