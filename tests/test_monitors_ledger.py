"""The monitors' read path from the ledger and the incremental run from a cursor (#5), on SQLite
and PostgreSQL: integer keys (migration 0006 backfills them), ``transfers_frame`` as before plus
``id``, the ledger mirror, the cursor, and the CLI / API / background run."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import BigInteger, Column, DateTime, Engine, Integer, MetaData, String, Table, insert, select, text

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.db import MIGRATIONS, begin_write, make_engine, upgrade
from finguard.core.errors import InvalidInput
from finguard.ledger.model import TransferDraft
from finguard.ledger.store.mirror import LedgerMirror
from finguard.ledger.store.repo import SqlLedgerStore, insert_transfers, transfers_frame
from finguard.ledger.store.tables import ledger_account_code, transfer
from finguard.monitors.model import MonitorConfig, PatternAlert, Typology
from finguard.monitors.service import Transfers, affected, monitor_ledger, monitor_ledger_incremental, run_monitors
from finguard.monitors.store import SqlMonitorStore, fingerprint
from tests.conftest import make_settings
from tests.test_monitors_incremental import ledger as synthetic_ledger

# Plumbing tests raise a fan-in of a few small payments in a ledger without history: below the
# defaults' floor, and first contacts need weeks of history (#12). These thresholds let it through.
PLUMBING = {"novelty": {"lookback": 0}, "baseline": {"routine_days": 0}, "fan_in": {"min_total": 0, "min_counterparties": 5}}
T0 = datetime(2024, 2, 1, 9, tzinfo=UTC)
NOW = datetime(2024, 3, 1, tzinfo=UTC)


def draft(ext: str, src: str, dst: str, fen: int, at: datetime) -> TransferDraft:
    return TransferDraft(external_id=ext, src_account=src, dst_account=dst, amount_fen=fen, currency="CNY", at=at)


def names(frame: dict[str, Any], side: str) -> list[str]:
    return [frame["accounts"][c] for c in frame[side]]


def previous_frame(engine: Engine) -> dict[str, Any]:
    """What ``transfers_frame`` returned before the integer keys: codes by first appearance in
    storage order, epoch seconds computed in SQL, rows in (second, id) order."""
    from sqlalchemy import cast, extract

    epoch = cast(extract("epoch", transfer.c.at), BigInteger)
    q = select(transfer.c.id, transfer.c.src_account, transfer.c.dst_account, transfer.c.amount_fen, epoch)
    codes: dict[str, int] = {}
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    ids = np.asarray([r[0] for r in rows], dtype=np.int64)
    src = np.asarray([codes.setdefault(r[1], len(codes)) for r in rows], dtype=np.int32)
    dst = np.asarray([codes.setdefault(r[2], len(codes)) for r in rows], dtype=np.int32)
    amount = np.asarray([r[3] for r in rows], dtype=np.int64)
    ts = np.asarray([r[4] for r in rows], dtype=np.int64)
    order = np.lexsort((ids, ts))
    accounts = np.empty(len(codes), dtype=object)
    for name, c in codes.items():
        accounts[c] = name
    return {"id": ids[order], "src": src[order], "dst": dst[order], "amount_fen": amount[order], "ts": ts[order], "accounts": accounts}


# --- integer keys and the read path ----------------------------------------------------------


def test_migration_0006_backfills_codes_and_epoch_seconds(db_url: str) -> None:
    """Rows written under 0005 (strings and ``at`` only) get account codes in order of first
    appearance (ties by name) and ``ts`` = the floor of ``at``, fractions of a second included."""
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
    old = Table(
        "transfer",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("external_id", String),
        Column("source", String),
        Column("src_account", String),
        Column("dst_account", String),
        Column("amount_fen", BigInteger),
        Column("currency", String),
        Column("at", DateTime(timezone=True)),
    )
    rows = [
        ("t1", "B", "A", 100, T0 + timedelta(microseconds=999_999)),
        ("t2", "A", "C", 200, T0 - timedelta(microseconds=1)),
        ("t3", "C", "B", 300, T0 + timedelta(hours=1)),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(old),
            [
                {"external_id": e, "source": "old", "src_account": s, "dst_account": d, "amount_fen": f, "currency": "CNY", "at": at}
                for e, s, d, f, at in rows
            ],
        )
    upgrade(engine)
    with engine.connect() as conn:
        codes = dict(conn.execute(select(ledger_account_code.c.account, ledger_account_code.c.code)).all())
        got = conn.execute(select(transfer.c.external_id, transfer.c.src, transfer.c.dst, transfer.c.ts).order_by(transfer.c.id)).all()
    assert codes == {"A": 1, "B": 2, "C": 3}  # first appearance by id, ties by name
    t = int(T0.timestamp())
    assert [tuple(r) for r in got] == [("t1", 2, 1, t), ("t2", 1, 3, t - 1), ("t3", 3, 2, t + 3600)]
    # New rows go through insert_transfers and get the next codes.
    SqlLedgerStore(engine).write("new", [draft("n1", "A", "D", 5, T0)], [], None)
    frame = transfers_frame(engine)
    assert names(frame, "src") == ["A", "B", "A", "C"] and names(frame, "dst") == ["C", "A", "D", "B"]
    engine.dispose()


def test_frame_equals_the_previous_read_plus_ids(engine: Engine) -> None:
    """Same columns, same order (by second, then id), same account names; and the ``id`` column."""
    drafts = [
        draft("a", "X", "Y", 500, T0 + timedelta(hours=2)),
        draft("b", "Y", "Z", 400, T0),
        draft("c", "Z", "X", 300, T0),  # same second as b: b's id first
        draft("d", "W", "X", 200, T0 + timedelta(days=3)),
        draft("e", "X", "X", 100, T0 + timedelta(hours=1)),  # a self-transfer is read (the monitors drop it)
    ]
    SqlLedgerStore(engine).write("s", drafts, [], None)
    SqlLedgerStore(engine).write("s2", [draft("f", "V", "Y", 50, T0 - timedelta(days=1))], [], None)
    got, want = transfers_frame(engine), previous_frame(engine)
    for col in ("id", "amount_fen", "ts"):
        assert got[col].tolist() == want[col].tolist(), col
    assert names(got, "src") == names(want, "src") and names(got, "dst") == names(want, "dst")
    assert {k: v.dtype.name for k, v in got.items()} == {
        "id": "int64",
        "src": "int32",
        "dst": "int32",
        "amount_fen": "int64",
        "ts": "int64",
        "currency": "int32",  # the position in FRAME_CURRENCIES (#12)
        "accounts": "object",
    }
    with engine.connect() as conn:
        by_ext = dict(conn.execute(select(transfer.c.id, transfer.c.external_id)).all())
    assert [by_ext[i] for i in got["id"].tolist()] == ["f", "b", "c", "e", "a", "d"]
    window = transfers_frame(engine, T0, T0 + timedelta(days=1))
    assert [by_ext[i] for i in window["id"].tolist()] == ["b", "c", "e", "a"]
    empty = transfers_frame(engine, T0 + timedelta(days=10))
    assert len(empty["id"]) == 0 and empty["src"].dtype.name == "int32"


def test_a_read_in_many_chunks_is_the_same(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL reads chunks of ids on two connections sharing one snapshot; tiny chunks
    (and an id gap left by a rolled-back write) give the same frame."""
    from finguard.core import columns

    store = SqlLedgerStore(engine)
    store.write("s", [draft(f"a{i}", f"A{i % 3}", f"B{i % 4}", 100 + i, T0 + timedelta(minutes=(7 * i) % 11)) for i in range(9)], [], None)
    with pytest.raises(RuntimeError), begin_write(engine) as conn:
        insert_transfers(conn, "s", [draft("gone", "A0", "B0", 1, T0)], [])
        raise RuntimeError("roll back")
    store.write("s", [draft(f"b{i}", "A1", f"C{i}", 5, T0 - timedelta(hours=i)) for i in range(4)], [], None)
    whole = transfers_frame(engine)
    monkeypatch.setattr(columns, "PG_CHUNK", 2)
    chunked = transfers_frame(engine)
    for col in ("id", "src", "dst", "amount_fen", "ts"):
        assert chunked[col].tolist() == whole[col].tolist(), col
    assert len(whole["id"]) == 13 and names(chunked, "dst") == names(whole, "dst")


