"""The robots through the API, the staff page and the CLI (#13): run one now, follow its run,
download the settlement report; a second run of a held job is a 409; bad input names its field."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from typer.testing import CliRunner

import finguard.app.cli  # noqa: F401 - registers how commands open the platform
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.db import make_engine, upgrade
from finguard.ledger.store.tables import ledger_account
from finguard.robots.cli import app as robots_cli
from finguard.robots.model import NEW_LISTINGS, Trigger
from finguard.robots.store.tables import robot_job
from tests.conftest import make_settings
from tests.test_cases_web import sign_in
from tests.test_robots import card, list_card


@pytest.fixture
def platform(db_url: str, tmp_path: Path) -> Iterator[Platform]:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False), follow=False) as p:
        yield p


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


def _wait(web: TestClient, run_id: int, h: dict[str, str]) -> dict[str, object]:
    for _ in range(200):
        run = web.get(f"/api/v1/robots/runs/{run_id}", headers=h).json()
        if run["outcome"] != "running":
            return run  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError("the run did not end")


def test_run_robots_through_the_api(web: TestClient, platform: Platform, analyst_key: str, admin_key: str) -> None:
    h = {"X-API-Key": analyst_key}
    number = card("6222")
    with platform.engine.begin() as conn:
        conn.execute(ledger_account.insert().values(account=number, name="张三", kind="customer"))
    list_card(platform, "police-cards", number)
    jobs = web.get("/api/v1/robots", headers=h).json()
    assert {j["name"] for j in jobs} == {"new_listings", "list_freshness", "list_refresh", "settlement_report", "case_sla"}
    # list_refresh by hand, for one list: no source is configured for it, so the run fails naming the field.
    refresh = web.post("/api/v1/robots/list_refresh/runs", json={"wait": True, "list_code": "police-cards"}, headers=h)
    assert refresh.status_code == 200 and refresh.json()["outcome"] == "failed" and "list:" in refresh.json()["message"]
    assert web.post("/api/v1/robots/list_refresh/runs", json={"list_code": ""}, headers=h).status_code == 422
    fresh = web.get("/api/v1/robots/lists", headers=h).json()
    assert {"source_date", "refresh_error"} <= set(fresh[0])

    started = web.post("/api/v1/robots/new_listings/runs", json={}, headers=h)
    assert started.status_code == 202 and started.json()["actor"] == "key:analyst-1"
    run = _wait(web, started.json()["id"], h)
    assert run["outcome"] == "ok" and run["counts"]["alerts"] == 1 and run["counts"]["cases_opened"] == 1  # type: ignore[index]
    cases = web.get("/api/v1/cases", headers=h).json()
    assert cases["total"] == 1 and cases["items"][0]["subject"] == f"card:{number}"

    done = web.post("/api/v1/robots/settlement_report/runs", json={"wait": True}, headers=h)
    assert done.status_code == 200 and done.json()["counts"]["written"] is True
    [report] = web.get("/api/v1/robots/reports", headers=h).json()
    csv = web.get(report["csv"], headers=h)
    assert csv.status_code == 200 and "cases_opened,alert,1" in csv.text
    assert "attachment" in csv.headers["content-disposition"]
    xlsx = web.get(report["xlsx"], headers=h)
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["summary", "cases"]
    assert web.get(f"/api/v1/robots/reports/{report['id']}.pdf", headers=h).status_code == 422

    # A run while another process holds the job is refused, naming who holds it.
    with platform.engine.begin() as conn:
        conn.execute(update(robot_job).where(robot_job.c.name == "case_sla")
                     .values(lock_owner="other-host:1", lock_until=platform.robots.clock().replace(year=2999)))
    r = web.post("/api/v1/robots/case_sla/runs", json={"wait": True}, headers=h)
    assert r.status_code == 409 and "other-host" in r.json()["error"]["message"]
    assert web.post("/api/v1/robots/nope/runs", json={}, headers=h).status_code == 404
    assert web.post("/api/v1/robots/settlement_report/runs", json={"day": "May"}, headers=h).status_code == 422

    fresh = web.get("/api/v1/robots/lists", headers=h).json()
    assert fresh[0]["list_code"] == "police-cards" and fresh[0]["stale"] is False
    r = web.put("/api/v1/robots/lists/police-cards/period", json={"max_age_hours": 24}, headers=h)
    assert r.status_code == 403  # an analyst may not loosen a list's freshness
    r = web.put("/api/v1/robots/lists/police-cards/period", json={"max_age_hours": 0}, headers={"X-API-Key": admin_key})
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "max_age_hours"
    r = web.put("/api/v1/robots/lists/police-cards/period", json={"max_age_hours": 24}, headers={"X-API-Key": admin_key})
    assert r.json()["max_age_hours"] == 24
    assert web.get("/api/v1/robots/runs?robot=new_listings", headers=h).json()[0]["trigger"] == "manual"
    assert web.get("/api/v1/robots", headers={"X-API-Key": "nope"}).status_code == 401


def test_the_robots_page_runs_a_robot(web: TestClient, platform: Platform, analyst_key: str) -> None:
    csrf = sign_in(web, analyst_key)
    page = web.get("/staff/robots?lang=zh")
    assert page.status_code == 200 and "自动任务" in page.text and "立即运行" in page.text
    assert "Run now" in web.get("/staff/robots?lang=en").text
    r = web.post("/staff/robots/settlement_report/run", data={"csrf": "bad", "lang": "en"}, follow_redirects=False)
    assert r.status_code == 403
    r = web.post("/staff/robots/settlement_report/run", data={"csrf": csrf, "lang": "en"}, follow_redirects=False)
    assert r.status_code == 303 and "started=" in r.headers["location"]
    run_id = int(r.headers["location"].split("started=")[1])
    _wait(web, run_id, {"X-API-Key": analyst_key})
    page = web.get("/staff/robots?lang=en")
    assert 'class="report-csv"' in page.text and 'http-equiv="refresh"' not in page.text
    report_id = platform.robots.reports()[0].id
    assert web.get(f"/staff/robots/reports/{report_id}.csv").text.startswith("day,section,group,count")
    assert web.post("/staff/robots/nope/run", data={"csrf": csrf, "lang": "en"}).status_code == 404
    dash = web.get("/staff/?lang=en")
    assert dash.status_code == 200 and 'id="sla-breached"' in dash.text


def test_robots_from_the_command_line(tmp_path: Path) -> None:
    root = typer.Typer()
    root.add_typer(robots_cli, name="robots")
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {"FINGUARD_DATABASE_URL": url, "FINGUARD_HOME": str(tmp_path), "COLUMNS": "220", "FINGUARD_CLI_ACTOR": "li.na",
           "FINGUARD_DEMO_ON_FIRST_START": "false"}

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(root, ["robots", *args], env=env)
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    assert "new_listings" in run("list")
    out = run("run", "new_listings")
    assert "ok" in out and "os:li.na" in out
    assert "error (not_found)" in run("run", "nope", code=2)
    assert "must be a date" in run("run", "settlement_report", "--day", "6 May", code=1)
    assert "ok" in run("run", "settlement_report", "--day", "2024-05-06")
    assert "2024-05-06" in run("reports")
    target = tmp_path / "r.xlsx"
    assert "wrote settlement-2024-05-06.xlsx" in run("report", "1", str(target), "--format", "xlsx")
    assert target.stat().st_size > 1000
    assert "nothing is due" in run("run-due")
    assert "settlement_report" in run("runs", "--limit", "5")
    assert "disabled" in run("disable", "case_sla")
    assert "error" in run("period", "nope", "24", code=2)


def test_the_scheduler_thread_runs_due_robots(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, tmp_path, delta_screening=False, robots_poll_seconds=0.2)
    with Platform(settings) as p:
        p.robots.runner.jobs()
        with p.engine.begin() as conn:
            conn.execute(update(robot_job).where(robot_job.c.name == NEW_LISTINGS)
                         .values(next_due_at=p.robots.clock().replace(year=2000)))
        for _ in range(100):
            runs = p.robots.runner.runs(NEW_LISTINGS, 5)
            if runs and runs[0].outcome.value != "running":
                break
            time.sleep(0.1)
        assert runs and runs[0].trigger is Trigger.SCHEDULE and runs[0].actor == "system:scheduler"
