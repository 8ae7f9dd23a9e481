"""The check log and the audit log under overload (#19): nothing dropped, a bounded backlog.

Defects: the check log's buffer kept the newest 200,000 records and silently dropped older ones
when its writer fell behind; both logs buffered objects the garbage collector tracks, so a backlog
of 64,000 stretched every full collection from 12 to 42 ms, and the server fell further behind.
Now a record waits as a plain tuple the collector stops tracking, nothing is dropped, and past
``FINGUARD_MAX_LOG_BACKLOG`` waiting records the server refuses new requests until the writers
have caught up. Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import gc
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select, text

from finguard.access.model import AuditEvent
from finguard.access.service.audit import AuditLog
from finguard.access.store.audit import SqlAuditStore, audit_data, audit_log
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.chain import GENESIS, link
from finguard.core.db import values_insert
from finguard.core.spool import JsonSpool
from finguard.lists.service.checking import CheckRecord
from finguard.lists.store.check_log import BufferedCheckLog
from finguard.lists.store.tables import check_log
from tests.conftest import make_settings

T0 = datetime(2026, 12, 6, 19, 0, tzinfo=UTC)


def rows(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_check_log_backlog_is_kept_whole_and_untracked_by_the_collector(engine: Engine) -> None:
    log = BufferedCheckLog(engine, flush_seconds=3600)  # the writer stalled: the backlog only grows
    try:
        n = 2_000
        for i in range(n):
            log.record(CheckRecord(uuid.uuid4().hex, T0 + timedelta(seconds=i), "staff", "int-7", {"account": "6222****1234"}, "clear", i))
        gc.collect()
        assert log.pending() == n
        assert not any(gc.is_tracked(r) for r in list(log._buf)[:50])  # a backlog costs full collections nothing
        assert log.flush() == n and log.pending() == 0
        assert rows(engine, check_log) == n  # nothing dropped
    finally:
        log.close()


def test_check_log_times_are_stored_as_sqlalchemy_stores_them(engine: Engine) -> None:
    """A whole-second time is written in the same text as SQLAlchemy's own INSERT (on SQLite the
    column is text: '...:00' and '...:00.000000' compare differently), and reads back the same."""
    log = BufferedCheckLog(engine, flush_seconds=3600)
    try:
        log.record(CheckRecord("direct", T0, "staff", "int-7", {}, "clear", 1))
        assert log.flush() == 1
    finally:
        log.close()
    with engine.begin() as conn:
        conn.execute(insert(check_log).values(check_id="orm", at=T0, view="staff", client="int-7", query={}, outcome="clear", seq=2))
        stored = dict(conn.execute(select(check_log.c.check_id, check_log.c.at)).all())
        if engine.dialect.name == "sqlite":
            raw = dict(conn.execute(text("SELECT check_id, at FROM check_log")).all())
            assert raw["direct"] == raw["orm"]
    assert stored["direct"] == stored["orm"]


def test_check_log_times_compare_with_orm_and_bulk_written_times(engine: Engine) -> None:
    """One way of writing times: the check log's goes through the column's bind processing, as the
    ORM's and core.db.values_insert's do. At a whole second, in another zone, a microsecond apart:
    the times filter and sort as times, whichever path wrote each row, on SQLite (text) and
    PostgreSQL (timestamptz) alike."""
    beijing = timezone(timedelta(hours=8))
    log = BufferedCheckLog(engine, flush_seconds=3600)
    try:
        log.record(CheckRecord("log-0", T0, "staff", "int-7", {}, "clear", 1))  # a whole second
        log.record(CheckRecord("log-1", (T0 + timedelta(microseconds=1)).astimezone(beijing), "staff", "int-7", {}, "clear", 2))
        log.record(CheckRecord("log-2", (T0 + timedelta(seconds=1)).astimezone(beijing), "staff", "int-7", {}, "clear", 3))
        assert log.flush() == 3
    finally:
        log.close()
    row = {"view": "staff", "client": "int-7", "query": {}, "outcome": "clear"}
    with engine.begin() as conn:
        conn.execute(insert(check_log).values(check_id="orm-0", at=T0.astimezone(beijing), seq=4, **row))
        conn.execute(insert(check_log).values(check_id="orm-1", at=T0 - timedelta(microseconds=1), seq=5, **row))
        values_insert(conn, check_log, [{"check_id": "bulk-0", "at": T0, "seq": 6, **row}])
        if engine.dialect.name == "sqlite":  # the column is text: one format, or '...:00' sorts before '...:00.000000'
            raw = dict(conn.execute(text("SELECT check_id, at FROM check_log")).all())
            assert raw["log-0"] == raw["orm-0"] == raw["bulk-0"] == "2026-12-06 19:00:00.000000"
            assert raw["log-1"] == "2026-12-06 19:00:00.000001" and raw["log-2"] == "2026-12-06 19:00:01.000000"
        at = check_log.c.at

        def ids(*where: Any) -> list[str]:
            return list(conn.execute(select(check_log.c.check_id).where(*where).order_by(at, check_log.c.check_id)).scalars())

        assert ids(at == T0) == ["bulk-0", "log-0", "orm-0"]
        assert ids(at >= T0) == ["bulk-0", "log-0", "orm-0", "log-1", "log-2"]
        assert ids(at < T0) == ["orm-1"]
        assert ids(at > T0, at < T0 + timedelta(seconds=1)) == ["log-1"]
        assert dict(conn.execute(select(check_log.c.check_id, at)).all())["log-2"] == T0 + timedelta(seconds=1)


def test_an_audit_backlog_is_kept_whole_untracked_and_its_chain_verifies(engine: Engine, tmp_path: Path) -> None:
    store = SqlAuditStore(engine)
    audit = AuditLog(store, JsonSpool(tmp_path / "audit.jsonl"), lambda: T0, flush_seconds=3600)
    try:
        for i in range(1_500):
            audit.record("int-7", "api.post", "/api/v1/check", {"query": f"n={i}"} if i % 2 else {})
        gc.collect()
        assert audit.pending() == 1_500
        assert not any(gc.is_tracked(r) for r in list(audit._buf)[:50])
        assert audit.flush() == 1_500 and audit.pending() == 0
        assert rows(engine, audit_log) == 1_500
        report = audit.verify()
        assert report.ok and report.rows == 1_500
    finally:
        audit.close()


def test_the_audit_rows_written_directly_read_and_hash_as_sqlalchemy_wrote_them(engine: Engine) -> None:
    """The writer builds its rows itself (no SQLAlchemy type processing): a row it writes must read
    back, and hash, exactly as one written through the table's types, so one chain spans both."""
    beijing = timezone(timedelta(hours=8))
    first = AuditEvent(T0.replace(microsecond=0), "alice", "key.create", "key:1", {"role": "admin"})
    with engine.begin() as conn:  # the way rows were written before: SQLAlchemy's INSERT
        data = audit_data(first.at, first.actor, first.action, first.target, first.detail)
        conn.execute(
            insert(audit_log),
            [
                {"at": first.at, "actor": "alice", "action": "key.create", "target": "key:1", "detail": {"role": "admin"}}
                | {"prev_hash": GENESIS, "row_hash": link(GENESIS, data)}
            ],
        )
    later = [
        AuditEvent(datetime(2026, 12, 7, 3, 4, 5, tzinfo=beijing), "王芳", "api.get", "/api/v1/entries/7", {"query": "名单=1"}),
        AuditEvent(datetime(2026, 12, 7, 3, 4, 5, 123456, tzinfo=UTC), "bob", "page.get", "x" * 600, {"n": 3, "nested": {"a": [1, 2]}}),
        AuditEvent(datetime(2026, 12, 7, 3, 4, 6), "carol", "api.post", "/naive-time-taken-as-utc", {}),
    ]
    store = SqlAuditStore(engine)
    store.append(later)
    report = store.verify()
    assert report.ok and report.rows == 4
    back = [e for _, e in reversed(store.recent(limit=10, actor=None, action=None))]
    assert [e.at for e in back] == [first.at, later[0].at.astimezone(UTC), later[1].at, later[2].at.replace(tzinfo=UTC)]
    assert [e.detail for e in back] == [{"role": "admin"}, {"query": "名单=1"}, {"n": 3, "nested": {"a": [1, 2]}}, {}]
    assert back[1].actor == "王芳" and back[2].target == "x" * 500


