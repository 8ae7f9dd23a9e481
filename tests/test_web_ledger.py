"""The staff pages for fund flows and monitor alerts (#5): the trace with its interactive graph, an
account's transfers, a monitor alert with its subgraph, monitor runs.

The cases: the elderly customer's statement (``finguard ledger demo``: 4,000 yuan to his WeChat
wallet), and a small mule network::

    V --50,000--> M1 --30,000--> M2 --10,000--> ATM (cash)
                                    --20,000--> 支付宝 (wallet)
                     --20,000--> M3 --19,000--> 某电商 (merchant)
                                    --1,000---> X9 (another bank)

plus a cycle A -> B -> C -> A that the cycle monitor flags. TestClient tests run on SQLite and
PostgreSQL; the browser tests drive headless Chromium against a live uvicorn over SQLite.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from finguard.access.pages import csrf_token
from finguard.app.platform import Platform
from finguard.core.i18n import MESSAGES
from finguard.ledger.cli import DEMO_ACCOUNT, DEMO_STATEMENT
from finguard.ledger.model import AccountDraft, AccountKind, TransferDraft
from finguard.ledger.service import ParsedTransfer
from finguard.ledger.service.importers import ImportOptions, read_transfers
from finguard.monitors.model import MonitorConfig, Typology
from finguard.monitors.service import monitor_ledger
from finguard.monitors.store import SqlMonitorStore
from finguard.screening.model.diligence import Counterparty, PartyKind, Purpose
from tests.browser import serve
from tests.conftest import make_settings
from tests.test_web_staff import Session, sign_in, staff_app, with_sdn

ZH = MESSAGES["zh"]
EN = MESSAGES["en"]
CN = timezone(timedelta(hours=8))
T0 = datetime(2024, 3, 1, 10, tzinfo=CN)
MULE_NODES = {"V", "M1", "M2", "M3", "cash:ATM", "wallet:支付宝", "merchant:某电商", "X9"}


def _t(i: int, src: str, dst: str, yuan: int, minutes: int) -> TransferDraft:
    return TransferDraft(f"m{i}", src, dst, yuan * 100, "CNY", T0 + timedelta(minutes=minutes))


def load_mules(p: Platform, victim_name: str = "王某") -> None:
    rows = [
        ParsedTransfer(
            1, _t(1, "V", "M1", 50_000, 0), (AccountDraft("V", name=victim_name, bank="某银行"), AccountDraft("M1", name="李四"))
        ),
        ParsedTransfer(2, _t(2, "M1", "M2", 30_000, 30), (AccountDraft("M2"),)),
        ParsedTransfer(3, _t(3, "M1", "M3", 20_000, 40), (AccountDraft("M3"),)),
        ParsedTransfer(4, _t(4, "M2", "cash:ATM", 10_000, 60), (AccountDraft("cash:ATM", AccountKind.CASH, "ATM取款"),)),
        ParsedTransfer(5, _t(5, "M2", "wallet:支付宝", 20_000, 70), (AccountDraft("wallet:支付宝", AccountKind.WALLET, "支付宝"),)),
        ParsedTransfer(6, _t(6, "M3", "merchant:某电商", 19_000, 120), (AccountDraft("merchant:某电商", AccountKind.MERCHANT, "某电商"),)),
        ParsedTransfer(7, _t(7, "M3", "X9", 1_000, 130), (AccountDraft("X9", AccountKind.EXTERNAL, bank="他行"),)),
    ]
    p.ledger.import_rows("mules", rows)


def load_cycle(p: Platform) -> None:
    """A -> B -> C -> A: 1,000, 990, 980 yuan within five hours."""
    t = datetime(2024, 2, 1, 9, tzinfo=UTC)
    rows = [
        ParsedTransfer(1, TransferDraft("c1", "A", "B", 100_000, "CNY", t), (AccountDraft("A"), AccountDraft("B"), AccountDraft("C"))),
        ParsedTransfer(2, TransferDraft("c2", "B", "C", 99_000, "CNY", t + timedelta(hours=2))),
        ParsedTransfer(3, TransferDraft("c3", "C", "A", 98_000, "CNY", t + timedelta(hours=5))),
    ]
    p.ledger.import_rows("cycle", rows)


def load_elderly(p: Platform, tmp_path: Path) -> int:
    """The demo statement; returns the 4,000 yuan top-up's transfer id."""
    path = tmp_path / "statement.csv"
    path.write_text(DEMO_STATEMENT, encoding="utf-8")
    source, rows = read_transfers("statement", path, ImportOptions(account=DEMO_ACCOUNT))
    p.ledger.import_rows(source, rows)
    return next(t.id for t in p.ledger.account_transfers(DEMO_ACCOUNT, "out") if t.amount_fen == 400_000)


