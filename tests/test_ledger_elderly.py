"""The case behind #5, end to end: an elderly customer's 4,000 yuan "vanished" from his card.

His statement (below) shows a 4,000 yuan 财付通-微信零钱 top-up on 15 March 2024. Importing it
and tracing forward from his card must say the 4,000 went to his WeChat wallet on that date, and
draw it. Then the same through the HTTP API (staff roles) and the ``finguard ledger`` command.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from finguard.app.cli import app as cli_app
from finguard.app.platform import Platform
from finguard.ledger.model import Direction, EndReason, Method, TraceParams
from finguard.ledger.provider import make_ledger
from finguard.ledger.service import LedgerService
from finguard.ledger.service.importers import ImportOptions, read_transfers
from finguard.ledger.service.render import render_svg
from finguard.ledger.service.summary import summarize

CARD = "6217000010001234567"
STATEMENT = """交易时间,交易金额,借贷标志,对方账号,对方户名,对方行名,余额,摘要
2024-03-01 09:00:00,"3,600.00",贷,11050101040000001,某某区社会保险事业管理中心,中国建设银行,"5,230.00",养老金
2024-03-10 15:20:11,68.50,借,,美团,,"5,161.50",消费
2024-03-15 10:23:45,"4,000.00",借,,财付通-微信零钱,,"1,161.50",财付通-微信零钱充值
2024-03-20 08:30:00,200.00,借,,,,961.50,ATM取款
"""


def test_elderly_customer_statement_to_summary_and_picture(platform: Platform, tmp_path: Path) -> None:
    path = tmp_path / "statement.csv"
    path.write_text(STATEMENT, encoding="utf-8")
    source, rows = read_transfers("statement", path, ImportOptions(account=CARD))
    report = platform.ledger.import_rows(source, rows)
    assert report.inserted == 4
    top_up = next(t for t in platform.ledger.account_transfers(CARD, "out") if t.amount_fen == 400000)

    trace = platform.ledger.trace(TraceParams(CARD, start_transfer=top_up.id))
    assert [(e.account, e.kind.value, e.amount_fen, e.reason) for e in trace.ends] == [
        ("wallet:财付通-微信零钱", "wallet", 400000, EndReason.TERMINAL)
    ]
    en, zh = summarize(trace, "en"), summarize(trace, "zh")
    assert en.startswith(
        f"Of the 4,000 yuan transferred on 2024-03-15 from account {CARD}, "
        "4,000 yuan went to 财付通-微信零钱 (WeChat wallet top-up) on 2024-03-15."
    )
    assert zh.startswith(f"账户{CARD}于2024年3月15日转出的4,000元中，4,000元于2024年3月15日转入财付通-微信零钱（微信零钱充值）。")
    svg = render_svg(trace)
    assert "4,000 · 2024-03-15" in svg and "财付通-微信零钱" in svg and "WeChat wallet top-up" in svg

    # "My card had 5,230 yuan on 1 March; where did it go?" traces everything that left it.
    everything = platform.ledger.trace(TraceParams(CARD))
    assert {(e.account, e.amount_fen) for e in everything.ends} == {
        ("wallet:财付通-微信零钱", 400000),
        ("merchant:美团", 6850),
        ("cash:ATM取款", 20000),
    }


def test_elderly_case_over_the_api(client: TestClient, admin_key: str, analyst_key: str, platform: Platform) -> None:
    body = STATEMENT.encode("utf-8")
    denied = client.post("/api/v1/ledger/import", params={"format": "statement", "account": CARD}, content=body)
    assert denied.status_code == 401 and set(denied.json()) == {"error"}
    imported = client.post(
        "/api/v1/ledger/import", params={"format": "statement", "account": CARD}, content=body, headers={"X-API-Key": analyst_key}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["inserted"] == 4
    bad = client.post(
        "/api/v1/ledger/import",
        params={"format": "statement", "account": CARD},
        content=(STATEMENT + "2024-03-21 08:30:00,-5,借,1,x,,1,转账\n").encode(),
        headers={"X-API-Key": analyst_key},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "import_rejected" and bad.json()["error"]["problems"][0]["line"] == 6

    key = {"X-API-Key": admin_key}
    listing = client.get(f"/api/v1/ledger/accounts/{CARD}/transfers", params={"side": "out"}, headers=key).json()
    top_up = next(t for t in listing["transfers"] if t["amount_fen"] == 400000)
    assert top_up["dst_account"] == "wallet:财付通-微信零钱" and top_up["amount"] == "4000"

    traced = client.post("/api/v1/ledger/trace", json={"account": CARD, "start_transfer": top_up["id"]}, headers=key)
    assert traced.status_code == 200, traced.text
    data = traced.json()
    assert data["trace"]["ends"][0]["label_en"] == "WeChat wallet top-up"
    assert "4,000 yuan went to 财付通-微信零钱 (WeChat wallet top-up) on 2024-03-15" in data["summary_en"]
    assert "微信零钱充值" in data["summary_zh"]

    svg = client.get("/api/v1/ledger/trace.svg", params={"account": CARD, "start_transfer": top_up["id"]}, headers=key)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml") and "4,000" in svg.text
    png = client.get("/api/v1/ledger/trace.svg", params={"account": CARD, "image": "png"}, headers=key)
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"

    missing = client.post("/api/v1/ledger/trace", json={"account": "nobody"}, headers=key)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    naive = client.post("/api/v1/ledger/trace", json={"account": CARD, "at": "2024-03-15T00:00:00"}, headers=key)
    assert naive.status_code == 422 and naive.json()["error"]["problems"][0]["field"] == "at"


def test_elderly_case_from_the_command_line(tmp_path: Path) -> None:
    env = {
        "FINGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "FINGUARD_DEMO_ON_FIRST_START": "false",
        "FINGUARD_INDEX_DIR": str(tmp_path / "index"),
        "COLUMNS": "200",
    }
    runner = CliRunner()
    path = tmp_path / "statement.csv"
    path.write_text(STATEMENT, encoding="utf-8")
    done = runner.invoke(cli_app, ["ledger", "import", "statement", str(path), "--account", CARD], env=env)
    assert done.exit_code == 0, done.output
    assert "4 new transfers" in done.output
    svg = tmp_path / "out.svg"
    args = ["ledger", "trace", CARD, "--direction", "forward", "--hops", "6", "--method", "fifo", "--at", "2024-03-15"]
    traced = runner.invoke(cli_app, [*args, "--amount", "4000", "--svg", str(svg)], env=env)
    assert traced.exit_code == 0, traced.output
    assert "4,000 yuan went to 财付通-微信零钱 (WeChat wallet top-up) on 2024-03-15" in traced.output
    assert "4,000 · 2024-03-15" in svg.read_text(encoding="utf-8")
    bad = runner.invoke(cli_app, ["ledger", "trace", CARD, "--hops", "0"], env=env)
    assert bad.exit_code == 2 and "hops" in bad.output
    demo = runner.invoke(cli_app, ["ledger", "demo", "--svg", str(tmp_path / "demo.svg")], env=env)
    assert demo.exit_code == 0, demo.output
    assert "WeChat wallet top-up" in demo.output


# -- #12: the elder's statement and the mule's statement, imported as an investigator does -------

ELDER, MULE, LIU, ZHAO, LI = (
    "6222021001122334455",
    "6217000010009876543",
    "6228480000001112223",
    "6216610000009998887",
    "6222600000001234567",
)
STATEMENTS = Path(__file__).parent / "data" / "statements"
# What each method must answer, computed by hand from its definition. 王某某 (the mule) held
# 800 yuan before the elder's 4,000 arrived: 300 opening balance (his first 余额 800 less that
# row's 500) and 500 from 李某 on 12 March. Then he paid 3,900 to 刘某, 600 to 赵某 and took 200
# from an ATM; 100 stayed.
#   FIFO: the 3,900 takes the oldest money first: his 800, then 3,100 of the elder's; 赵某 600 and
#         the ATM 200 are the elder's; 100 of it stays.
#   LIFO: the 3,900 takes the newest first: all of it the elder's; the 600 takes the elder's last
#         100 and 500 of the earlier money; the ATM takes earlier money.
#   proportional: each payment carries the elder's share of the balance: 3,900 x 4,000/4,800 =
#         3,250; 600 x 750/900 = 500; 200 x 250/300 = 166.67 (the fen to the larger remainder);
#         83.33 stays.
HAND = {
    "fifo": {LIU: 310000, ZHAO: 60000, "cash:ATM取款": 20000, MULE: 10000},
    "lifo": {LIU: 390000, ZHAO: 10000},
    "proportional": {LIU: 325000, ZHAO: 50000, "cash:ATM取款": 16667, MULE: 8333},
}
# What funded the 3,900 刘某 received, by method (backward): the same split, seen from the other end.
HAND_BACK = {
    "fifo": {"张某某": 310000, "李某": 50000, "opening": 30000},
    "lifo": {"张某某": 390000},
    "proportional": {"张某某": 325000, "李某": 40625, "opening": 24375},
}


def _import_both(ledger: LedgerService, mule_first: bool = False) -> tuple[int, int]:
    files = ["issue12-generic-gbk.csv", "mule-bocom-gb18030.csv"]
    reports = [
        ledger.import_rows(*read_transfers("statement", STATEMENTS / f, ImportOptions())) for f in (files[::-1] if mule_first else files)
    ]
    return sum(r.inserted for r in reports), sum(r.paired for r in reports)


@pytest.mark.parametrize("mule_first", [False, True])
def test_elder_and_mule_statements_store_each_transfer_once(engine: Engine, mule_first: bool) -> None:
    ledger = make_ledger(engine)
    inserted, paired = _import_both(ledger, mule_first)
    assert (inserted, paired) == (4 + 5 - 1, 1)  # the 4,000 is in both statements, stored once
    [gift] = [t for t in ledger.account_transfers(ELDER, "out") if t.dst == MULE]
    assert gift.amount_fen == 400000 and len(ledger.account_transfers(MULE, "in")) == 2
    again = ledger.import_rows(*read_transfers("statement", STATEMENTS / "mule-bocom-gb18030.csv", ImportOptions()))
    assert (again.inserted, again.duplicates, again.paired) == (0, 5, 0)


@pytest.mark.parametrize("method", list(Method))
def test_each_method_answers_as_computed_by_hand(engine: Engine, method: Method) -> None:
    ledger = make_ledger(engine)
    _import_both(ledger)
    [gift] = [t for t in ledger.account_transfers(ELDER, "out") if t.dst == MULE]
    forward = ledger.trace(TraceParams(ELDER, start_transfer=gift.id, method=method))
    ends = {e.account: e.amount_fen for e in forward.ends if e.account != ELDER}
    assert ends == HAND[method.value]
    reasons = {e.account: e.reason for e in forward.ends}
    assert reasons[LIU] is EndReason.LEFT_VIEW  # we hold no statement of 刘某's account
    en = summarize(forward, "en")
    # "still in" only where the ledger holds the account's statement (the mule's), never at 刘某's or 赵某's.
    assert en.count("still in account") == en.count(f"still in account 王某某 ({MULE})") <= 1
    assert f"left the ledger's view at account 刘某 ({LIU})" in en and "(we hold no statement of that account)" in en

    [paid] = [t for t in ledger.account_transfers(MULE, "out") if t.dst == LIU]
    backward = ledger.trace(TraceParams(LIU, direction=Direction.BACKWARD, start_transfer=paid.id, method=method, hops=1 + 1))
    came = {}
    for e in backward.ends:
        key = "opening" if e.account == MULE else (e.name or e.account)
        came[key] = came.get(key, 0) + e.amount_fen
    # hops=2: the elder's part stops at his account (hop limit), 李某's at his (no statement of it).
    assert came == HAND_BACK[method.value]
    assert came.get("张某某", 0) == HAND[method.value][LIU]  # forward and backward agree