def test_transfer_writers_are_serialised_so_ids_appear_in_order(engine: Engine) -> None:
    """A second writer waits for the first to commit, so its ids are higher and become visible
    after the first's: a reader of ``id > last`` never skips a late commit."""
    store = SqlLedgerStore(engine)
    second_done = threading.Event()

    def second() -> None:
        store.write("b", [draft("b1", "P", "Q", 1, T0)], [], None)
        second_done.set()

    with begin_write(engine) as conn:
        insert_transfers(conn, "a", [draft("a1", "P", "Q", 1, T0)], [])
        worker = threading.Thread(target=second)
        worker.start()
        time.sleep(0.5)
        assert not second_done.is_set()
    worker.join(timeout=30)
    assert second_done.is_set()
    with engine.connect() as conn:
        order = [r.source for r in conn.execute(select(transfer.c.source).order_by(transfer.c.id))]
    assert order == ["a", "b"]


# --- incremental runs --------------------------------------------------------------------------


CONFIG = MonitorConfig().with_overrides({"stack": {"min_hops": 2}, "fan_in": {"min_counterparties": 4}})


def synthetic_drafts() -> tuple[list[TransferDraft], list[TransferDraft]]:
    """``test_monitors_incremental.ledger``: 400 accounts over 30 days with planted shapes. The
    "new" transfers are those in the 12 hours of the day-20 shapes; the rest is the history."""
    cols = synthetic_ledger()
    t20 = 1_700_000_000 + 20 * 86400
    old, new = [], []
    for i, (s, d, a, t) in enumerate(zip(cols["src"], cols["dst"], cols["amount_fen"], cols["ts"], strict=True)):
        target = new if t20 <= t < t20 + 12 * 3600 else old
        target.append(draft(f"t{i}", str(cols["accounts"][s]), str(cols["accounts"][d]), int(a), datetime.fromtimestamp(int(t), UTC)))
    return old, new