def run_cycle_monitor(p: Platform) -> int:
    (alert_id,) = monitor_ledger(SqlMonitorStore(p.engine), datetime.now(UTC), MonitorConfig(), frozenset({Typology.CYCLE})).alert_ids
    return alert_id


def no_history_thresholds(folder: Path) -> Path:
    """These pages run the monitors on a few transfers without history: first contacts (on by
    default, #12) need weeks of it, so they are off here."""
    path = folder / "thresholds.toml"
    path.write_text("[novelty]\nlookback = 0\n", encoding="utf-8")
    return path


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False, monitor_thresholds=no_history_thresholds(tmp_path))) as p:
        yield p


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(staff_app(platform)) as c:
        yield c


@pytest.fixture
def analyst(web: TestClient, analyst_key: str) -> Session:
    return sign_in(web, analyst_key)


def graph_json(html: str, name: str = "flow-graph") -> dict:
    found = re.search(rf'<script type="application/json" id="{name}-data">(.*?)</script>', html, re.S)
    assert found, "no graph data on the page"
    return json.loads(found.group(1))


# --- the trace page -----------------------------------------------------------------------------


def test_the_elderly_customers_trace_page(web: TestClient, platform: Platform, analyst: Session, tmp_path: Path) -> None:
    top_up = load_elderly(platform, tmp_path)
    r = web.get("/staff/ledger", params={"account": DEMO_ACCOUNT, "start_transfer": str(top_up), "lang": "en"})
    assert r.status_code == 200, r.text
    html = r.text
    assert (
        f"Of the 4,000 yuan transferred on 2024-03-15 from account {DEMO_ACCOUNT}, "
        "4,000 yuan went to 财付通-微信零钱 (WeChat wallet top-up) on 2024-03-15." in html
    )
    assert f"账户{DEMO_ACCOUNT}于2024年3月15日转出的4,000元中，4,000元于2024年3月15日转入财付通-微信零钱（微信零钱充值）。" in html
    assert 'data-account="wallet:财付通-微信零钱" data-reason="terminal"' in html and "<strong>WeChat wallet top-up</strong>" in html
    data = graph_json(html)
    assert {n["id"]: (n["kind"], n["role"], n["terminal"]) for n in data["nodes"]} == {
        DEMO_ACCOUNT: ("customer", "root", False),
        "wallet:财付通-微信零钱": ("wallet", "member", True),
    }
    (edge,) = data["edges"]
    assert edge["amount"] == "4,000" and edge["first"] == "2024-03-15 10:23:45 +08:00" and edge["transfers"][0]["id"] == top_up
    assert data["labels"]["trace_here"] == EN["flow_trace_here"]
    # The page loads its two scripts from this site, under a policy that allows nothing else.
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe" not in csp and "default-src 'none'" in csp
    assert re.findall(r'<script src="([^"?]+)', html) == ["/staff/static/vendor/cytoscape.min.js", "/staff/static/flowgraph.js"]
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.I)  # no inline event handlers
    for src in re.findall(r'<script src="([^"]+)"', html):
        js = web.get(src.replace("&amp;", "&"))
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript"), src
    assert web.get("/staff/static/../pages.py").status_code == 404
    # Downloads: the API's picture and JSON.
    query = {"account": DEMO_ACCOUNT, "start_transfer": str(top_up)}
    svg = web.get("/staff/ledger/trace.svg", params=query)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml" and "4,000 · 2024-03-15" in svg.text
    body = web.get("/staff/ledger/trace.json", params=query).json()
    assert body["trace"]["ends"][0]["account"] == "wallet:财付通-微信零钱" and body["summary_zh"].startswith(f"账户{DEMO_ACCOUNT}")
    png = web.get("/staff/ledger/trace.png", params=query)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_a_multi_hop_trace_draws_every_account_by_hop_and_compares_methods(web: TestClient, platform: Platform, analyst: Session) -> None:
    load_mules(platform)
    r = web.get("/staff/ledger", params={"account": "V", "lang": "zh", "compare": "1"})
    assert r.status_code == 200
    data = graph_json(r.text)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == MULE_NODES
    # Left to right by hop: V, then M1, then M2 and M3, then where the money ended.
    assert [sorted(a for a, n in nodes.items() if n["x"] == x) for x in sorted({n["x"] for n in nodes.values()})] == [
        ["V"],
        ["M1"],
        ["M2", "M3"],
        ["X9", "cash:ATM", "merchant:某电商", "wallet:支付宝"],
    ]
    assert nodes["X9"]["kind"] == "external" and nodes["X9"]["bank"] == "他行" and nodes["M1"]["received"] == "50,000"
    assert len(data["edges"]) == 7 and data["labels"]["trace_here"] == ZH["flow_trace_here"]
    # "Trace from here" follows the money that reached M2, from when it arrived.
    href = nodes["M2"]["traceHref"]
    assert href.startswith("/staff/ledger?account=M2&") and "amount=30000" in href and "at=2024-03-01T10%3A30%3A00%2B08%3A00" in href
    assert nodes["V"]["traceHref"] is None and nodes["cash:ATM"]["traceHref"] is None
    assert nodes["M2"]["accountHref"] == "/staff/ledger/accounts/M2?lang=zh"
    follow = web.get(href)
    assert follow.status_code == 200 and "账户M2在2024年3月1日持有的30,000元中" in follow.text
    # The comparison: with one path per account every method agrees.
    assert 'id="comparison"' in r.text and ZH["ledger_compare_title"] in r.text
    assert re.search(r'data-account="wallet:支付宝">.*?data-method="fifo">20,000<.*?data-method="lifo">20,000<', r.text, re.S)


