"""The account register and the PBOC account filing (#13): settlement accounts opened, changed and
closed are recorded through the API or a CSV (all or nothing, every problem naming its line and
field, ID numbers never echoed), and the settlement report robot writes the day's filing as CSV
and XLSX in the documented layout, formula cells neutralised."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

import finguard.app.cli  # noqa: F401 - registers how commands open the platform
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.db import make_engine, upgrade
from finguard.core.errors import InvalidInput
from finguard.ledger.cli import app as ledger_cli
from finguard.ledger.model import AccountEventKind, SettlementAccountType, parse_account_event
from finguard.ledger.provider import make_register
from finguard.robots.model import SETTLEMENT_REPORT, Trigger
from finguard.robots.provider import make_robots
from finguard.robots.service.report import ACCOUNT_COLUMNS
from tests.conftest import make_settings

RIC = "11010519491231002X"  # a resident ID number with a valid check digit (GB 11643)
USCC = "91350100M000100Y43"  # a unified social credit code with a valid check digit (GB 32100)
HEADER = "account,event,event_date,account_type,holder_name,id_type,id_number,branch_code,reason\r\n"
ROWS = (
    f"6222020200001111,opened,2024-05-06,personal_i,张三,resident_id,{RIC},102100099996,\r\n"
    f"6222020200002222,opened,2024-05-06,personal_ii,=HYPERLINK(\"x\"),resident_id,{RIC},102100099996,\r\n"
    f"31050161393600000001,opened,2024-05-06,corp_basic,福州测试贸易有限公司,uscc,{USCC},102100099996,\r\n"
    f"6222020200001111,changed,2024-05-06,personal_i,张三,resident_id,{RIC},102100099996,预留手机号变更\r\n"
    f"31050161393600000002,closed,2024-05-06,corp_temporary,福州测试贸易有限公司,uscc,{USCC},102100099996,临时户到期\r\n"
    f"6222020200003333,closed,2024-05-05,personal_iii,李四,resident_id,{RIC},102100099996,客户申请\r\n"
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)  # 18:00 in China

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False), follow=False) as p:
        yield p


def test_an_event_is_checked_field_by_field_and_never_echoes_the_id() -> None:
    e = parse_account_event({"account": "6222 0202 0000 1111", "event": "开户", "event_date": "2024-05-06",
                             "account_type": "Ⅱ类户", "holder_name": " 张三 ", "id_type": "身份证", "id_number": RIC,
                             "branch_code": "102100099996"})
    assert (e.account, e.event, e.account_type, e.holder_name) == ("6222020200001111", AccountEventKind.OPENED,
                                                                   SettlementAccountType.PERSONAL_II, "张三")
    assert RIC not in repr(e) and e.masked_id == "110***********002X"
    with pytest.raises(InvalidInput) as bad:
        parse_account_event({"account": "12", "event": "moved", "event_date": "06/05/2024", "account_type": "gold",
                             "holder_name": "", "id_type": "resident_id", "id_number": "110105194912310023",
                             "branch_code": "#", "reason": ""})
    fields = {p.field for p in bad.value.problems}
    assert fields == {"account", "event", "event_date", "account_type", "holder_name", "id_number", "branch_code"}
    assert "110105194912310023" not in bad.value.message
    with pytest.raises(InvalidInput) as wrong:
        parse_account_event({"account": "6222020200001111", "event": "closed", "event_date": "2024-05-06",
                             "account_type": "corp_basic", "holder_name": "x", "id_type": "resident_id", "id_number": RIC,
                             "branch_code": "102100099996"})
    assert {p.field for p in wrong.value.problems} == {"id_type", "reason"}


def test_csv_import_is_all_or_nothing_and_idempotent(platform: Platform) -> None:
    register = make_register(platform.engine, Clock())
    bad = HEADER + ROWS + "6222020200004444,opened,2024-05-06,personal_i,王五,resident_id,123,102100099996,\r\n"
    with pytest.raises(InvalidInput) as refused:
        register.import_csv(bad.encode(), "os:test", "bad.csv")
    assert refused.value.problems[0].line == 8 and refused.value.problems[0].field == "id_number"
    assert register.on_day(date(2024, 5, 6)) == []
    report = register.import_csv((HEADER + ROWS).encode(), "os:test", "day.csv")
    assert (report.rows, report.added, report.already_recorded) == (6, 6, 0)
    again = register.import_csv((HEADER + ROWS).encode(), "os:test", "day.csv")
    assert (again.added, again.already_recorded) == (0, 6)
    # Chinese headings, GB18030 as a Chinese spreadsheet saves it.
    zh = "账号,事件,日期,账户类型,户名,证件类型,证件号码,开户网点,原因\r\n" \
         f"6222020200005555,开户,2024-05-07,Ⅲ类户,赵六,居民身份证,{RIC},102100099996,\r\n"
    assert register.import_csv(zh.encode("gb18030"), "os:test", "zh.csv").added == 1
    with pytest.raises(InvalidInput) as header:
        register.import_csv(b"account,event\r\n1,2\r\n", "os:test", "x.csv")
    assert header.value.problems[0].field == "header"


def test_the_robot_writes_the_days_filing(platform: Platform) -> None:
    clock = Clock()
    make_register(platform.engine, clock).import_csv((HEADER + ROWS).encode(), "os:test", "day.csv")
    robots = make_robots(platform.engine, clock=clock)
    run = robots.runner.run(SETTLEMENT_REPORT, actor="os:test")
    assert run.counts["day"] == "2024-05-06" and run.counts["accounts"] == 5
    [filing] = robots.reports(kind="accounts")
    assert filing.rows == 5 and not filing.final
    name, body, media = robots.report_file(filing.id, "csv")
    assert name == "accounts-2024-05-06.csv" and media.startswith("text/csv")
    text = body.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == ",".join(ACCOUNT_COLUMNS)
    assert lines[1] == ("2024-05-06,1,opened,开户,2024-05-06,6222020200001111,personal_i,个人Ⅰ类银行结算账户,张三,"
                        f"resident_id,居民身份证,{RIC},102100099996,")
    assert "'=HYPERLINK" in lines[2]  # a formula is shown, never run
    assert lines[4].split(",")[2:4] == ["changed", "变更"] and lines[5].split(",")[2:4] == ["closed", "销户"]
    assert "6222020200003333" not in text  # closed the day before: not in this day's filing
    _, xlsx, _ = robots.report_file(filing.id, "xlsx")
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == ["accounts", "totals"]
    rows = list(wb["accounts"].iter_rows(values_only=True))
    assert rows[0] == ACCOUNT_COLUMNS and len(rows) == 6 and rows[2][8] == "'=HYPERLINK(\"x\")"
    totals = {(r[1], r[2]): r[4] for r in wb["totals"].iter_rows(min_row=2, values_only=True)}
    assert totals == {("opened", "personal_i"): 1, ("opened", "personal_ii"): 1, ("opened", "corp_basic"): 1,
                      ("changed", "personal_i"): 1, ("closed", "corp_temporary"): 1}
    # The settlement report itself is unchanged beside it.
    assert [r.kind for r in robots.reports()] == ["settlement"]
    # The scheduled run after midnight files the day whole (final).
    clock.now = datetime(2024, 5, 6, 18, 0, tzinfo=UTC)
    sched = robots.runner.run(SETTLEMENT_REPORT, trigger=Trigger.SCHEDULE, actor="system:scheduler")
    assert sched.counts["accounts"] == 5 and robots.reports(kind="accounts")[0].final


def test_the_api_records_and_lists_events(platform: Platform, analyst_key: str) -> None:
    h = {"X-API-Key": analyst_key}
    event = {"account": "6222020200001111", "event": "opened", "event_date": "2024-05-06", "account_type": "personal_i",
             "holder_name": "张三", "id_type": "resident_id", "id_number": RIC, "branch_code": "102100099996"}
    with TestClient(create_app(platform)) as web:
        r = web.post("/api/v1/ledger/account-events", json={"events": [event]}, headers=h)
        assert r.status_code == 200 and r.json() == {"rows": 1, "added": 1, "already_recorded": 0}
        bad = web.post("/api/v1/ledger/account-events", json={"events": [{**event, "id_number": "110105194912310023",
                                                                           "account_type": "gold"}]}, headers=h)
        assert bad.status_code == 422 and "110105194912310023" not in bad.text
        assert {p["field"] for p in bad.json()["error"]["problems"]} == {"events[0].id_number", "events[0].account_type"}
        up = web.post("/api/v1/ledger/account-events/import?name=day.csv", content=(HEADER + ROWS).encode(), headers=h)
        assert up.status_code == 200 and up.json()["added"] == 5 and up.json()["already_recorded"] == 1
        listed = web.get("/api/v1/ledger/account-events?day=2024-05-06", headers=h).json()
        assert len(listed) == 5 and listed[0]["id_number_masked"] == "110***********002X" and RIC not in str(listed)
        assert web.get("/api/v1/ledger/account-events", headers=h).status_code == 422
        assert web.get("/api/v1/ledger/account-events?day=May", headers=h).status_code == 422
        assert web.post("/api/v1/ledger/account-events", json={"events": [event]}, headers={"X-API-Key": "nope"}).status_code == 401


def test_accounts_import_from_the_command_line(tmp_path: Path) -> None:
    root = typer.Typer()
    root.add_typer(ledger_cli, name="ledger")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    env = {"FINGUARD_DATABASE_URL": url, "FINGUARD_HOME": str(tmp_path), "COLUMNS": "220", "FINGUARD_CLI_ACTOR": "li.na",
           "FINGUARD_DEMO_ON_FIRST_START": "false"}
    good, bad = tmp_path / "day.csv", tmp_path / "bad.csv"
    good.write_text(HEADER + ROWS, encoding="utf-8")
    bad.write_text(HEADER + ROWS.replace("personal_ii", "gold"), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(root, ["ledger", "accounts-import", str(bad)], env=env)
    assert result.exit_code == 2 and "account_type" in result.output
    result = runner.invoke(root, ["ledger", "accounts-import", str(good)], env=env)
    assert result.exit_code == 0 and "6 recorded" in result.output, result.output
    assert len(make_register(engine).on_day(date(2024, 5, 6))) == 5
    engine.dispose()
