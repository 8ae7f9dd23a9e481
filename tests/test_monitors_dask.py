"""The batch monitors on Dask (#19) give the in-process runner's alerts, on SQLite and
PostgreSQL, from the store and from Parquet / CSV files, in threads and in a two-process local
cluster; bad input names the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from finguard.alerts.store import alert
from finguard.core.errors import InvalidInput
from finguard.ledger.store.repo import SqlLedgerStore, transfers_frame
from finguard.monitors.model import PatternAlert, Typology
from finguard.monitors.service import MonitorRun, monitor_ledger, run_monitors
from finguard.monitors.service.engine import ledger_from_columns, monitor_ledger_dask, run_monitors_dask
from finguard.monitors.store import SqlMonitorStore, ledger_from_files, ledger_from_store
from tests.test_monitors_incremental import ledger as synthetic_ledger
from tests.test_monitors_ledger import CONFIG, NOW, synthetic_drafts

# The plumbing config plus first contacts and habits on (a 30-day ledger: short windows), so
# every stage of the engine (payer, pair, per-account, paths) decides something.
NOVEL = CONFIG.with_overrides({"novelty": {"lookback": 7 * 86400, "min_age": 86400, "relay_legs": 1}, "baseline": {"routine_days": 3}})
CONFIGS = {"plain": CONFIG, "novelty": NOVEL}


Shape = tuple[Any, ...]


def shapes(alerts: list[PatternAlert], accounts: Any, ids: np.ndarray | None) -> list[Shape]:
    """Alerts comparable across engines: account ids, transfer ids (``ids[row]`` for the
    in-process runner; the Dask engine's rows are ids already)."""

    def tid(row: int) -> int:
        return int(ids[row]) if ids is not None else row

    out = []
    for a in alerts:
        edges = tuple(sorted((tid(e.row), str(accounts[e.src]), str(accounts[e.dst]), e.amount_fen, e.ts) for e in a.edges))
        members = tuple(sorted(str(accounts[c]) for c in a.accounts))
        out.append((a.typology.value, str(accounts[a.subject]), members, edges, a.start, a.end, a.total_fen, a.measure, a.truncated))
    return sorted(out)


def same_run(dask_run: MonitorRun, batch: MonitorRun, ids: np.ndarray) -> None:
    want = shapes(batch.alerts, batch.accounts, ids)
    assert shapes(dask_run.alerts, dask_run.accounts, None) == want
    assert (dask_run.transfers, dask_run.dropped_self, dask_run.dropped_nonpositive, dask_run.dropped_no_rate) == (
        batch.transfers,
        batch.dropped_self,
        batch.dropped_nonpositive,
        batch.dropped_no_rate,
    )
    assert dask_run.truncated == batch.truncated


def stored_ledger(engine: Engine) -> dict[str, Any]:
    old, new = synthetic_drafts()
    SqlLedgerStore(engine).write("s", old + new, [], None)
    return dict(transfers_frame(engine))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_dask_engine_equals_the_in_process_runner_on_the_store(engine: Engine, name: str) -> None:
    """6,000+ transfers with every typology planted, read back in chunks of 700 ids."""
    config = CONFIGS[name]
    frame = stored_ledger(engine)
    batch = run_monitors(frame, config)
    typologies = {a.typology for a in batch.alerts}
    assert len(typologies) >= 6, typologies  # the comparison covers per-account and path typologies
    run = run_monitors_dask(ledger_from_store(engine, chunk=700), config, buckets=5, scheduler="threads")
    same_run(run, batch, frame["id"])


def test_dask_engine_on_a_two_process_local_cluster(engine: Engine) -> None:
    """Worker processes open the database themselves; the alerts go into the same alert table,
    and a later in-process pass finds every one of them already stored."""
    from distributed import Client, LocalCluster

    frame = stored_ledger(engine)
    batch = run_monitors(frame, NOVEL)
    store = SqlMonitorStore(engine)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster):
        result = monitor_ledger_dask(store, ledger_from_store(engine, chunk=1000), NOW, NOVEL, buckets=4)
    same_run(result.run, batch, frame["id"])
    assert len(result.alert_ids) == len(batch.alerts) > 0
    assert result.cursor_to == int(frame["id"].max())
    assert set(store.cursors(frozenset(Typology)).values()) == {result.cursor_to}
    again = monitor_ledger(store, NOW, NOVEL)
    assert again.alert_ids == []  # same fingerprints: nothing new
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(alert)).scalar() == len(batch.alerts)


@pytest.mark.parametrize(("partitions", "buckets"), [(1, 1), (7, 5), (3, 16)])
def test_one_partition_or_many_give_the_same_alerts(partitions: int, buckets: int) -> None:
    cols = synthetic_ledger()
    cols["id"] = np.arange(1, len(cols["src"]) + 1, dtype=np.int64) * 3  # ids need not be positions
    order = np.lexsort((cols["id"], cols["ts"]))
    cols = {k: (v[order] if k != "accounts" else v) for k, v in cols.items()}
    batch = run_monitors(cols, NOVEL)
    run = run_monitors_dask(ledger_from_columns(cols, partitions), NOVEL, buckets=buckets, scheduler="threads")
    same_run(run, batch, cols["id"])


def test_processes_scheduler() -> None:
    cols = synthetic_ledger()
    cols["id"] = np.arange(1, len(cols["src"]) + 1, dtype=np.int64)
    order = np.lexsort((cols["id"], cols["ts"]))
    cols = {k: (v[order] if k != "accounts" else v) for k, v in cols.items()}
    run = run_monitors_dask(ledger_from_columns(cols, 3), CONFIG, buckets=3, scheduler="processes")
    same_run(run, run_monitors(cols, CONFIG), cols["id"])