def shape(alerts: list[PatternAlert], accounts: Any) -> set[tuple[str, str, tuple[str, ...], int]]:
    return {(a.typology.value, str(accounts[a.subject]), tuple(sorted(str(accounts[c]) for c in a.accounts)), a.measure) for a in alerts}


@pytest.mark.parametrize("mirrored", [False, True], ids=["database", "mirror"])
def test_incremental_over_new_transfers_equals_batch_on_the_affected(engine: Engine, mirrored: bool) -> None:
    old, new = synthetic_drafts()
    ledger = SqlLedgerStore(engine)
    mirror = LedgerMirror(engine, 1_000_000) if mirrored else None
    store = SqlMonitorStore(engine, mirror)
    ledger.write("s", old, [], None)
    first = monitor_ledger(store, NOW, CONFIG)  # a full pass: the cursors move to the last id
    last_old = int(transfers_frame(engine)["id"].max())
    assert first.cursor_to == last_old and set(store.cursors(frozenset(Typology)).values()) == {last_old}
    ledger.write("s", new, [], None)  # older times than the history's end: merged into the mirror

    inc = monitor_ledger_incremental(store, NOW, CONFIG)

    frame = transfers_frame(engine)
    new_rows = np.flatnonzero(frame["id"] > last_old)
    want = affected(run_monitors(frame, CONFIG).alerts, Transfers.from_columns(frame), new_rows)
    assert want and {a.typology.value for a in want} >= {"cycle", "fan_in", "pass_through"}
    assert shape(inc.run.alerts, inc.run.accounts) == shape(want, frame["accounts"])
    assert inc.run.transfers == len(new) and inc.cursor_from == last_old and inc.cursor_to == int(frame["id"].max())
    assert set(store.cursors(frozenset(Typology)).values()) == {inc.cursor_to}
    if mirror is not None:
        m = mirror.frame()
        assert m is not None
        for col in ("id", "src", "dst", "amount_fen", "ts"):
            assert m[col].tolist() == frame[col].tolist(), col
    # Stored: exactly the run's alerts the first pass had not stored; a repeat adds nothing.
    stored = {r["id"]: r["details"]["fingerprint"] for r in store.results(limit=100_000)}
    before = {stored[i] for i in first.alert_ids}
    found = {fingerprint(inc.run, a) for a in inc.run.alerts}
    assert {stored[i] for i in inc.alert_ids} == found - before and len(stored) == len(before | found)
    again = monitor_ledger_incremental(store, NOW, CONFIG)
    assert again.alert_ids == [] and again.run.transfers == 0 and again.cursor_to == inc.cursor_to


