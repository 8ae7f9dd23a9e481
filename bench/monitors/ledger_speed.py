"""Issue #5 bench: the monitors' pass *from the ledger* (SQLite and PostgreSQL) at 10 M transfers.

    .venv/bin/python bench/monitors/ledger_speed.py                        # SQLite and PostgreSQL, 10 M
    .venv/bin/python bench/monitors/ledger_speed.py --db sqlite --transfers 1000000

Builds (once; reused while its ``.done`` marker matches) a ledger through the real migrations,
then bulk-loads synthetic heavy-tailed traffic like the speed part of ``run.py``
(``data.background``: ~500 k accounts, Zipf-like senders and receivers, per-account log-normal
amounts, 30 days), in time order: SQLite with the DB-API ``executemany`` in one transaction,
PostgreSQL with ``COPY``, the secondary indexes dropped during the load and rebuilt after. The
bulk load writes the same columns ``ledger_repo.insert_transfers`` fills (account codes, epoch
seconds); the 10,000 appended transfers go through the real ``SqlLedgerStore.write``.

Each figure is measured in a fresh process (``--child``), its peak RSS included:

* ``read``: ``transfers_frame`` over the whole ledger (cold for the process; the OS page cache
  is whatever the build or the previous step left, as on a server);
* ``pass``: ``monitor_ledger`` with the eight monitors at default thresholds: the read, the
  monitors, and storing the alerts, timed apart;
* ``incremental``: append 10,000 transfers, then ``monitor_ledger_incremental`` (reads the
  ledger, runs ``run_incremental`` over the new rows, stores alerts and moves the cursor);
* ``mirror``: a long-running process: the ledger mirror loaded once, 10,000 transfers
  appended, ``refresh`` (reads only the new rows) and the incremental run from the mirror.

Prints a table and writes ``bench/results/issue5_ledger_speed.json`` with the load average
before and after every step. Working files live in ``bench/work/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data import background  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from finguard.core.db import make_engine, upgrade  # noqa: E402
from finguard.ledger.model import TransferDraft  # noqa: E402
from finguard.ledger.store.mirror import LedgerMirror  # noqa: E402
from finguard.ledger.store.repo import SqlLedgerStore, transfers_frame  # noqa: E402
from finguard.monitors.model import MonitorConfig, Typology  # noqa: E402
from finguard.monitors.service import monitor_ledger, monitor_ledger_incremental  # noqa: E402
from finguard.monitors.store import SqlMonitorStore  # noqa: E402

REPO = HERE.parents[1]
WORK = REPO / "bench" / "work"
RESULTS = REPO / "bench" / "results"
PG_URL = os.environ.get("FINGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = 1_704_067_200  # 2024-01-01 UTC
NOW = datetime(2024, 3, 1, tzinfo=UTC)
DAYS = 30
APPEND = 10_000
BATCH = 200_000
SECONDARY = {
    "ux_transfer_source_external": "CREATE UNIQUE INDEX ux_transfer_source_external ON transfer (source, external_id)",
    "ix_transfer_src_at": "CREATE INDEX ix_transfer_src_at ON transfer (src_account, at)",
    "ix_transfer_dst_at": "CREATE INDEX ix_transfer_dst_at ON transfer (dst_account, at)",
}
console = Console(stderr=True)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def names(n_accounts: int) -> np.ndarray:
    return np.asarray([f"A{i:07d}" for i in range(n_accounts)], dtype=object)


def traffic(n: int, n_accounts: int) -> dict[str, np.ndarray]:
    """``n`` transfers over ``DAYS`` days and ``2 * APPEND`` more after them (the same traffic
    going on), in time order."""
    total = n + 2 * APPEND
    return background(n_accounts, total, START, DAYS * total / n)


# --- building ---------------------------------------------------------------------------------


def db_url(db: str, n: int) -> str:
    if db == "sqlite":
        return f"sqlite:///{WORK / f'ledger-speed-{n}.db'}"
    return f"{PG_URL}?options=-csearch_path%3Dbench_ledger_{n}"


def marker(db: str, n: int) -> Path:
    return WORK / f"ledger-speed-{db}-{n}.done"


def build(db: str, n: int, n_accounts: int) -> dict[str, Any]:
    """Create the ledger and bulk-load ``n`` transfers; reused while the marker matches."""
    done = marker(db, n)
    want = {"transfers": n, "accounts": n_accounts, "days": DAYS, "version": 2}
    if done.exists() and (WORK / f"ledger-speed-append-{n}.npz").exists():
        info = json.loads(done.read_text())
        if {k: info.get(k) for k in want} == want:
            return info
    done.unlink(missing_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if db == "sqlite":
        path = WORK / f"ledger-speed-{n}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS bench_ledger_{n} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA bench_ledger_{n}"))
        admin.dispose()
    engine = make_engine(db_url(db, n))
    upgrade(engine)
    engine.dispose()
    everything = traffic(n, n_accounts)
    cols = {k: v[:n] for k, v in everything.items()}
    np.savez(WORK / f"ledger-speed-append-{n}.npz", accounts=n_accounts, **{k: v[n:] for k, v in everything.items()})
    accounts = names(n_accounts)
    if db == "sqlite":
        _load_sqlite(WORK / f"ledger-speed-{n}.db", cols, accounts)
    else:
        _load_postgres(n, cols, accounts)
    info = {**want, "load_average_after": load(), "build_seconds": round(time.perf_counter() - started, 1)}
    done.write_text(json.dumps(info))
    return info


def _at_text(ts: np.ndarray, zone: str) -> list[str]:
    text_ = np.char.replace(np.datetime_as_string(ts.astype("datetime64[s]"), unit="s"), "T", " ")
    return np.char.add(text_, zone).tolist()


def _load_sqlite(path: Path, cols: dict[str, np.ndarray], accounts: np.ndarray) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    con.execute("BEGIN IMMEDIATE")
    for index in SECONDARY:
        con.execute(f"DROP INDEX IF EXISTS {index}")
    # Account i has code i + 1 (codes start at 1, like the autoincrement they stand in for).
    con.executemany("INSERT INTO ledger_account_code (code, account) VALUES (?, ?)", enumerate(accounts.tolist(), start=1))
    con.executemany("INSERT INTO ledger_account (account, kind) VALUES (?, 'customer')", ((a,) for a in accounts.tolist()))
    n = len(cols["src"])
    for start in range(0, n, BATCH):
        end = min(start + BATCH, n)
        src, dst = cols["src"][start:end], cols["dst"][start:end]
        ts = cols["ts"][start:end]
        ids = np.arange(start + 1, end + 1)
        rows = zip(
            ids.tolist(),
            ids.astype(str).tolist(),
            accounts[src].tolist(),
            accounts[dst].tolist(),
            cols["amount_fen"][start:end].tolist(),
            _at_text(ts, ".000000"),
            (src + 1).tolist(),
            (dst + 1).tolist(),
            ts.tolist(),
            strict=True,
        )
        con.executemany(
            "INSERT INTO transfer (id, external_id, source, src_account, dst_account, amount_fen, currency, at, src, dst, ts) "
            "VALUES (?, ?, 'bench', ?, ?, ?, 'CNY', ?, ?, ?, ?)",
            rows,
        )
        console.print(f"  {end:,} / {n:,} transfers", end="\r")
    console.print("\n  building indexes")
    for sql in SECONDARY.values():
        con.execute(sql)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()


def _load_postgres(n_rows: int, cols: dict[str, np.ndarray], accounts: np.ndarray) -> None:
    import psycopg

    conninfo = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    schema = f"bench_ledger_{n_rows}"
    with psycopg.connect(conninfo, options=f"-csearch_path={schema}") as con:
        for index in SECONDARY:
            con.execute(f"DROP INDEX IF EXISTS {index}")
        with con.cursor().copy("COPY ledger_account_code (code, account) FROM STDIN") as copy:
            copy.write("".join(f"{i}\t{a}\n" for i, a in enumerate(accounts.tolist(), start=1)))
        with con.cursor().copy("COPY ledger_account (account, kind) FROM STDIN") as copy:
            copy.write("".join(f"{a}\tcustomer\n" for a in accounts.tolist()))
        n = len(cols["src"])
        columns = "id, external_id, source, src_account, dst_account, amount_fen, currency, at, src, dst, ts"
        with con.cursor().copy(f"COPY transfer ({columns}) FROM STDIN") as copy:
            for start in range(0, n, BATCH):
                end = min(start + BATCH, n)
                src, dst, ts = cols["src"][start:end], cols["dst"][start:end], cols["ts"][start:end]
                ids = range(start + 1, end + 1)
                lines = zip(
                    ids,
                    accounts[src].tolist(),
                    accounts[dst].tolist(),
                    cols["amount_fen"][start:end].tolist(),
                    _at_text(ts, "+00"),
                    (src + 1).tolist(),
                    (dst + 1).tolist(),
                    ts.tolist(),
                    strict=True,
                )
                copy.write("".join(f"{i}\t{i}\tbench\t{s}\t{d}\t{a}\tCNY\t{at}\t{sc}\t{dc}\t{t}\n" for i, s, d, a, at, sc, dc, t in lines))
                console.print(f"  {end:,} / {n:,} transfers", end="\r")
        console.print("\n  building indexes")
        for sql in SECONDARY.values():
            con.execute(sql)
        con.execute("SELECT setval(pg_get_serial_sequence('transfer', 'id'), %s)", (n,))
        con.execute("SELECT setval(pg_get_serial_sequence('ledger_account_code', 'code'), %s)", (len(accounts),))
        con.commit()
    with psycopg.connect(conninfo, options=f"-csearch_path={schema}", autocommit=True) as con:
        con.execute("VACUUM ANALYZE transfer")
        con.execute("VACUUM ANALYZE ledger_account_code")


# --- measuring (each in a fresh process) ------------------------------------------------------


class TimedStore:
    """The real SqlMonitorStore, timing its reads and its save."""

    def __init__(self, store: SqlMonitorStore) -> None:
        self.store = store
        self.read_seconds = 0.0
        self.save_seconds = 0.0

    def transfers(self, since: datetime | None, until: datetime | None) -> Any:
        t0 = time.perf_counter()
        try:
            return self.store.transfers(since, until)
        finally:
            self.read_seconds += time.perf_counter() - t0

    def cursors(self, typologies: frozenset[Typology]) -> dict[Typology, int]:
        return self.store.cursors(typologies)

    def latest_id(self) -> int:
        return self.store.latest_id()

    def save(self, run: Any, config: MonitorConfig, now: datetime, cursors: Any = None) -> list[int]:
        t0 = time.perf_counter()
        try:
            return self.store.save(run, config, now, cursors)
        finally:
            self.save_seconds += time.perf_counter() - t0


def timed_run(store: TimedStore, incremental: bool) -> dict[str, Any]:
    t0 = time.perf_counter()
    if incremental:
        result = monitor_ledger_incremental(store, NOW, MonitorConfig())
    else:
        result = monitor_ledger(store, NOW, MonitorConfig())
    total = time.perf_counter() - t0
    return {
        "transfers_evaluated": result.run.transfers,
        "read_seconds": store.read_seconds,
        "monitor_seconds": total - store.read_seconds - store.save_seconds,
        "save_seconds": store.save_seconds,
        "total_seconds": total,
        "per_step_seconds": {k: round(v, 2) for k, v in result.run.seconds.items()},
        "alerts": result.run.counts(),
        "new_alerts": len(result.alert_ids),
        "cursor": [result.cursor_from, result.cursor_to],
    }


def append_drafts(n: int, batch: int) -> list[TransferDraft]:
    """Batch ``batch`` (0 or 1) of the traffic generated after the ledger's ``n`` transfers."""
    data = np.load(WORK / f"ledger-speed-append-{n}.npz", allow_pickle=False)
    rows = slice(batch * APPEND, (batch + 1) * APPEND)
    accounts = names(int(data["accounts"]))
    return [
        TransferDraft(
            external_id=f"append-{batch}-{i}",
            src_account=str(accounts[s]),
            dst_account=str(accounts[d]),
            amount_fen=int(a),
            currency="CNY",
            at=datetime.fromtimestamp(int(t), UTC),
        )
        for i, (s, d, a, t) in enumerate(zip(data["src"][rows], data["dst"][rows], data["amount_fen"][rows], data["ts"][rows], strict=True))
    ]


