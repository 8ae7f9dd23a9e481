"""``finguard verify id|name|face`` (#17), run in-process on a temporary SQLite file.

Exit codes: 0 valid / match, 1 invalid / no match / retake, 2 unreadable input.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

import finguard.app.cli  # noqa: F401  (registers how commands open the platform)
from finguard.identity.cli import app as verify_app

root = typer.Typer()
root.add_typer(verify_app, name="verify")


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {
        "FINGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "FINGUARD_DEMO_ON_FIRST_START": "false",
        "FINGUARD_INDEX_DIR": str(tmp_path / "index"),
        "COLUMNS": "200",
    }

    def _run(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(root, list(args), env=env)
        assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return result

    return _run


def test_verify_id_prints_the_facts(run) -> None:  # type: ignore[no-untyped-def]
    result = run("verify", "id", "11010519491231002X", "--at", "2026-12-05")
    assert "valid" in result.output and "age: 76" in result.output


def test_verify_id_names_each_problem_and_exits_1(run) -> None:  # type: ignore[no-untyped-def]
    result = run("verify", "id", "110105194912310021", code=1)
    assert "check_digit" in result.output and "expected X" in result.output


def test_verify_id_refuses_an_unknown_kind_with_exit_2(run) -> None:  # type: ignore[no-untyped-def]
    result = run("verify", "id", "123", "--kind", "library_card", code=2)
    assert "kind" in result.output


def test_verify_face_on_two_real_photos(run, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    root_dir = shared_data / "faces" / "london-set"
    result = run("verify", "face", str(root_dir / "neutral" / "001.jpg"), str(root_dir / "smiling" / "001.jpg"))
    assert "match" in result.output and "same_person" in result.output


def test_verify_face_refuses_a_missing_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("verify", "face", str(tmp_path / "none.jpg"), str(tmp_path / "none.jpg"), code=2)
    assert "photo" in result.output
