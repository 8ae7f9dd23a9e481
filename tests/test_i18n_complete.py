"""No untranslated string (#13): every catalogue key has a zh_CN and an en text, the Chinese is not
the English copied over, and the Chinese staff and public pages show no English word outside an
allow-list (brands, codes, units, identifiers, and the data the pages display)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from finguard.access.pages import COOKIE, csrf_token
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core import i18n_catalog
from finguard.core.i18n import LANGUAGES, MESSAGES
from finguard.guard.model.rules import Rule
from finguard.ledger.store.tables import ledger_account
from finguard.robots.model import LIST_FRESHNESS
from finguard.robots.provider import make_robots
from tests.conftest import make_settings
from tests.guard_helpers import transfer
from tests.test_loans_api import LOANS
from tests.test_robots import card, list_card
from tests.test_web_ledger import load_cycle, load_mules, no_history_thresholds, run_cycle_monitor
from tests.test_web_staff import with_sdn

# Keys whose Chinese text may equal the English one.
SAME_IN_BOTH = {"brand"}
# English words a key's Chinese text may hold: commands, an example of a name as listed.
KEY_WORDS = {
    "loans_planned": {"finguard", "loans", "campaign", "run"},
    "staff_models_none": {"finguard", "guard", "train"},
    "staff_name_placeholder": {"nicolas", "maduro", "moros"},
    "staff_err_birth_date": {"yyyy-mm-dd"},
    "lc_err_expires_at": {"yyyy-mm-dd"},
    "batch_why_header": {"name"},  # the column's own name
}

# English words a Chinese page may show: brands, standards, codes, units, file formats, products.
ALLOWED = {
    "finguard",
    "cn-gd",  # an ISO 3166-2:CN code, the example a region field gives
    "jsonl",
    "api",
    "key",
    "x-api-key",
    "csv",
    "xlsx",
    "json",
    "svg",
    "png",
    "jpeg",
    "webp",
    "pdf",
    "javascript",
    "cny",
    "usd",
    "eur",
    "mb",
    "kb",
    "utc",
    "fifo",
    "lifo",
    "ofac",
    "sdn",
    "un",
    "eu",
    "uk",
    "pboc",
    "iso",
    "id",
    "english",
    "switch",
    "to",  # the language switch names the other language in that language
    "swift",
    "iban",
    "bic",
    "uscc",
    "yyyy",
    "mm",
    "dd",
    "http",
    "https",
    "post",
    "get",
    "lgbm",
    "lightgbm",
    "auc",
    "ks",
    "npv",
    "sla",
    "www",
    "fg",
    "pos",
    "atm",
    "mcc",
    "ip",
}
# Text of these elements is data or code, not UI: identifiers, names as listed, JSON, rule expressions.
DATA_TAGS = {"code", "pre", "kbd", "samp", "script", "style", "time", "var"}
DATA_CLASSES = {"data", "hit__name", "party-name", "mono", "ident", "json", "expr", "listed-name"}
WORD = re.compile(r"[A-Za-z][A-Za-z'\-]{2,}")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        skip = tag in DATA_TAGS or bool(classes & DATA_CLASSES) or "data-raw" in a or (bool(self.stack) and self.stack[-1][1])
        if tag not in ("br", "img", "input", "meta", "link", "hr", "wbr", "source", "col"):
            self.stack.append((tag, skip))
        if not skip:
            for name in ("title", "placeholder", "aria-label", "alt"):
                if a.get(name):
                    self.text.append(a[name] or "")
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.text.append(a["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1][1]):
            self.text.append(data)


def english_words(html: str, data: set[str]) -> set[str]:
    """English words in the visible text of ``html`` that are neither allowed nor page data."""
    parser = _Visible()
    parser.feed(html)
    text = " ".join(parser.text)
    # identifiers: URLs, mail, paths, a/b, key:value, dotted names, snake_case, anything with a digit
    text = re.sub(r"https?://\S+|\S+@\S+|\S*/\S*|\w+:\S+|\w+\.\w[\w.]*|\b[\w.\-]*_[\w.\-]*\b|[\w.\-]*\d[\w.\-]*", " ", text)
    return {w for w in WORD.findall(text) if w.lower() not in ALLOWED and w.lower() not in data}


# --- the catalogues ---------------------------------------------------------------------------


def test_every_key_has_a_chinese_and_an_english_text() -> None:
    zh, en = i18n_catalog.read_catalogue("zh"), i18n_catalog.read_catalogue("en")
    assert zh and set(zh) == set(en), sorted(set(zh) ^ set(en))
    assert not [k for k in zh if not zh[k].strip()], "empty zh_CN text"
    assert not [k for k in en if not en[k].strip()], "empty en text"
    assert set(MESSAGES) == set(LANGUAGES) and set(MESSAGES["zh"]) == set(MESSAGES["en"])


def test_the_chinese_is_not_the_english_copied_over() -> None:
    zh, en = MESSAGES["zh"], MESSAGES["en"]
    same = sorted(k for k in zh if zh[k] == en[k] and k not in SAME_IN_BOTH)
    assert not same, f"zh_CN text identical to English (translate, or add to SAME_IN_BOTH): {same}"
    untranslated = {}
    for key, text in zh.items():
        words = english_words(f"<p>{re.sub(r'{[^}]*}', ' ', text)}</p>", KEY_WORDS.get(key, set()))
        if words:
            untranslated[key] = sorted(words)
    assert not untranslated, f"English words in zh_CN texts: {untranslated}"


def test_no_string_waits_in_a_python_dict() -> None:
    """``python -m finguard.core.i18n_catalog check``: a merged branch's register({...}) strings are in the .po files."""
    report = i18n_catalog.check()
    assert report.clean, (report.added, report.differing, report.one_language)