def child(step: str, url: str, n: int) -> dict[str, Any]:
    engine = make_engine(url)
    out: dict[str, Any] = {"step": step}
    if step == "read":
        t0 = time.perf_counter()
        frame = transfers_frame(engine)
        out.update(seconds=time.perf_counter() - t0, transfers=len(frame["id"]), accounts=len(frame["accounts"]))
    elif step == "pass":
        out.update(timed_run(TimedStore(SqlMonitorStore(engine)), incremental=False))
    elif step == "incremental":
        drafts = append_drafts(n, 0)
        t0 = time.perf_counter()
        SqlLedgerStore(engine).write("bench-append", drafts, [], None)
        out["append_seconds"] = time.perf_counter() - t0
        out["appended"] = len(drafts)
        out.update(timed_run(TimedStore(SqlMonitorStore(engine)), incremental=True))
    elif step == "mirror":
        mirror = LedgerMirror(engine, 50_000_000)
        t0 = time.perf_counter()
        mirror.refresh()
        out["load_seconds"] = time.perf_counter() - t0
        out["rss_after_load_mb"] = rss_mb()
        drafts = append_drafts(n, 1)
        SqlLedgerStore(engine).write("bench-append", drafts, [], None)
        t0 = time.perf_counter()
        out["refreshed"] = mirror.refresh()
        out["refresh_seconds"] = time.perf_counter() - t0
        out.update(timed_run(TimedStore(SqlMonitorStore(engine, mirror)), incremental=True))
        t0 = time.perf_counter()
        mirror.refresh()
        out["refresh_nothing_new_seconds"] = time.perf_counter() - t0
        out["mirror_bytes"] = mirror.state().bytes
    engine.dispose()
    out["peak_rss_mb"] = rss_mb()
    return out


