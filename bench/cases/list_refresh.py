"""Issue #13 bench: the list_refresh robot over the shipped OFAC SDN (legacy CSV, ~9,000 records
with aliases and addresses) and UN consolidated (XML, ~1,000 records) files, served from a local
HTTP server (a thread with http.server), on SQLite or PostgreSQL.

    nice -n 19 .venv/bin/python bench/cases/list_refresh.py [--db sqlite|postgres]

Three runs, one after the other, in this process: ``first`` (both lists empty: every record
added), ``unchanged`` (the server answers 304 to the conditional requests: nothing parsed or
applied), ``changed`` (the UN file with one record gone and one renamed: a diff of 1 delisted, 1
changed). Baseline in the same run: the plain sync import of the same files from disk
(``Platform.import_file``) into two other lists, which is what the robot does after the fetch.
Wall and CPU time per run; writes ``bench/results/issue13_list_refresh_<db>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from finguard.app.platform import DATA, Platform
from finguard.core.clock import utcnow
from finguard.core.settings import Settings
from finguard.lists.service.importing import SourceFormat
from finguard.robots.model import LIST_REFRESH, parse_sources

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def serve(files: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files[self.path]
            etag = f'"{hash(body) & 0xFFFFFFFF:08x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", format_datetime(utcnow(), usegmt=True))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_a: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def timed(fn: Any) -> tuple[Any, float, float]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = ap.parse_args()
    files = {f"/ofac/{n}.csv": (DATA / "ofac-sdn" / f"{n}.csv").read_bytes() for n in ("sdn", "alt", "add")}
    files["/un.xml"] = (DATA / "un-consolidated.xml").read_bytes()
    httpd = serve(files)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    sources = {"ofac-sdn": {"url": f"{base}/ofac/sdn.csv", "format": "ofac", "alt_url": f"{base}/ofac/alt.csv",
                            "add_url": f"{base}/ofac/add.csv"},
               "un-sc": {"url": f"{base}/un.xml", "format": "un"}}
    parse_sources(sources, tuple(SourceFormat))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as home:
        schema = None
        if args.db == "sqlite":
            url = f"sqlite:///{home}/bench.db"
        else:
            schema = f"b_{uuid.uuid4().hex[:10]}"
            with create_engine(PG).begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = f"{PG}?options=-csearch_path%3D{schema}"
        try:
            settings = Settings(database_url=url, home=Path(home), demo_on_first_start=False, delta_screening=False,
                                list_sources=sources)
            with Platform(settings, follow=False) as p:
                for code in ("ofac-sdn", "un-sc", "ofac-base", "un-base"):
                    p.lists.create_list(code, code, "sanctions", "bench", "critical")
                for name in ("first", "unchanged"):
                    run, wall, cpu = timed(lambda: p.robots.runner.run(LIST_REFRESH, actor="os:bench"))
                    assert run.outcome.value == "ok", run.message
                    rows.append({"run": name, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                                 **{k: run.counts[k] for k in ("applied", "unchanged", "added", "changed", "delisted")}})
                un = files["/un.xml"].decode()
                start = un.index("<INDIVIDUAL>")
                end = un.index("</INDIVIDUAL>", start) + len("</INDIVIDUAL>")
                # the first record removed, the next one's second name changed
                un = un[:start] + un[end:]
                files["/un.xml"] = un.replace("<SECOND_NAME>", "<SECOND_NAME>X", 1).encode()
                run, wall, cpu = timed(lambda: p.robots.runner.run(LIST_REFRESH, actor="os:bench"))
                assert run.outcome.value == "ok", run.message
                rows.append({"run": "changed (UN)", "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                             **{k: run.counts[k] for k in ("applied", "unchanged", "added", "changed", "delisted")}})
                _, wall, cpu = timed(lambda: (p.import_file("ofac-base", "ofac", DATA / "ofac-sdn" / "sdn.csv", actor="bench"),
                                              p.import_file("un-base", "un", DATA / "un-consolidated.xml", actor="bench")))
                rows.append({"run": "baseline: import_file of both from disk", "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)})
        finally:
            httpd.shutdown()
            if schema:
                with create_engine(PG).begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    load = os.getloadavg()
    result = {"db": args.db, "load_avg": [round(x, 2) for x in load], "cores": os.cpu_count(), "python": sys.version.split()[0],
              "rows": rows}
    out = Path(__file__).parents[1] / "results" / f"issue13_list_refresh_{args.db}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"db={args.db} load={load[0]:.1f} cores={os.cpu_count()}")
    print(f"{'run':45} {'wall s':>7} {'CPU s':>7}  counts")
    for r in rows:
        counts = {k: v for k, v in r.items() if k not in ("run", "wall_s", "cpu_s")}
        print(f"{r['run']:45} {r['wall_s']:7.2f} {r['cpu_s']:7.2f}  {counts}")


if __name__ == "__main__":
    main()
