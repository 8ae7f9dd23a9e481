"""Bulk list load on PostgreSQL and SQLite (issue #19): ``bulk_load`` of N synthetic entries.

    .venv/bin/python bench/lists/bulk_pg.py --entries 100000 --db postgres
    .venv/bin/python bench/lists/bulk_pg.py --entries 100000 --db sqlite

PostgreSQL gets a throw-away schema (created and dropped). Writes
``bench/results/issue19_lists_bulk_<db>_<N>.json``; prints seconds, entries/s and the load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from synth import drafts  # noqa: E402  (bench/synth.py)

from finguard.app.platform import Platform  # noqa: E402
from finguard.core.db import make_engine  # noqa: E402
from finguard.core.settings import Settings  # noqa: E402
from finguard.lists.store.bulk import bulk_load  # noqa: E402

PG_URL = os.environ.get("FINGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--batch", type=int, default=50_000)
    args = ap.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp())
    if args.db == "postgres":
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    else:
        url = f"sqlite:///{tmp / 'bulk.db'}"
    try:
        with Platform(Settings(database_url=url, demo_on_first_start=False, index_dir=tmp / "index"), follow=False) as p:
            p.lists.create_list("bench", "Benchmark list", "fraud_account", "bench", "critical", "synthetic identifiers")
        engine = make_engine(url)
        load0 = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), time.process_time()
        report = bulk_load(engine, "bench", drafts(args.entries, 0), "bench", batch=args.batch)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        engine.dispose()
        out = {
            "db": args.db, "entries": report.added, "seconds": round(seconds, 1), "client_cpu_s": round(cpu, 1),
            "entries_per_s": round(report.added / seconds), "load_1min_before_after": [round(load0, 2), round(os.getloadavg()[0], 2)],
        }
        print(json.dumps(out))
        (HERE.parent / "results" / f"issue19_lists_bulk_{args.db}_{args.entries}.json").write_text(json.dumps(out, indent=1) + "\n")
    finally:
        if args.db == "postgres":
            with admin.connect() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