def reset(url: str) -> None:
    """Back to the built ledger: no appended transfers, no monitor alerts, no cursors."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM transfer WHERE source = 'bench-append'"))
        conn.execute(text("DELETE FROM alert WHERE kind LIKE 'aml%'"))
        conn.execute(text("DELETE FROM job_cursor WHERE name LIKE 'monitors.%'"))
    engine.dispose()


def measure(db: str, n: int) -> dict[str, Any]:
    url = db_url(db, n)
    reset(url)
    steps: dict[str, Any] = {}
    for step in ("read", "pass", "incremental", "mirror"):
        before = load()
        console.print(f"  {step} (load average {before})")
        proc = subprocess.run(
            [sys.executable, __file__, "--child", step, "--url", url, "--transfers", str(n)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "OMP_NUM_THREADS": "2"},
        )
        if proc.returncode:
            raise SystemExit(f"{step} failed:\n{proc.stderr}")
        steps[step] = {**json.loads(proc.stdout.strip().splitlines()[-1]), "load_average_before": before, "load_average_after": load()}
    reset(url)
    return steps


def report(results: dict[str, Any]) -> None:
    for db, r in results["databases"].items():
        s = r["steps"]
        t = Table(title=f"{db}: {r['transfers']:,} transfers, {r['accounts']:,} accounts, 2 cores")
        for c in ("figure", "target", "measured", "met"):
            t.add_column(c)
        p = s["pass"]
        pass_s = p["read_seconds"] + p["monitor_seconds"]
        t.add_row("read into columns (fresh process)", "", f"{s['read']['seconds']:.1f} s", "")
        t.add_row("one monitor pass from the ledger (read + 8 monitors)", "<= 120 s", f"{pass_s:.1f} s", "yes" if pass_s <= 120 else "no")
        t.add_row("  of which read / monitors", "", f"{p['read_seconds']:.1f} s / {p['monitor_seconds']:.1f} s", "")
        t.add_row(f"  then storing {p['new_alerts']:,} alerts", "", f"{p['save_seconds']:.1f} s", "")
        peak = p["peak_rss_mb"] / 1024
        t.add_row("peak RSS of the pass", "<= 4 GB", f"{peak:.2f} GB", "yes" if peak <= 4 else "no")
        i = s["incremental"]
        t.add_row(f"append {i['appended']:,} transfers (SqlLedgerStore.write)", "", f"{i['append_seconds']:.1f} s", "")
        t.add_row(
            "incremental run after them (fresh process: read + run + save)",
            "",
            f"{i['total_seconds']:.1f} s (read {i['read_seconds']:.1f}, run {i['monitor_seconds']:.1f})",
            "",
        )
        m = s["mirror"]
        t.add_row("mirror: first load", "", f"{m['load_seconds']:.1f} s", "")
        t.add_row(f"mirror: refresh after {m['refreshed']:,} new transfers", "", f"{m['refresh_seconds']:.2f} s", "")
        t.add_row("incremental run from the mirror (refresh + run + save)", "", f"{m['total_seconds']:.1f} s", "")
        t.add_row("peak RSS, long-running process with the mirror", "<= 4 GB", f"{m['peak_rss_mb'] / 1024:.2f} GB", "")
        Console(width=150).print(t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--transfers", type=int, default=10_000_000)
    ap.add_argument("--pg-transfers", type=int, default=0, help="PostgreSQL ledger size (default: --transfers)")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    ap.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.url, args.transfers)))
        return
    results: dict[str, Any] = {"cores": os.cpu_count(), "databases": {}}
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        n = (args.pg_transfers or args.transfers) if db == "postgres" else args.transfers
        accounts = n // 20
        console.print(f"[bold]{db}[/]: a ledger of {n:,} transfers, {accounts:,} accounts")
        info = build(db, n, accounts)
        if args.build_only:
            continue
        results["databases"][db] = {**info, "steps": measure(db, n)}
    if args.build_only:
        return
    report(results)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "issue5_ledger_speed.json"
    out.write_text(json.dumps(results, indent=2))
    console.print(f"wrote {out}")


if __name__ == "__main__":
    main()