def test_incremental_from_an_empty_cursor_and_a_typology_subset(engine: Engine) -> None:
    """No cursor yet: every transfer is new. A run of fan-in alone moves only fan-in's cursor;
    an incremental run of all typologies then starts from the lowest cursor."""
    store = SqlMonitorStore(engine)
    assert monitor_ledger_incremental(store, NOW).run.transfers == 0  # an empty ledger
    SqlLedgerStore(engine).write("s", [draft(f"f{i}", f"S{i}", "H", 10_000, T0 + timedelta(hours=i)) for i in range(5)], [], None)
    fan = monitor_ledger_incremental(store, NOW, typologies=frozenset({Typology.FAN_IN}))
    assert fan.cursor_from == 0 and fan.run.transfers == 5 and len(fan.alert_ids) == 1
    cursors = store.cursors(frozenset(Typology))
    assert cursors[Typology.FAN_IN] == fan.cursor_to and cursors[Typology.CYCLE] == 0
    everything = monitor_ledger_incremental(store, NOW)
    assert everything.cursor_from == 0 and everything.run.transfers == 5 and everything.alert_ids == []  # fan-in's alert is known
    assert set(store.cursors(frozenset(Typology)).values()) == {fan.cursor_to}
    # A windowed batch run leaves the cursors alone.
    SqlLedgerStore(engine).write("s", [draft("late", "S9", "H", 10_000, T0 + timedelta(days=2))], [], None)
    assert monitor_ledger(store, NOW, since=T0).cursor_to is None
    assert set(store.cursors(frozenset(Typology)).values()) == {fan.cursor_to}


def test_mirror_bound_falls_back_to_the_database(engine: Engine) -> None:
    SqlLedgerStore(engine).write("s", [draft(f"m{i}", "A", "B", 100, T0 + timedelta(minutes=i)) for i in range(3)], [], None)
    mirror = LedgerMirror(engine, 2)
    assert mirror.frame() is None and mirror.state().disabled and "bound of 2" in str(mirror.state().disabled)
    assert len(SqlMonitorStore(engine, mirror).transfers(None, None)["id"]) == 3
    roomy = LedgerMirror(engine, 10)
    f = roomy.frame(T0 + timedelta(minutes=1), T0 + timedelta(minutes=2))
    assert f is not None and len(f["id"]) == 1 and roomy.state().transfers == 3 and roomy.state().bytes == 96


# --- CLI, API, background ------------------------------------------------------------------------


