"""Bulk list load on PostgreSQL and SQLite (issue #19): ``bulk_load`` of N synthetic entries.

    .venv/bin/python bench/lists/bulk_pg.py --entries 100000 --db postgres
    .venv/bin/python bench/lists/bulk_pg.py --entries 100000 --db sqlite

PostgreSQL gets a throw-away schema (created and dropped, `bench/pgstore.py`). Writes
``bench/results/issue19_lists_bulk_<db>_<N>[_<tag>].json``; prints seconds, the client's CPU,
entries/s and the load. On PostgreSQL also the CPU of the server backend(s) that did the load and
of the server's WAL writer, checkpointer and background writer over the load (read from
``/proc/<pid>/stat``; the server must run on this machine; those three serve every client of the
server, so they include other work running at the same time). ``--profile FILE`` writes a
cProfile of the load (``python -m pstats FILE``). ``finguard`` is imported from PYTHONPATH, so an
A/B run points PYTHONPATH at the other tree.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pgstore import BackendCpu, throwaway_store  # noqa: E402  (bench/pgstore.py)
from synth import drafts  # noqa: E402  (bench/synth.py)

import finguard  # noqa: E402
from finguard.app.platform import Platform  # noqa: E402
from finguard.core.db import make_engine  # noqa: E402
from finguard.core.settings import Settings  # noqa: E402
from finguard.lists.store.bulk import bulk_load  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--batch", type=int, default=50_000)
    ap.add_argument("--tag", default="", help="suffix of the result file's name (keeps earlier results)")
    ap.add_argument("--profile", default="", help="write a cProfile of the load to this file")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    with throwaway_store(args.db, tmp) as url:
        with Platform(Settings(database_url=url, demo_on_first_start=False, index_dir=tmp / "index"), follow=False) as p:
            p.lists.create_list("bench", "Benchmark list", "fraud_account", "bench", "critical", "synthetic identifiers")
        engine = make_engine(url)
        cpu = BackendCpu(engine)
        with engine.connect() as c:  # the pooled connection the load will use
            c.exec_driver_sql("SELECT 1")
        cpu.start()
        load0 = os.getloadavg()[0]
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        t0, c0 = time.perf_counter(), time.process_time()
        report = bulk_load(engine, "bench", drafts(args.entries, 0), "bench", batch=args.batch)
        seconds, client = time.perf_counter() - t0, time.process_time() - c0
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        server = cpu.read()
        engine.dispose()
    out: dict[str, object] = {
        "db": args.db,
        "entries": report.added,
        "seconds": round(seconds, 1),
        "client_cpu_s": round(client, 1),
        "entries_per_s": round(report.added / seconds),
        "load_1min_before_after": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "code": str(Path(finguard.__file__).parents[1]),
        **server,
    }
    print(json.dumps(out))
    name = f"issue19_lists_bulk_{args.db}_{args.entries}{'_' + args.tag if args.tag else ''}.json"
    (HERE.parent / "results" / name).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