def test_graph_data_is_embedded_safely(web: TestClient, platform: Platform, analyst: Session) -> None:
    load_mules(platform, victim_name="王某</script><script>alert(1)</script>\"'")
    r = web.get("/staff/ledger", params={"account": "V", "lang": "en"})
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text and r.text.count("</script>") == 3  # the two scripts and the data
    assert graph_json(r.text)["nodes"][0]["name"] == "王某</script><script>alert(1)</script>\"'"


BAD_TRACES = [
    ({"account": "nobody"}, "account", 404),
    ({"account": ""}, "account", 422),
    ({"account": "V\x01"}, "account", 422),
    ({"account": "V", "hops": "0"}, "hops", 422),
    ({"account": "V", "hops": "21"}, "hops", 422),
    ({"account": "V", "hops": "six"}, "hops", 422),
    ({"account": "V", "horizon_days": "0"}, "horizon_days", 422),
    ({"account": "V", "horizon_days": "nan"}, "horizon_days", 422),
    ({"account": "V", "amount": "-5"}, "amount", 422),
    ({"account": "V", "amount": "12.345"}, "amount", 422),
    ({"account": "V", "amount": "lots"}, "amount", 422),
    ({"account": "V", "at": "yesterday"}, "at", 422),
    ({"account": "V", "at": "2024-13-01"}, "at", 422),
    ({"account": "V", "direction": "sideways"}, "direction", 422),
    ({"account": "V", "method": "random"}, "method", 422),
    ({"account": "V", "start_transfer": "x"}, "start_transfer", 422),
    ({"account": "V", "start_transfer": "999999"}, "start_transfer", 404),
    ({"account": "M2", "start_transfer": "1"}, "start_transfer", 422),  # transfer 1 leaves V, not M2
    ({"account": "V", "currency": "yuan"}, "currency", 422),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_trace_input_names_the_field(web: TestClient, platform: Platform, analyst: Session, lang: str) -> None:
    load_mules(platform)
    for params, field, status in BAD_TRACES:
        r = web.get("/staff/ledger", params={**params, "lang": lang})
        assert r.status_code == status, params
        assert f'<li data-field="{field}">{MESSAGES[lang][f"staff_err_{field}"]}' in r.text, params
        assert f'id="e-{field}"' in r.text and 'id="results"' not in r.text, params
    # Several bad fields at once are all named.
    r = web.get("/staff/ledger", params={"account": "V", "hops": "99", "amount": "0", "at": "soon", "lang": lang})
    assert r.status_code == 422 and set(re.findall(r'<li data-field="(\w+)">', r.text)) == {"hops", "amount", "at"}
    # The bad value is shown back, escaped.
    r = web.get("/staff/ledger", params={"account": "<b>x</b>", "lang": lang})
    assert r.status_code == 404 and "<b>x</b>" not in r.text and "&lt;b&gt;x&lt;/b&gt;" in r.text
    for fmt in ("svg", "json", "png"):
        assert web.get(f"/staff/ledger/trace.{fmt}", params={"account": "V", "hops": "0"}).status_code == 422
    assert web.get("/staff/ledger/trace.pdf", params={"account": "V"}).status_code == 404


def test_a_bounded_trace_says_it_was_truncated(web: TestClient, platform: Platform, analyst: Session) -> None:
    """S pays hub H 2,000 yuan; H pays 1,001 people 1 yuan each: more than the 1,000 transfers a
    trace reads per account."""
    t = datetime(2024, 3, 1, tzinfo=UTC)
    rows = [ParsedTransfer(1, TransferDraft("s", "S", "H", 200_000, "CNY", t), (AccountDraft("S"), AccountDraft("H")))]
    rows += [ParsedTransfer(i + 2, TransferDraft(f"h{i}", "H", f"P{i}", 100, "CNY", t + timedelta(seconds=i + 1))) for i in range(1001)]
    platform.ledger.import_rows("hub", rows)
    r = web.get("/staff/ledger", params={"account": "S", "lang": "en"})
    assert r.status_code == 200 and 'id="truncated"' in r.text and EN["ledger_truncated_title"] in r.text
    assert "H: more than 1000 payments out in the horizon" in r.text
    assert 'id="flow-graph-hidden"' in r.text  # 1,003 accounts: the smallest are not drawn
    assert len(graph_json(r.text)["nodes"]) == 150
    r = web.get("/staff/ledger", params={"account": "S", "hops": "1", "lang": "en"})
    assert 'id="truncated"' not in r.text and 'data-reason="hop_limit"' in r.text


# --- the account page ---------------------------------------------------------------------------


def test_account_page_lists_transfers_newest_first_page_by_page(web: TestClient, platform: Platform, analyst: Session) -> None:
    load_mules(platform)
    extra = [ParsedTransfer(i, _t(100 + i, "M2", f"P{i}", 1, 200 + i), (AccountDraft(f"P{i}"),)) for i in range(55)]
    platform.ledger.import_rows("more", extra)
    r = web.get("/staff/ledger/accounts/M2?lang=en")
    assert r.status_code == 200
    ids = [int(x) for x in re.findall(r'class="transfer-row" data-id="(\d+)"', r.text)]
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    older = re.search(r'<a href="([^"]+)" id="older">', r.text)
    assert older
    page2 = web.get(older.group(1).replace("&amp;", "&"))
    ids2 = [int(x) for x in re.findall(r'class="transfer-row" data-id="(\d+)"', page2.text)]
    assert len(ids2) == 8 and ids2[0] < ids[-1] and 'id="older"' not in page2.text and 'id="newest"' in page2.text
    # The first of M2's transfers is the one in from M1; the page offers to trace it backward.
    assert re.search(r'data-id="2" data-side="in">.*?direction=backward&amp;start_transfer=2', page2.text, re.S)
    v = web.get("/staff/ledger/accounts/V?lang=zh").text
    assert "王某" in v and "某银行" in v and ZH["account_trace_forward"] in v
    wallet = web.get("/staff/ledger/accounts/wallet%3A%E6%94%AF%E4%BB%98%E5%AE%9D?lang=en")
    assert wallet.status_code == 200 and "Alipay top-up" in wallet.text
    assert web.get("/staff/ledger/accounts/nobody?lang=en").status_code == 404
    assert web.get("/staff/ledger/accounts/M2?before=abc").status_code == 422
    assert web.get("/staff/ledger/accounts/M2?before=1").status_code == 422  # transfer 1 is V -> M1
    lookup = web.get("/staff/ledger/account?account=M2&lang=en", follow_redirects=False)
    assert lookup.status_code == 303 and lookup.headers["location"] == "/staff/ledger/accounts/M2?lang=en"
    assert web.get("/staff/ledger/account?account=&lang=en").status_code == 422


def test_history_service_pages_through_both_sides(platform: Platform) -> None:
    load_mules(platform)
    first = platform.ledger.history("M1", limit=2)
    assert [(t.src, t.dst) for t in first.transfers] == [("M1", "M3"), ("M1", "M2")] and first.more
    second = platform.ledger.history("M1", before=first.transfers[-1].id, limit=2)
    assert [(t.src, t.dst) for t in second.transfers] == [("V", "M1")] and not second.more
    assert first.account_info is not None and first.account_info.name == "李四"


# --- monitor alerts and runs --------------------------------------------------------------------


def test_a_cycle_alert_shows_its_reason_subgraph_and_transfers(web: TestClient, platform: Platform, analyst: Session) -> None:
    load_cycle(platform)
    alert_id = run_cycle_monitor(platform)
    listing = web.get("/staff/alerts?lang=zh").text
    assert f'href="/staff/alerts/{alert_id}?lang=zh"' in listing and ZH["staff_alert_aml_cycle"] in listing
    assert "资金从账户 A 转出" in listing and 'href="/staff/ledger/accounts/A?lang=zh"' in listing
    r = web.get(f"/staff/alerts/{alert_id}?lang=en")
    assert r.status_code == 200
    assert "Money left account A and came back to it through 3 transfers" in r.text and "资金从账户 A 转出" in r.text
    data = graph_json(r.text, "alert-graph")
    nodes = {n["id"]: n for n in data["nodes"]}
    assert {a: (n["role"], n["x"]) for a, n in nodes.items()} == {"A": ("subject", 0), "B": ("member", 300), "C": ("member", 600)}
    back = next(e for e in data["edges"] if e["source"] == "C")
    assert back["target"] == "A" and back["amount"] == "980" and back["bend"]  # drawn as a curve back past B
    assert r.text.count('class="alert-transfer"') == 3 and "2024-02-01 17:00:00 +08:00" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert web.get("/staff/alerts/999999?lang=en").status_code == 404
    assert web.get("/staff/alerts/x1").status_code == 404


def test_only_monitor_alerts_have_a_detail_page(web: TestClient, platform: Platform, analyst: Session) -> None:
    with_sdn(platform)
    platform.diligence.screen(Counterparty("p1", PartyKind.PERSON, "Nicolas Maduro Moros", Purpose.CONTRACT))
    (screening_alert,) = platform.diligence.alerts()
    assert web.get(f"/staff/alerts/{screening_alert.id}").status_code == 404


def test_running_the_monitors_from_the_page(web: TestClient, platform: Platform, analyst: Session, analyst_key: str) -> None:
    load_cycle(platform)
    page = web.get("/staff/monitors?lang=en")
    assert page.status_code == 200 and 'name="typology" value="cycle"' in page.text and "<script" not in page.text
    r = analyst.post("/staff/monitors", {"typology": "cycle", "lang": "en"})
    assert r.status_code == 200
    assert re.search(r'data-typology="cycle"><td>Cycle</td><td class="num">1<', r.text)
    assert EN["monitors_new"].format(n=1) in r.text and EN["monitors_transfers"].format(n=3, s=0, z=0) in r.text
    assert len(SqlMonitorStore(platform.engine).results()) == 1
    again = analyst.post("/staff/monitors", {"typology": "cycle", "lang": "en"})
    assert EN["monitors_new"].format(n=0) in again.text and len(SqlMonitorStore(platform.engine).results()) == 1


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_monitor_input_names_the_field_and_runs_nothing(web: TestClient, platform: Platform, analyst: Session, lang: str) -> None:
    load_cycle(platform)
    for data, field in (
        ({"typology": "smurfing"}, "typology"),
        ({"since": "last week"}, "since"),
        ({"until": "2024-02-30"}, "until"),
        ({"since": "2024-03-01", "until": "2024-02-01"}, "since"),
    ):
        r = analyst.post("/staff/monitors", {**data, "lang": lang})
        assert r.status_code == 422, data
        assert f'<li data-field="{field}">{MESSAGES[lang][f"staff_err_{field}"]}' in r.text, data
    assert SqlMonitorStore(platform.engine).results() == []


def test_ledger_pages_need_a_signed_in_staff_member_and_runs_the_csrf_token(
    web: TestClient, platform: Platform, analyst_key: str, admin_key: str
) -> None:
    load_cycle(platform)
    alert_id = run_cycle_monitor(platform)
    paths = (
        "/staff/ledger?account=A",
        "/staff/ledger/accounts/A",
        f"/staff/alerts/{alert_id}",
        "/staff/monitors",
        "/staff/ledger/trace.svg?account=A",
    )
    for path in paths:
        r = web.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/staff/login"), path
    assert web.post("/staff/monitors", data={"typology": "cycle"}, follow_redirects=False).status_code == 303
    # A second cycle D -> E -> F -> D that only a run that goes through would find.
    t = datetime(2024, 2, 2, tzinfo=UTC)
    legs = (("D", "E", 50_000), ("E", "F", 49_500), ("F", "D", 49_000))
    platform.ledger.import_rows(
        "cycle-2",
        [ParsedTransfer(i, TransferDraft(f"d{i}", a, b, fen, "CNY", t + timedelta(hours=i))) for i, (a, b, fen) in enumerate(legs)],
    )
    analyst = sign_in(web, analyst_key)
    for token in (None, "", "0" * 64, csrf_token(admin_key)):
        data = {"typology": "cycle"} if token is None else {"typology": "cycle", "csrf": token}
        assert web.post("/staff/monitors", data=data).status_code == 403, token
    r = web.post("/staff/monitors", data={"typology": "cycle", "csrf": analyst.csrf}, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    assert len(SqlMonitorStore(platform.engine).results()) == 1  # nothing ran
    assert analyst.post("/staff/monitors", {"typology": "cycle"}).status_code == 200
    assert len(SqlMonitorStore(platform.engine).results()) == 2
    # The pages without a graph keep the script-free policy.
    for path in ("/staff/ledger/accounts/A", "/staff/monitors", "/staff/alerts"):
        assert "script-src" not in web.get(path).headers["content-security-policy"], path


# --- headless Chromium --------------------------------------------------------------------------

SHOTS = Path("/tmp/web-shots")
WATCH_CSP = "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective));"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    """uvicorn over SQLite with the elderly customer's statement, the mules, a cycle and an analyst key."""
    tmp_path = tmp_path_factory.mktemp("ledger-web")
    platform = Platform(
        make_settings(f"sqlite:///{tmp_path}/l.db", tmp_path, delta_screening=False, monitor_thresholds=no_history_thresholds(tmp_path))
    )
    top_up = load_elderly(platform, tmp_path)
    load_mules(platform)
    load_cycle(platform)
    secret = platform.keys.create("analyst-9", "analyst", actor="test")[1]
    try:
        with serve(staff_app(platform)) as url:
            yield url, secret, top_up
    finally:
        platform.close()


@pytest.fixture
def desk(browser: Browser, live: tuple[str, str, int]) -> Iterator[Page]:
    """A signed-in page that records console errors and Content-Security-Policy violations."""
    url, secret, _ = live
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, locale="en-GB")
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    # Chromium logs a 4xx answer (a form with a bad field) as an error; those are expected here,
    # and a script that failed to load would leave the graph undrawn, which the tests check.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{url}/staff/login?lang=en")
    page.fill("#f-api_key", secret)
    page.click("button[type=submit]")
    expect(page.locator("#who")).to_contain_text("analyst-9")
    try:
        yield page
        assert errors == [], errors
    finally:
        context.close()


def _graph(page: Page, name: str = "flow-graph") -> tuple[int, int]:
    page.wait_for_function(f"() => window.finguardGraphs && window.finguardGraphs['{name}']")
    nodes, edges = page.evaluate("name => [window.finguardGraphs[name].nodes().length, window.finguardGraphs[name].edges().length]", name)
    return nodes, edges


def _point(page: Page, selector: str, name: str = "flow-graph") -> tuple[float, float]:
    """Where a node (or an edge's midpoint) is on the screen, with the graph scrolled into view."""
    page.locator(f"#{name}").scroll_into_view_if_needed()
    # Cytoscape refreshes its cached container position on the scroll event, which fires with the
    # next frame: wait for it, or a click right after the scroll lands where the graph used to be.
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    x, y = page.evaluate(
        """([name, sel]) => {
            const cy = window.finguardGraphs[name];
            const el = cy.$(sel);
            const p = el.isNode() ? el.renderedPosition() : el.renderedMidpoint();
            const box = cy.container().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [name, selector],
    )
    return x, y


def _no_csp_violations(page: Page) -> None:
    assert page.evaluate("window.__csp") == []


@pytest.mark.browser
def test_browser_the_demo_case_and_the_mules_as_an_interactive_graph(live: tuple[str, str, int], desk: Page) -> None:
    url, _, top_up = live
    desk.goto(f"{url}/staff/ledger?account={DEMO_ACCOUNT}&start_transfer={top_up}&lang=en")
    assert _graph(desk) == (2, 1)
    expect(desk.locator("#summary-en")).to_contain_text("4,000 yuan went to 财付通-微信零钱 (WeChat wallet top-up) on 2024-03-15")
    expect(desk.locator("#summary-zh")).to_contain_text("4,000元于2024年3月15日转入财付通-微信零钱")
    _no_csp_violations(desk)

    desk.click("nav.staff-nav >> text=" + EN["staff_nav_ledger"])
    desk.fill("#f-account", "V")
    desk.click("#trace-submit")
    assert _graph(desk) == (8, 7)
    expect(desk.locator("#flow-graph canvas").first).to_be_visible()
    expect(desk.locator("#ends tr.end-row")).to_have_count(4)
    _no_csp_violations(desk)
    SHOTS.mkdir(exist_ok=True)

    # Hover an arrow: its amount and time; tap an account: its details and actions.
    desk.mouse.move(*_point(desk, "edge[source = 'M1'][target = 'M2']"))
    panel = desk.locator("#flow-graph-panel")
    expect(panel).to_have_attribute("data-showing", "edge")
    expect(panel).to_contain_text("30,000")
    expect(panel).to_contain_text("2024-03-01 10:30:00 +08:00")
    desk.mouse.click(*_point(desk, "#M1"))
    expect(panel).to_have_attribute("data-account", "M1")
    expect(panel).to_contain_text("李四")
    expect(panel).to_contain_text("50,000")
    expect(panel.locator("#node-trace")).to_have_text(EN["flow_trace_here"])
    desk.mouse.move(*_point(desk, "#V"))  # a tapped account stays in the panel
    expect(panel).to_have_attribute("data-account", "M1")
    desk.screenshot(path=str(SHOTS / "trace.png"), full_page=True)

    # Zoom with the wheel; the reset button fits the graph again.
    before = desk.evaluate("window.finguardGraphs['flow-graph'].zoom()")
    desk.mouse.move(*_point(desk, "#M1"))
    desk.mouse.wheel(0, -400)
    desk.wait_for_function(f"window.finguardGraphs['flow-graph'].zoom() > {before}")
    desk.click('[data-fit="flow-graph"]')
    desk.wait_for_function(f"Math.abs(window.finguardGraphs['flow-graph'].zoom() - {before}) < 0.01")

    desk.mouse.click(*_point(desk, "#M2"))
    desk.locator("#node-trace").click()
    expect(desk.locator("#summary-en")).to_contain_text("Of 30,000 yuan held in account M2 on 2024-03-01")
    assert _graph(desk) == (3, 2)
    assert desk.evaluate("window.finguardGraphs['flow-graph'].$('#M2').hasClass('root')")
    desk.mouse.click(*_point(desk, "#M2"))
    desk.locator("#node-transfers").click()
    expect(desk.locator("#account-id")).to_have_text("M2")
    expect(desk.locator("#transfers tr.transfer-row")).to_have_count(3)


@pytest.mark.browser
def test_browser_language_switch_and_a_bad_field(live: tuple[str, str, int], desk: Page) -> None:
    url, _, _ = live
    desk.goto(f"{url}/staff/ledger?account=V&lang=en")
    _graph(desk)
    desk.click(".lang-switch")
    expect(desk.locator("h1")).to_have_text(ZH["ledger_heading"])
    expect(desk.locator("label[for=f-hops]")).to_contain_text(ZH["ledger_hops"])
    assert _graph(desk) == (8, 7)  # the switch kept the trace
    desk.mouse.click(*_point(desk, "#M3"))
    expect(desk.locator("#node-trace")).to_have_text(ZH["flow_trace_here"])
    expect(desk.locator("#flow-graph-panel")).to_contain_text(ZH["flow_received"])

    desk.fill("#f-hops", "99")
    with desk.expect_response(lambda r: "/staff/ledger?" in r.url) as answer:
        desk.click("#trace-submit")
    assert answer.value.status == 422
    expect(desk.locator("#form-errors")).to_contain_text(ZH["staff_err_hops"])
    expect(desk.locator("#f-hops")).to_have_attribute("aria-invalid", "true")
    expect(desk.locator("#results")).to_have_count(0)
    desk.click(".lang-switch")
    expect(desk.locator("#e-hops")).to_contain_text(EN["staff_err_hops"])


@pytest.mark.browser
def test_browser_run_the_monitors_and_open_the_cycle_alert(live: tuple[str, str, int], desk: Page) -> None:
    url, _, _ = live
    desk.goto(f"{url}/staff/alerts?lang=en")
    desk.click("#monitors-link")
    desk.check("#typ-cycle")
    desk.click("#monitors-run")
    expect(desk.locator('#found tr[data-typology="cycle"] td.num')).to_have_text("1")
    desk.click("nav.staff-nav >> text=" + EN["staff_nav_alerts"])
    desk.locator('tr[data-kind="aml_cycle"] a.more').click()
    expect(desk.locator("#reason-en")).to_contain_text("Money left account A and came back to it through 3 transfers")
    expect(desk.locator("#reason-zh")).to_contain_text("资金从账户 A 转出")
    assert _graph(desk, "alert-graph") == (3, 3)
    assert desk.evaluate("window.finguardGraphs['alert-graph'].$('#A').hasClass('subject')")
    expect(desk.locator("#alert-transfers tr.alert-transfer")).to_have_count(3)
    desk.mouse.click(*_point(desk, "#B", "alert-graph"))
    expect(desk.locator("#alert-graph-panel")).to_contain_text("1,000")
    _no_csp_violations(desk)
    desk.screenshot(path=str(SHOTS / "alert.png"), full_page=True)


@pytest.mark.browser
def test_browser_the_trace_page_works_without_javascript(live: tuple[str, str, int], browser: Browser) -> None:
    url, secret, top_up = live
    context = browser.new_context(java_script_enabled=False, locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{url}/staff/ledger?account={DEMO_ACCOUNT}&start_transfer={top_up}")
        page.fill("#f-api_key", secret)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text(ZH["ledger_heading"])
        expect(page.locator("#summary-zh")).to_contain_text("转入财付通-微信零钱（微信零钱充值）")
        expect(page.locator("#ends tr.end-row")).to_have_count(1)
        picture = page.locator("img.flowgraph__picture")
        expect(picture).to_be_visible()
        assert picture.evaluate("img => img.naturalWidth") > 0
    finally:
        context.close()
