"""The list importer at scale on PostgreSQL and SQLite (issue #19): ``lists import`` of N rows, then a refresh.

    .venv/bin/python bench/lists/import_scale.py --entries 1000000 --db postgres
    .venv/bin/python bench/lists/import_scale.py --entries 1000000 --db sqlite

The importer is the path a list file takes (``Platform.import_file`` as a trusted feed: parse,
diff against the list's entries, apply in one transaction), not the add-only ``bulk_load``. Two
steps on a fresh store (a throw-away PostgreSQL schema or SQLite file, ``bench/pgstore.py``):

1. **first import**: a CSV of N synthetic identifiers (``bench/synth.py``) into an empty list, sync;
2. **refresh**: the next day's file, sync: 1 % of the rows gone (delisted), 1 % with a new reason
   (modified), 1 % new identifiers (added), the rest unchanged.

Prints and writes ``bench/results/issue19_lists_import_<db>_<N>[_<tag>].json``: per step the
seconds, the client's CPU seconds, rows/s, the report's counts, the PostgreSQL backends' CPU and
the load average. ``finguard`` is imported from PYTHONPATH, so an A/B run points PYTHONPATH at
the other tree.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pgstore import BackendCpu, throwaway_store  # noqa: E402  (bench/pgstore.py)
from synth import value  # noqa: E402  (bench/synth.py)

import finguard  # noqa: E402
from finguard.app.platform import Platform  # noqa: E402
from finguard.core.settings import Settings  # noqa: E402
from finguard.lists.service.importers.tabular import CSV_COLUMNS  # noqa: E402


def write_file(path: Path, n: int, day: int) -> None:
    """Day 0: identifiers 0..n-1. Day 1: every 100th row (i % 100 == 0) gone, every 100th
    (i % 100 == 1) with a new reason, and n/100 new identifiers from n on."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        blank = [""] * (len(CSV_COLUMNS) - 5)
        rows = range(n + (n // 100 if day else 0))
        for i in rows:
            if day and i < n and i % 100 == 0:
                continue
            kind, v = value(i)
            reason = "reported again" if day and i % 100 == 1 else "synthetic benchmark entry"
            w.writerow([f"{kind.value}:{v}", "identifier", kind.value, v, "", *blank[:4], reason, *blank[4:]][: len(CSV_COLUMNS)])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--tag", default="", help="suffix of the result file's name (keeps earlier results)")
    args = ap.parse_args()
    assert CSV_COLUMNS[:5] == ("key", "subject", "id_type", "id_value", "name") and CSV_COLUMNS[9] == "reason"
    tmp = Path(tempfile.mkdtemp())
    files = [tmp / "day0.csv", tmp / "day1.csv"]
    for day, f in enumerate(files):
        write_file(f, args.entries, day)
    steps: list[dict[str, object]] = []
    with throwaway_store(args.db, tmp) as url:
        settings = Settings(database_url=url, demo_on_first_start=False, index_dir=tmp / "index")
        with Platform(settings, follow=False) as p:
            cpu = BackendCpu(p.engine)
            p.engine.dispose()  # every later connection is seen by the listener
            p.lists.create_list("bench", "Benchmark list", "fraud_account", "bench", "critical", "synthetic identifiers")
            for name, f in zip(("first import", "refresh"), files, strict=True):
                load0 = os.getloadavg()[0]
                cpu.start()
                t0, c0 = time.perf_counter(), time.process_time()
                report = p.import_file("bench", "csv", f, actor="bench-feed", mode="sync")
                seconds, client = time.perf_counter() - t0, time.process_time() - c0
                step = {
                    "step": name,
                    "rows": report.rows,
                    "added": report.added,
                    "changed": report.changed,
                    "delisted": report.delisted,
                    "unchanged": report.unchanged,
                    "seconds": round(seconds, 1),
                    "client_cpu_s": round(client, 1),
                    "rows_per_s": round(report.rows / seconds),
                    **cpu.read(),
                    "load_1min_before_after": [round(load0, 2), round(os.getloadavg()[0], 2)],
                }
                steps.append(step)
                print(json.dumps(step), flush=True)
    out = {"db": args.db, "entries": args.entries, "steps": steps, "code": str(Path(finguard.__file__).parents[1])}
    name = f"issue19_lists_import_{args.db}_{args.entries}{'_' + args.tag if args.tag else ''}.json"
    (HERE.parent / "results" / name).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