# --- the pages --------------------------------------------------------------------------------

# Words of the data this test stores (names as listed, the rule texts staff wrote): data, not UI.
DATA_WORDS = {"maduro", "moros", "nicolas", "sanctioned", "large", "transfer", "sizeable", "big-transfer", "mid-transfer",
              "police-cards", "police", "mule-own"}  # the lists this test stored: codes, name and source
PAGE_WORDS = DATA_WORDS | {w for words in KEY_WORDS.values() for w in words}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An app over SQLite with a sanctions list, guard decisions, a screened party and its alert,
    signed in as an admin (every page opens)."""
    tmp_path = tmp_path_factory.mktemp("i18n")
    platform = Platform(make_settings(f"sqlite:///{tmp_path}/i.db", tmp_path, delta_screening=False,
                                      monitor_thresholds=no_history_thresholds(tmp_path)))
    with_sdn(platform)
    # a tiny ledger (a mule network and a cycle) and the cycle monitor's AML alert
    load_mules(platform)
    load_cycle(platform)
    aml_alert = run_cycle_monitor(platform)
    # a card of the bank newly listed: the new-listings robot raises a case for it
    number = card("6222")
    with platform.engine.begin() as conn:
        conn.execute(ledger_account.insert().values(account=number, name="张三", kind="customer"))
    list_card(platform, "police-cards", number)
    platform.lists.create_list("mule-own", "本行涉案账户", "mule_account", "反诈小组", "high")
    own = list_card(platform, "mule-own", card("6228"), kind="mule_account", level="high")
    platform.guard.rules.save(Rule("big-transfer", "event.amount >= 50000", "a large transfer", score=100), "t")
    platform.guard.rules.save(Rule("mid-transfer", "event.amount >= 10000", "a sizeable transfer", score=45), "t")
    now = datetime.now(UTC)
    ids = [
        platform.guard.decide_raw(transfer(f"e-{i}", at=now, amount=a, customer_id="c1")).decision_id
        for i, a in enumerate(("60000.00", "15000.00", "120.00"))
    ]
    secret = platform.keys.create("admin-9", "admin", actor="test")[1]
    try:
        with TestClient(create_app(platform)) as c:
            r = c.post("/staff/login", data={"api_key": secret, "lang": "zh"}, follow_redirects=False)
            assert r.status_code == 303, r.text
            token = csrf_token(c.cookies[COOKIE])
            r = c.post(
                "/staff/screen",
                data={
                    "name": "Nicolas Maduro Moros",
                    "mode": "diligence",
                    "purpose": "supplier",
                    "kind": "person",
                    "key": "s-9",
                    "lang": "zh",
                    "csrf": token,
                },
            )
            assert r.status_code == 200, r.text
            screen_result = r.text
            api = {"X-API-Key": secret}
            # robots: every job run once (the list refresh fails: no source is configured)
            for job, body in (("new_listings", {}), ("list_freshness", {}), ("list_refresh", {"list_code": "police-cards"}),
                              ("settlement_report", {}), ("case_sla", {})):
                run = c.post(f"/api/v1/robots/{job}/runs", json={"wait": True, **body}, headers=api)
                assert run.status_code == 200, (job, run.text)
            # three days on, the lists are stale: the freshness robot raises an alert (and a case)
            later = make_robots(platform.engine, clock=lambda: datetime.now(UTC) + timedelta(hours=73), list_max_age_hours=48)
            assert later.runner.run(LIST_FRESHNESS, actor="os:test").counts["alerts"] >= 1
            # loans: a relief batch and a campaign over it
            assert c.post("/api/v1/loans/import", json={"loans": LOANS}, headers=api).status_code < 300
            r = c.post("/staff/loans/batches", data={"csrf": token, "lang": "zh"})
            assert r.status_code == 200, r.text
            batch = re.search(r'name="batch_id" value="([0-9a-f]{32})"', r.text)
            assert batch, r.text
            c.post("/api/v1/loans/contacts", headers=api,
                   json={"contacts": [{"customer_id": "C-1", "name": "张三", "lang": "zh", "phone": "13900000001"}]})
            r = c.post("/staff/loans/campaigns", data={"csrf": token, "lang": "zh", "batch_id": batch.group(1),
                                                        "as_of": "2020-03-01", "channel": "sms"})
            assert r.status_code == 200, r.text
            campaign = re.search(r'href="/staff/loans/campaigns/([^"?]+)', r.text)
            assert campaign, r.text
            # a pending approval: shadowing an enforced rule waits for a second person
            r = c.post("/staff/guard/rules/big-transfer", data={"csrf": token, "action": "shadow", "lang": "zh"},
                       follow_redirects=False)
            assert r.status_code == 303, r.text
            # and a delisting (it lowers outcomes on the bank's own list)
            r = c.post(f"/staff/lists/entries/{own}/delist", data={"csrf": token, "lang": "zh", "delist_reason": "卡已退回"},
                       follow_redirects=False)
            assert r.status_code == 303 and "pending=" in r.headers["location"], r.text
            assert len(platform.approvals.find("pending")) == 2
            refs = {"decision": ids[0], "screen_result": screen_result, "token": token, "aml_alert": str(aml_alert),
                    "batch": batch.group(1), "campaign": campaign.group(1)}
            yield c, refs
    finally:
        platform.close()


PAGES = [
    "/",
    "/complaint",
    "/learn",
    "/staff/",
    "/staff/screen",
    "/staff/parties/s-9",
    "/staff/alerts",
    "/staff/approvals",
    "/staff/cases",
    "/staff/cases-new",
    "/staff/guard",
    "/staff/guard/customers/c1",
    "/staff/guard/decisions/{decision}",
    "/staff/guard/models",
    "/staff/guard/replay",
    "/staff/monitors",
    "/staff/ledger",
    "/staff/robots",
    "/staff/identity",
    "/staff/credit",
    "/staff/credit-report",
    "/staff/loans",
    "/staff/cases/1",
    "/staff/cases/2",
    "/staff/payee-check",
    "/staff/lists",
    "/staff/guard/new-rule",
    "/staff/cases/dashboard",
    "/staff/screen/batch",
    "/staff/alerts/{aml_alert}",
    "/staff/monitors?status=all",
    "/staff/loans/batches/{batch}",
    "/staff/loans/batches/{batch}?as_of=2020-03-01",
    "/staff/loans/campaigns/{campaign}",
    "/staff/ledger?account=V",
    "/staff/ledger?account=V&compare=1",
    "/staff/ledger/accounts/M1",
    "/staff/approvals?status=pending",
]


def _zh(url: str) -> str:
    """``url`` in Chinese, its own query kept (``params=`` would replace it)."""
    return url + ("&" if "?" in url else "?") + "lang=zh"


def _found(html: str) -> set[str]:
    return english_words(html, PAGE_WORDS)


# English still on the Chinese pages, page by page: text made in English by the services (match
# explanations, alert and case summaries, guard event fields and control settings) that the pages
# show as stored. NOT DONE (#13): each needs the service to hand the page a code and arguments
# instead of a sentence. The test fails on any word not listed here, and on a listed word that is
# gone (so the list only shrinks).
KNOWN_GAPS: dict[str, set[str]] = {
    # the training data's description, as recorded in the model registry when the model was trained
    "/staff/credit-report": {"portfolio", "seed", "shift", "synthetic", "tax"},
}


def _check(url: str, html: str) -> None:
    found = _found(html)
    known = KNOWN_GAPS.get(url.split("?")[0].rsplit("/", 1)[0] + "/*" if url.startswith("/staff/guard/decisions/") else url, set())
    assert not found - known, f"{url}: English on the Chinese page: {sorted(found - known)}"
    assert not known - found, f"{url}: translated now, drop from KNOWN_GAPS: {sorted(known - found)}"


@pytest.mark.parametrize("path", PAGES)
def test_chinese_pages_show_no_english_words(desk: tuple[TestClient, dict[str, str]], path: str) -> None:
    client, refs = desk
    url = path.format(**refs)
    r = client.get(_zh(url))
    assert r.status_code == 200, (url, r.status_code)
    _check(url, r.text)


def test_the_chinese_screening_result_shows_no_english_words(desk: tuple[TestClient, dict[str, str]]) -> None:
    _client, refs = desk
    _check("screen-result", refs["screen_result"])


# Error pages, rendered in Chinese: a missing thing (404) and a form with bad fields (422).
ERROR_PAGES = [
    ("/staff/alerts/999999", 404),
    ("/staff/cases/999999", 404),
    ("/staff/loans/campaigns/no-such-campaign", 404),
    ("/staff/loans/decisions/5", 404),
    ("/staff/ledger/accounts/nobody", 404),
    ("/staff/ledger?account=V&hops=99&amount=0&at=soon", 422),
    ("/staff/ledger/accounts/M2?before=abc", 422),
]


@pytest.mark.parametrize(("path", "status"), ERROR_PAGES)
def test_chinese_error_pages_show_no_english_words(desk: tuple[TestClient, dict[str, str]], path: str, status: int) -> None:
    client, _refs = desk
    r = client.get(_zh(path))
    assert r.status_code == status, (path, r.status_code)
    asked = {w.lower() for w in re.split(r"[/?&=]", path)}  # what the page echoes back is what was asked
    found = english_words(r.text, PAGE_WORDS | asked)
    assert not found, f"{path}: English on the Chinese page: {sorted(found)}"


def test_the_scanned_pages_hold_their_data(desk: tuple[TestClient, dict[str, str]]) -> None:
    """The pages above were scanned with something on them, not empty."""
    client, refs = desk
    shown = {
        "/staff/alerts/{aml_alert}": 'id="alert-graph',
        "/staff/ledger?account=V": 'id="results"',
        "/staff/robots": 'data-outcome="failed"',
        "/staff/alerts": "已过期",  # the stale-list alert's summary, in Chinese
        "/staff/approvals?status=pending": "从名单 mule-own 除名",  # the pending changes, in Chinese
        "/staff/approvals": "修改防护规则“big-transfer”",
        "/staff/loans/campaigns/{campaign}": "<svg",
        "/staff/loans/batches/{batch}": 'name="decision"',
    }
    for path, marker in shown.items():
        html = client.get(_zh(path.format(**refs))).text
        assert marker in html, (path, marker)
