"""Issue #19 bench: the batch monitors in process vs on Dask (1 and 2 worker processes).

    .venv/bin/python bench/monitors/dask_engine.py                      # 1,000,000 transfers
    .venv/bin/python bench/monitors/dask_engine.py --transfers 200000   # a quicker look

The ledger is the speed bench's own generator (``data.background``: heavy-tailed senders and
receivers, per-account log-normal amounts), ``--transfers`` rows over 90 days among
``transfers / 20`` accounts, so the default thresholds' 56-day first-contact lookback has
history. The thresholds are the documented defaults (``model.default_config``), all ten
typologies. Nothing here was tuned: one run of each.

Each engine runs once over the same columns, in this order:

* ``inprocess``: ``run_monitors`` (one process, one core);
* ``dask-1`` / ``dask-2``: ``run_monitors_dask`` on a ``distributed.LocalCluster`` of 1 / 2
  worker processes (one thread each), 4 account buckets per worker, the ledger handed over in
  8 partitions (from memory: the figure is the engine's, not a store's read); the cluster's
  start-up is timed apart;
* ``dask-2-parquet``: the same from 8 Parquet files written beforehand (``ledger_from_files``:
  reading, checking and coding the account ids included).

Each Dask run's alerts are compared with the in-process run's (typology, subject, members,
transfers, times, totals, measure): ``identical``. ``uptime``'s load average is recorded before
and after every run (the machine is shared). Writes ``bench/results/issue19_dask_monitors.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO / "src"), str(HERE)]

from data import background  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from finguard.monitors.model import PatternAlert, default_config  # noqa: E402
from finguard.monitors.service import run_monitors  # noqa: E402
from finguard.monitors.service.engine import ledger_from_columns, run_monitors_dask  # noqa: E402
from finguard.monitors.store import ledger_from_files  # noqa: E402

START = 1_704_067_200  # 2024-01-01 UTC
DAYS = 90
WORK = REPO / "bench" / "work" / "dask_engine"
OUT = REPO / "bench" / "results" / os.environ.get("BENCH_OUT", "issue19_dask_monitors.json")


def cpu_now() -> float:
    """This process's CPU seconds (user + system): a figure the shared machine's load stretches
    less than wall time (time slices go to other processes; cache contention remains)."""
    t = psutil.Process().cpu_times()
    return float(t.user + t.system)


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def shapes(alerts: list[PatternAlert], accounts: Any, ids: np.ndarray | None) -> list[tuple[Any, ...]]:
    out = []
    for a in alerts:
        rows = [int(ids[e.row]) if ids is not None else e.row for e in a.edges]
        edges = tuple(sorted((r, str(accounts[e.src]), str(accounts[e.dst]), e.ts) for r, e in zip(rows, a.edges, strict=True)))
        out.append((a.typology.value, str(accounts[a.subject]), edges, a.start, a.end, a.total_fen, a.measure))
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transfers", type=int, default=1_000_000)
    args = ap.parse_args()
    n = args.transfers
    cols = background(n // 20, n, START, DAYS)
    order = np.lexsort((np.arange(n), cols["ts"]))
    cols = {k: np.asarray(v)[order] for k, v in cols.items()}
    cols["accounts"] = np.asarray([f"A{i:07d}" for i in range(n // 20)], dtype=object)
    cols["id"] = np.arange(1, n + 1, dtype=np.int64)
    config = default_config()
    results: dict[str, Any] = {"transfers": n, "accounts": len(cols["accounts"]), "days": DAYS, "cores": os.cpu_count(), "runs": {}}

    before = uptime()
    t, cpu = time.perf_counter(), cpu_now()
    base = run_monitors(cols, config)
    results["runs"]["inprocess"] = {
        "seconds": round(time.perf_counter() - t, 2),
        "cpu_seconds": round(cpu_now() - cpu, 2),
        "alerts": len(base.alerts),
        "counts": base.counts(),
        "uptime_before": before,
        "uptime_after": uptime(),
        "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print("inprocess", results["runs"]["inprocess"], flush=True)
    want = shapes(base.alerts, base.accounts, cols["id"])

    WORK.mkdir(parents=True, exist_ok=True)
    accounts = np.asarray(cols["accounts"], dtype=object)
    src, dst = accounts[cols["src"]].astype(str), accounts[cols["dst"]].astype(str)
    frame = pd.DataFrame({"id": cols["id"], "src": src, "dst": dst, "amount_fen": cols["amount_fen"], "ts": cols["ts"]})
    for old in WORK.glob("*.parquet"):
        old.unlink()
    for i, part in enumerate(np.array_split(np.arange(n), 8)):
        frame.iloc[part].to_parquet(WORK / f"part{i}.parquet", index=False)
    del frame

    for name, workers, files in [("dask-1", 1, False), ("dask-2", 2, False), ("dask-2-parquet", 2, True)]:
        before = uptime()
        t = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        with cluster, Client(cluster) as client:
            started = time.perf_counter() - t
            workers_cpu, driver_cpu = client.run(cpu_now), cpu_now()
            t = time.perf_counter()
            ledger = ledger_from_files(WORK) if files else ledger_from_columns(cols, 8)
            run = run_monitors_dask(ledger, config, buckets=4 * workers)
            seconds = time.perf_counter() - t
            after = client.run(cpu_now)
            cpu = sum(after[w] - workers_cpu[w] for w in after) + cpu_now() - driver_cpu
        got = shapes(run.alerts, run.accounts, None)
        results["runs"][name] = {
            "workers": workers,
            "buckets": 4 * workers,
            "input": "8 Parquet files" if files else "8 in-memory partitions",
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "cpu_note": "workers' CPU plus the driver's (the scheduler runs in the driver)",
            "cluster_start_seconds": round(started, 2),
            "stages": {k: round(v, 2) for k, v in run.seconds.items()},
            "alerts": len(run.alerts),
            "identical": got == want,
            "uptime_before": before,
            "uptime_after": uptime(),
        }
        print(name, results["runs"][name], flush=True)
    OUT.write_text(json.dumps(results, indent=2))
    print(f"{'engine':<16}{'seconds':>9}{'cpu s':>8}{'rows/cpu s':>12}{'alerts':>8}  identical  load (1 min) before/after")
    for name, r in results["runs"].items():
        la = [x.split("load average:")[1].split(",")[0].strip() for x in (r["uptime_before"], r["uptime_after"])]
        rate = n / r["cpu_seconds"]
        r["rows_per_cpu_second"] = round(rate)
        same = str(r.get("identical", "-"))
        print(f"{name:<16}{r['seconds']:>9}{r['cpu_seconds']:>8}{rate:>12,.0f}{r['alerts']:>8}  {same:<9}  {la[0]} / {la[1]}")
    OUT.write_text(json.dumps(results, indent=2))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
