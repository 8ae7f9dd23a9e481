"""Bulk list load on PostgreSQL and SQLite (issue #19): ``bulk_load`` of N synthetic entries.

    .venv/bin/python bench/lists/bulk_pg.py --entries 100000 --db postgres
    .venv/bin/python bench/lists/bulk_pg.py --entries 100000 --db sqlite

PostgreSQL gets a throw-away schema (created and dropped). Writes
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
import uuid
from pathlib import Path

from sqlalchemy import create_engine, event, text

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from synth import drafts  # noqa: E402  (bench/synth.py)

import finguard  # noqa: E402
from finguard.app.platform import Platform  # noqa: E402
from finguard.core.db import make_engine  # noqa: E402
from finguard.core.settings import Settings  # noqa: E402
from finguard.lists.store.bulk import bulk_load  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")
AUX = ("walwriter", "checkpointer", "background writer")


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK


def aux_pids() -> dict[str, int]:
    """The PostgreSQL server's WAL writer, checkpointer and background writer, by name."""
    found: dict[str, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            for name in AUX:
                if cmd.startswith("postgres:") and cmd.replace("\x00", " ").strip().endswith(name):
                    found[name] = int(d.name)
    return found


PG_URL = os.environ.get("FINGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--batch", type=int, default=50_000)
    ap.add_argument("--tag", default="", help="suffix of the result file's name (keeps earlier results)")
    ap.add_argument("--profile", default="", help="write a cProfile of the load to this file")
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
        backends: dict[int, float] = {}  # backend pid -> its CPU when the load started
        if args.db == "postgres":

            @event.listens_for(engine, "connect")
            def _backend(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                with dbapi_conn.cursor() as cur:
                    cur.execute("SELECT pg_backend_pid()")
                    pid = int(cur.fetchone()[0])
                backends.setdefault(pid, proc_cpu(pid))

            with engine.connect() as c:  # the pooled connection the load will use
                c.execute(text("SELECT 1"))
        aux = aux_pids() if args.db == "postgres" else {}
        aux0 = {k: proc_cpu(p) for k, p in aux.items()}
        back0 = dict(backends)
        load0 = os.getloadavg()[0]
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        t0, c0 = time.perf_counter(), time.process_time()
        report = bulk_load(engine, "bench", drafts(args.entries, 0), "bench", batch=args.batch)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        server = sum(proc_cpu(p) - back0.get(p, backends[p]) for p in backends)
        aux_cpu = {k: round(proc_cpu(p) - aux0[k], 1) for k, p in aux.items()}
        engine.dispose()
        out: dict[str, object] = {
            "db": args.db, "entries": report.added, "seconds": round(seconds, 1), "client_cpu_s": round(cpu, 1),
            "entries_per_s": round(report.added / seconds), "load_1min_before_after": [round(load0, 2), round(os.getloadavg()[0], 2)],
            "code": str(Path(finguard.__file__).parents[1]),
        }
        if args.db == "postgres":
            out["server_backend_cpu_s"] = round(server, 1)
            out["server_aux_cpu_s"] = aux_cpu
        print(json.dumps(out))
        name = f"issue19_lists_bulk_{args.db}_{args.entries}{'_' + args.tag if args.tag else ''}.json"
        (HERE.parent / "results" / name).write_text(json.dumps(out, indent=1) + "\n")
    finally:
        if args.db == "postgres":
            with admin.connect() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
