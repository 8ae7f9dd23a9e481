"""``finguard cases ...`` run in-process (CliRunner) on a temporary SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import typer
from typer.testing import CliRunner

import finguard.app.cli  # noqa: F401 - registers how commands open the platform
from finguard.alerts.cli import cases_app
from finguard.alerts.store import alert
from finguard.core.db import make_engine, upgrade


def make(tmp_path: Path) -> Callable[..., str]:
    root = typer.Typer()
    root.add_typer(cases_app, name="cases")
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        for severity, subject in (("critical", "party:ACME"), ("low", "=1+1")):
            conn.execute(alert.insert().values(kind="screening_hit", subject=subject, severity=severity, status="open",
                                               summary="hit", details={}, created_at=datetime.now(UTC)))
    engine.dispose()
    env = {"FINGUARD_DATABASE_URL": url, "FINGUARD_HOME": str(tmp_path), "COLUMNS": "220"}

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(root, ["cases", *args], env=env)
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    return run


def test_work_cases_from_the_command_line(tmp_path: Path) -> None:
    run = make(tmp_path)
    listed = run("list")
    assert "party:ACME" in listed and "2 of 2" in listed
    assert "#1 done" in run("assign", "1", "2", "--to", "li.na", "--as", "lead")
    run("comment", "1", "checked the register", "--as", "li.na")
    assert "#1 done" in run("close", "1", "--disposition", "true_positive", "--reason", "listed", "--as", "li.na")
    assert "close proposed by li.na" in run("show", "1")
    run("confirm", "1", "--as", "li.na", code=2)  # maker-checker: not the same person
    assert "#1 closed" in run("confirm", "1", "--as", "wang")
    assert "disposition: must be one of" in run("close", "2", "--disposition", "nope", "--reason", "x", code=1)
    out = run("close", "2", "7", "--disposition", "false_positive", "--reason", "test", "--as", "li.na", code=1)
    assert "#2 done" in out and "#7" in out
    csv_path = tmp_path / "cases.csv"
    run("export", str(csv_path))
    text = csv_path.read_text()
    assert text.startswith("id,kind,state") and "'=1+1" in text
    trail = run("show", "1")
    assert "close_proposed" in trail and "wang" in trail
    assert "adopted 0 alerts" in run("sync")