def test_api_incremental_run_status_and_bad_input(platform: Platform, analyst_key: str) -> None:
    from fastapi.testclient import TestClient

    from finguard.app.http import create_app
    from finguard.monitors.http import router

    SqlLedgerStore(platform.engine).write("s", [draft(f"f{i}", f"S{i}", "H", 10_000, T0 + timedelta(hours=i)) for i in range(6)], [], None)
    app = create_app(platform)
    if not any(getattr(r, "path", "") == "/api/v1/monitors/run" for r in app.routes):
        app.include_router(router)
    h = {"X-API-Key": analyst_key}
    with TestClient(app) as c:
        r = c.post("/api/v1/monitors/run", json={"incremental": True, "thresholds": PLUMBING}, headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["incremental"] is True and body["cursor_from"] == 0 and body["transfers"] == 6 and body["alerts"] == {"fan_in": 1}
        again = c.post("/api/v1/monitors/run", json={"incremental": True}, headers=h).json()
        assert again["transfers"] == 0 and again["new_alert_ids"] == [] and again["cursor_to"] == body["cursor_to"]
        status = c.get("/api/v1/monitors/status", headers=h).json()
        assert status["cursors"]["fan_in"] == body["cursor_to"] == status["latest_transfer_id"]
        assert status["mirror"]["loaded"] is True and status["mirror"]["transfers"] == 6
        assert status["background"]["enabled"] is False
        for bad in ({"incremental": "yes"}, {"incremental": 1}, {"incremental": True, "since": "2024-01-01T00:00:00Z"}):
            r = c.post("/api/v1/monitors/run", json=bad, headers=h)
            assert r.status_code == 422, bad
            assert r.json()["error"]["problems"][0]["field"].endswith("incremental"), r.json()


def test_cli_incremental(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from finguard.core.settings import Settings
    from finguard.monitors.cli import app

    monkeypatch.setenv("FINGUARD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FINGUARD_DEMO_ON_FIRST_START", "false")
    monkeypatch.setenv("FINGUARD_INDEX_DIR", str(tmp_path / "index"))
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(json.dumps(PLUMBING), encoding="utf-8")
    monkeypatch.setenv("FINGUARD_MONITOR_THRESHOLDS", str(thresholds))
    with Platform(Settings(), follow=False) as p:
        SqlLedgerStore(p.engine).write("s", [draft(f"f{i}", f"S{i}", "H", 10_000, T0 + timedelta(hours=i)) for i in range(5)], [], None)
    runner = CliRunner()
    res = runner.invoke(app, ["run", "--incremental"])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert "5 new transfers (after id 0)" in flat and "1 new alert(s) stored" in flat and "cursor at transfer 5" in flat
    flat = " ".join(runner.invoke(app, ["run", "--incremental"]).output.split())
    assert "0 new transfers (after id 5)" in flat and "0 new alert(s) stored" in flat
    bad = runner.invoke(app, ["run", "--incremental", "--since", "2024-01-01"])
    assert bad.exit_code == 2 and "incremental" in bad.output
    assert runner.invoke(app, ["run", "--incremental=yes"]).exit_code == 2


def wait_for(predicate: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_background_runs_after_ledger_writes_and_failures_are_visible(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(json.dumps(PLUMBING), encoding="utf-8")
    p = Platform(make_settings(db_url, tmp_path, monitor_incremental_seconds=0.1, monitor_thresholds=thresholds))
    try:
        SqlLedgerStore(p.engine).write("s", [draft(f"f{i}", f"S{i}", "H", 10_000, T0 + timedelta(hours=i)) for i in range(5)], [], None)
        wait_for(lambda: p.monitor_status.as_dict()["cursor"] == 5)
        assert p.monitor_status.as_dict()["last_new_alerts"] == 1 and p.monitor_status.failures == 0
        # Alerts that cannot be stored: the failure is logged and shown, the cursor stays.
        with p.engine.begin() as conn:
            # CASCADE: the case engine's rows point at alerts (PostgreSQL refuses a plain DROP).
            conn.execute(text("DROP TABLE alert CASCADE" if conn.dialect.name == "postgresql" else "DROP TABLE alert"))
        later = T0 + timedelta(days=10)
        SqlLedgerStore(p.engine).write("s", [draft(f"g{i}", f"S{i}", "H2", 10_000, later + timedelta(hours=i)) for i in range(5)], [], None)
        wait_for(lambda: p.monitor_status.failures > 0)
        status = p.monitor_status.as_dict()
        assert status["last_error"] and "alert" in status["last_error"] and status["cursor"] == 5
        assert any("background monitor run failed" in r.message and r.exc_info for r in caplog.records)
        with p.engine.connect() as conn:
            assert conn.execute(text("SELECT seq FROM job_cursor WHERE name = 'monitors.fan_in'")).scalar() == 5
    finally:
        p.close()


def test_platform_thresholds_file_applies_to_runs_without_their_own(db_url: str, tmp_path: Path) -> None:
    """FINGUARD_MONITOR_THRESHOLDS sets the thresholds of the API's runs; a bad file names the setting."""
    good = tmp_path / "thresholds.toml"
    good.write_text("[fan_in]\nmin_counterparties = 9\n", encoding="utf-8")
    with Platform(make_settings(db_url, tmp_path, monitor_thresholds=good), follow=False) as p:
        assert p.monitor_config.fan_in.min_counterparties == 9
    bad = tmp_path / "bad.toml"
    bad.write_text("[fan_in]\nwindow = -1\n", encoding="utf-8")
    with Platform(make_settings(db_url, tmp_path, monitor_thresholds=bad), follow=False) as p:
        with pytest.raises(InvalidInput) as exc:
            _ = p.monitor_config
        assert exc.value.problems[0].field == "FINGUARD_MONITOR_THRESHOLDS:fan_in.window"
        with TestClient(create_app(p)) as c:
            key = p.keys.create("a", "admin", actor="test")[1]
            r = c.post("/api/v1/monitors/run", json={}, headers={"X-API-Key": key})
            assert r.status_code == 422 and "FINGUARD_MONITOR_THRESHOLDS" in r.text
