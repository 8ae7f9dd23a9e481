"""SQLite's change waiter (#19): woken by the change log's writes, not by every commit to the file."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from finguard.core.db import SqliteVersionWaiter

WATCH = "SELECT max(seq) FROM change_log"


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "w.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE change_log (seq INTEGER PRIMARY KEY, op TEXT)")
        conn.execute("CREATE TABLE decisions (id INTEGER PRIMARY KEY, x TEXT)")
    return path


def _write_later(path: Path, sql: str, after: float = 0.05) -> threading.Thread:
    def write() -> None:
        time.sleep(after)
        with sqlite3.connect(path) as conn:
            conn.execute(sql)

    t = threading.Thread(target=write)
    t.start()
    return t


def _waited(waiter: SqliteVersionWaiter, timeout: float) -> float:
    start = time.monotonic()
    waiter.wait(timeout)
    return time.monotonic() - start


def test_other_writes_do_not_wake_a_watching_waiter_and_change_log_writes_do(tmp_path: Path) -> None:
    path = _db(tmp_path)
    waiter = SqliteVersionWaiter(f"sqlite:///{path}", 0.005, watch=WATCH)
    try:
        t = _write_later(path, "INSERT INTO decisions (x) VALUES ('a')")
        assert _waited(waiter, 0.4) >= 0.38  # the decision's commit changed data_version, not the log
        t.join()
        t = _write_later(path, "INSERT INTO change_log (op) VALUES ('add')")
        assert _waited(waiter, 5.0) < 2.0
        t.join()
        t = _write_later(path, "DELETE FROM change_log")  # the answer changed (to none): wake too
        assert _waited(waiter, 5.0) < 2.0
        t.join()
    finally:
        waiter.close()


def test_without_a_watch_every_commit_wakes(tmp_path: Path) -> None:
    path = _db(tmp_path)
    waiter = SqliteVersionWaiter(f"sqlite:///{path}", 0.005)
    try:
        t = _write_later(path, "INSERT INTO decisions (x) VALUES ('a')")
        assert _waited(waiter, 5.0) < 2.0
        t.join()
    finally:
        waiter.close()


def test_a_watch_that_fails_wakes_as_a_change_would(tmp_path: Path) -> None:
    path = _db(tmp_path)
    waiter = SqliteVersionWaiter(f"sqlite:///{path}", 0.005, watch=WATCH)
    try:
        t = _write_later(path, "DROP TABLE change_log")
        assert _waited(waiter, 5.0) < 2.0
        t.join()
    finally:
        waiter.close()
