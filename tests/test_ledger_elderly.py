"""The case behind #5, end to end: an elderly customer's 4,000 yuan "vanished" from his card.

His statement (below) shows a 4,000 yuan 财付通-微信零钱 top-up on 15 March 2024. Importing it
and tracing forward from his card must say the 4,000 went to his WeChat wallet on that date, and
draw it. Then the same through the HTTP API (staff roles) and the ``finguard ledger`` command.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from finguard.app.cli import app as cli_app
from finguard.app.platform import Platform
from finguard.ledger.model import EndReason, TraceParams
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