def test_empty_ledger(engine: Engine) -> None:
    run = run_monitors_dask(ledger_from_store(engine), NOVEL, scheduler="threads")
    assert run.alerts == [] and run.transfers == 0
    empty = {"src": np.zeros(0, np.int32), "dst": np.zeros(0, np.int32), "amount_fen": np.zeros(0, np.int64), "ts": np.zeros(0, np.int64)}
    assert run_monitors_dask(ledger_from_columns({**empty, "accounts": np.zeros(0, object)}), scheduler="threads").alerts == []


def file_frame() -> tuple[pd.DataFrame, dict[str, Any]]:
    """The synthetic ledger as files hold it: account ids, timestamps, currency codes."""
    cols = synthetic_ledger()
    n = len(cols["src"])
    ids = np.arange(1, n + 1, dtype=np.int64)
    frame = pd.DataFrame(
        {
            "id": ids,
            "src": cols["accounts"][cols["src"]].astype(str),
            "dst": cols["accounts"][cols["dst"]].astype(str),
            "amount_fen": cols["amount_fen"],
            "ts": pd.to_datetime(cols["ts"], unit="s"),
            "currency": "CNY",
        }
    )
    order = np.lexsort((ids, cols["ts"]))
    in_memory = {k: (v[order] if k != "accounts" else v) for k, v in {**cols, "id": ids}.items()}
    return frame, in_memory


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_files_give_the_same_alerts(tmp_path: Path, kind: str) -> None:
    frame, cols = file_frame()
    half = len(frame) // 2
    for i, part in enumerate((frame.iloc[half:], frame.iloc[:half])):  # files in no time order
        if kind == "parquet":
            part.to_parquet(tmp_path / f"part{i}.parquet", index=False)
        else:
            part.assign(ts=(part["ts"] - pd.Timestamp(0)) // pd.Timedelta(seconds=1)).to_csv(tmp_path / f"part{i}.csv", index=False)
    run = run_monitors_dask(ledger_from_files(tmp_path), NOVEL, buckets=4, scheduler="threads")
    same_run(run, run_monitors(cols, NOVEL), cols["id"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda f: f.drop(columns=["amount_fen"]), "amount_fen"),
        (lambda f: f.assign(amount_fen=f["amount_fen"] / 3), "amount_fen"),
        (lambda f: f.assign(ts=f["ts"].astype(str)), "ts"),
        (lambda f: f.assign(id=1), "id"),
        (lambda f: f.assign(src=f["src"].where(f.index > 5)), "src"),
    ],
    ids=["missing", "float-amount", "text-time", "repeated-id", "empty-account"],
)
def test_bad_files_name_the_field(tmp_path: Path, change: Any, field: str) -> None:
    frame, _ = file_frame()
    change(frame.head(50)).to_parquet(tmp_path / "ledger.parquet", index=False)
    with pytest.raises(InvalidInput) as exc:
        ledger_from_files(tmp_path)
    assert field in [p.field for p in exc.value.problems]


def test_missing_folder_and_no_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as exc:
        ledger_from_files(tmp_path / "nope")
    assert exc.value.problems[0].field == "from_parquet"
    with pytest.raises(InvalidInput) as exc:
        ledger_from_files(tmp_path)
    assert exc.value.problems[0].field == "from_parquet"


def test_cli_dask_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``monitors run --engine dask`` stores what the in-process engine would; bad options name
    themselves; ``--from-parquet`` reads files into the same alert table."""
    from typer.testing import CliRunner

    from finguard.app.platform import Platform
    from finguard.core.settings import Settings
    from finguard.monitors.cli import app

    monkeypatch.setenv("FINGUARD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("FINGUARD_DEMO_ON_FIRST_START", "false")
    monkeypatch.setenv("FINGUARD_INDEX_DIR", str(tmp_path / "index"))
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(json.dumps({"stack": {"min_hops": 2}, "fan_in": {"min_counterparties": 4}}), encoding="utf-8")
    monkeypatch.setenv("FINGUARD_MONITOR_THRESHOLDS", str(thresholds))
    with Platform(Settings(), follow=False) as p:
        frame = stored_ledger(p.engine)
        want = len(run_monitors(frame, p.monitor_config).alerts)
    runner = CliRunner()
    res = runner.invoke(app, ["run", "--engine", "dask", "--workers", "2"])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert f"{len(frame['id']):,} transfers on 2 worker(s)" in flat and f"{want} new alert(s) stored" in flat
    assert want > 0
    flat = " ".join(runner.invoke(app, ["run"]).output.split())
    assert "0 new alert(s) stored" in flat  # the in-process pass finds them all stored
    for args, field in [
        (["--engine", "spark"], "engine"),
        (["--engine", "dask", "--workers", "0"], "workers"),
        (["--engine", "dask", "--partitions", "0"], "partitions"),
        (["--engine", "dask", "--incremental"], "incremental"),
        (["--engine", "dask", "--since", "2024-01-01"], "since"),
        (["--from-parquet", str(tmp_path)], "from_parquet"),
        (["--engine", "dask", "--from-parquet", str(tmp_path / "nope")], "from_parquet"),
    ]:
        bad = runner.invoke(app, ["run", *args])
        assert bad.exit_code == 2 and field in bad.output, (args, bad.output)
    files = tmp_path / "files"
    files.mkdir()
    ff, _ = file_frame()
    ff.assign(src=ff["src"] + "x", dst=ff["dst"] + "x").to_parquet(files / "ledger.parquet", index=False)
    res = runner.invoke(app, ["run", "--engine", "dask", "--workers", "1", "--from-parquet", str(files)])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.output.split())
    assert f"{want} new alert(s) stored" in flat and "cursor at" not in flat  # the store's cursors stay