def test_past_the_backlog_bound_the_server_refuses_until_the_logs_catch_up(db_url: str, tmp_path: Path) -> None:
    with Platform(make_settings(db_url, tmp_path, max_log_backlog=50), follow=False) as p:
        key = p.keys.create("analyst-1", "analyst", actor="test")[1]
        stalled = BufferedCheckLog(p.engine, flush_seconds=3600)
        p.__dict__["check_log"] = stalled  # a writer that cannot keep up
        h = {"X-API-Key": key}
        with TestClient(create_app(p)) as web:
            for _ in range(60):
                r = web.post("/api/v1/check", json={"account": "6222021001122334455"}, headers=h)
                if r.status_code == 503:
                    break
                assert r.status_code == 200, r.text
            assert r.status_code == 503 and r.json()["error"]["code"] == "overloaded" and r.headers["retry-after"]
            assert stalled.pending() == 51  # refused from the first request past the bound: it added no record
            assert web.get("/healthz").status_code == 200
            assert 'finguard_log_backlog{log="check_log"} 51.0' in web.get("/metrics").text
            assert web.post("/api/v1/public/check", json={"account": "6222021001122334455"}).status_code == 503
            stalled.flush()  # the writers catch up: requests are admitted again, every record kept
            p.audit.flush()  # (its own writer may not have run yet: the staff calls' audit records count too)
            assert web.post("/api/v1/check", json={"account": "6222021001122334455"}, headers=h).status_code == 200
        stalled.close()
        assert rows(p.engine, check_log) == 52
