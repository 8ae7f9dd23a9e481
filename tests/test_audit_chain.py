"""Tamper-evident logs (#18): the change log and the audit log are hash chains.

Defect: a ``change_log`` row rewritten with an UPDATE was served as is. Now each row carries the
previous row's hash and its own (SHA-256 over canonical JSON); ``finguard audit verify`` walks both
chains and exits 1 naming the first bad row; ``finguard audit anchor`` exports the heads, and
``verify --anchor`` catches a deleted tail. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from finguard.app.cli import app
from finguard.app.platform import Platform
from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind
from tests.conftest import make_settings


def fill(p: Platform, n: int = 4) -> None:
    p.lists.create_list("mules", "Mules", "mule_account", "bank", "high")
    for i in range(n):
        draft = EntryDraft(f"m{i}", SubjectKind.IDENTIFIER, (Identifier.parse("account", f"62220210011223344{i:02d}"),), reason="名单")
        p.lists.add_entry("mules", draft, "user:alice")
        p.audit.record("user:alice", "api.get", f"/api/v1/entries/{i}", {"query": "x=1"})
    p.audit.flush()


def run(db_url: str, tmp_path: Path, *args: str) -> Result:
    env = {"FINGUARD_DATABASE_URL": db_url, "FINGUARD_INDEX_DIR": str(tmp_path / "index"), "FINGUARD_SPOOL_DIR": str(tmp_path / "spool")}
    env |= {"FINGUARD_DEMO_ON_FIRST_START": "false", "FINGUARD_CLI_ACTOR": "auditor", "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def filled(db_url: str, tmp_path: Path) -> Platform:
    with Platform(make_settings(db_url, tmp_path, delta_screening=False), follow=False) as p:
        fill(p)
    return p


def sql(p: Platform, statement: str) -> None:
    with p.engine.begin() as conn:
        conn.execute(text(statement))


def test_untouched_chains_verify(filled: Platform, db_url: str, tmp_path: Path) -> None:
    result = run(db_url, tmp_path, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "change_log: ok, 4 rows" in result.output and "audit_log: ok" in result.output


@pytest.mark.parametrize(
    ("table", "statement", "bad"),
    [
        ("change_log", "UPDATE change_log SET actor = 'someone else' WHERE seq = 2", 2),
        ("change_log", "UPDATE change_log SET at = at + interval '1 hour' WHERE seq = 3", 3),
        ("change_log", "DELETE FROM change_log WHERE seq = 2", 3),
        ("audit_log", "UPDATE audit_log SET target = '/api/v1/entries/99' WHERE seq = 2", 2),
        ("audit_log", "DELETE FROM audit_log WHERE seq = 1", 2),
    ],
)
def test_an_update_or_a_delete_is_found_and_named(
    filled: Platform, db_url: str, tmp_path: Path, table: str, statement: str, bad: int
) -> None:
    if "interval" in statement and db_url.startswith("sqlite"):
        statement = "UPDATE change_log SET at = datetime(at, '+1 hour') WHERE seq = 3"
    with Platform(make_settings(db_url, tmp_path, delta_screening=False), follow=False) as p:
        sql(p, statement)
    result = run(db_url, tmp_path, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert f"{table}: row {bad} is bad" in result.output.replace("\n", " ")


def test_a_snapshot_rewritten_to_lower_a_level_is_found(filled: Platform, db_url: str, tmp_path: Path) -> None:
    """The attack of the issue: the stored snapshot of a change edited after the fact."""
    with Platform(make_settings(db_url, tmp_path, delta_screening=False), follow=False) as p:
        with p.engine.connect() as conn:
            raw = conn.execute(text("SELECT snapshot FROM change_log WHERE seq = 1")).scalar_one()
        snapshot = json.loads(raw) if isinstance(raw, str) else raw
        snapshot["risk_level"] = 1
        with p.engine.begin() as conn:
            conn.execute(text("UPDATE change_log SET snapshot = :s WHERE seq = 1"), {"s": json.dumps(snapshot)})
        (changes, audit) = p.verify_logs()
    assert (changes.ok, changes.bad_seq, audit.ok) == (False, 1, True)


def test_a_deleted_tail_is_found_by_the_anchor(filled: Platform, db_url: str, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors.jsonl"
    assert run(db_url, tmp_path, "audit", "anchor", "-o", str(anchors)).exit_code == 0
    anchor = json.loads(anchors.read_text().splitlines()[-1])
    assert anchor["chains"]["change_log"]["seq"] == 4 and anchor["by"] == "os:auditor"
    assert run(db_url, tmp_path, "audit", "verify", "--anchor", str(anchors)).exit_code == 0
    with Platform(make_settings(db_url, tmp_path, delta_screening=False), follow=False) as p:
        sql(p, "DELETE FROM change_log WHERE seq = 4")
    result = run(db_url, tmp_path, "audit", "verify", "--anchor", str(anchors))
    assert result.exit_code == 1
    assert "change_log: the anchored row 4" in result.output.replace("\n", " ")


def test_new_rows_extend_the_chain_across_platforms(filled: Platform, db_url: str, tmp_path: Path) -> None:
    """Two processes (platforms) writing in turn extend one chain, not two."""
    with Platform(make_settings(db_url, tmp_path, delta_screening=False), follow=False) as a:
        draft = EntryDraft("x", SubjectKind.IDENTIFIER, (Identifier.parse("account", "6222021001122339999"),))
        a.lists.add_entry("mules", draft, "user:bob")
        a.audit.record("user:bob", "api.get", "/x", sync=True)
    with Platform(make_settings(db_url, tmp_path, delta_screening=False), follow=False) as b:
        assert [(r.table, r.ok, r.rows) for r in b.verify_logs()] == [("change_log", True, 5), ("audit_log", True, 5)]


def test_the_migration_chains_the_rows_written_before_it(db_url: str) -> None:
    """Change-log rows written before the chain existed are hashed, in order, by migration 0401."""
    from alembic import command
    from alembic.config import Config

    from finguard.core.db import MIGRATIONS, make_engine
    from finguard.lists.store.repo import verify_change_log

    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0006")
        with engine.begin() as conn:
            for i in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO change_log (at, actor, op, list_code, entry_id, entry_key, snapshot)"
                        " VALUES (:at, 'old', 'add', 'mules', :i, :k, :s)"
                    ),
                    {"at": f"2026-01-0{i} 10:00:00.000001", "i": i, "k": f"k{i}", "s": json.dumps({"risk_level": 3, "名": i})},
                )
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        report = verify_change_log(engine)
        assert (report.ok, report.rows, report.head_seq) == (True, 2, 2)
    finally:
        engine.dispose()


def test_a_serving_process_anchors_the_heads_periodically(filled: Platform, db_url: str, tmp_path: Path) -> None:
    import time

    anchors = tmp_path / "worm" / "anchors.jsonl"
    settings = make_settings(db_url, tmp_path, delta_screening=False, audit_anchor_path=anchors, audit_anchor_minutes=0.01)
    with Platform(settings) as p:
        deadline = time.monotonic() + 10
        while not anchors.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        heads = p.chain_heads()
    first = json.loads(anchors.read_text().splitlines()[0])
    assert first["by"] == "system:anchor" and first["chains"]["change_log"] == heads["change_log"]
    assert heads["change_log"]["seq"] == 4
    assert run(db_url, tmp_path, "audit", "verify", "--anchor", str(anchors)).exit_code == 0
