"""Issue #13 bench (second part): evidence attachments, the XLSX export and the dashboard's
30-day charts, on SQLite (default) or PostgreSQL.

    .venv/bin/python bench/cases/evidence_export_bench.py                      # 20,000 alerts, SQLite
    .venv/bin/python bench/cases/evidence_export_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/test

Inserts ``--alerts`` open alerts, adopts them, closes 3,000 low/medium cases, then times: the CSV
export of every case (the plain baseline, as before this change) beside the XLSX export of the
same rows (seconds, size, Python peak memory by tracemalloc), the dashboard (open by age and SLA,
closed per day, dispositions), and ``--files`` uploads and downloads of a 10 MB PDF (content
check, SHA-256, one transaction with the audit line; the download writes its audit line).
Writes ``bench/results/issue13_cases_evidence_<dialect>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from finguard.alerts.model.cases import CaseFilter
from finguard.alerts.provider import make_cases
from finguard.alerts.store import alert
from finguard.core.db import make_engine, upgrade

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"
SEVERITIES = ("low", "medium", "high", "critical")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=20_000)
    ap.add_argument("--files", type=int, default=3)
    ap.add_argument("--url", default="")
    args = ap.parse_args()
    work = REPO / "bench" / "work"
    work.mkdir(parents=True, exist_ok=True)
    url = args.url
    if not url:
        db = work / "cases_evidence.db"
        db.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    engine = make_engine(url)
    if not url.startswith("sqlite"):
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS case_attachment, case_event, case_item, alert CASCADE"))
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)
    start = datetime.now(UTC) - timedelta(days=10)
    with engine.begin() as conn:
        for lo in range(0, args.alerts, 10_000):
            conn.execute(alert.insert(), [
                {"kind": "aml_fan_in", "subject": f"account:62{i:010d}", "severity": SEVERITIES[i % 4], "status": "open",
                 "summary": f"=alert {i} fan-in", "details": {}, "created_at": start + timedelta(seconds=i * 40)}
                for i in range(lo, min(lo + 10_000, args.alerts))])
    service = make_cases(engine)
    service.sync()
    for severity, disposition in (("low", "false_positive"), ("medium", "duplicate"), ("low", "no_action_needed")):
        ids = [c.id for c in service.find(CaseFilter(severity=severity, limit=1000))[0]]
        service.bulk_close(ids, "bench", disposition, "bench")
    rows: list[dict[str, Any]] = []

    def timed(step: str, fn, note=lambda r: "", memory: bool = False) -> Any:  # type: ignore[no-untyped-def]
        """Wall and CPU seconds of one run; with ``memory``, a second run under tracemalloc for the
        Python peak (tracemalloc slows allocation-heavy code, so it never shares the timed run)."""
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = None
        if memory:
            tracemalloc.start()
            fn()
            peak = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
            tracemalloc.stop()
        rows.append({"step": step, "seconds": round(secs, 4), "cpu_seconds": round(cpu, 4), "peak_mb": peak,
                     "result": str(note(result))})
        return result

    every = CaseFilter(state="all")
    timed("baseline: CSV export, every case", lambda: sum(len(c) for c in service.export_csv(every)),
          lambda n: f"{n / 1e6:.1f} MB text", memory=True)
    timed("XLSX export, every case", lambda: service.export_xlsx(every), lambda b: f"{len(b) / 1e6:.1f} MB", memory=True)
    timed("dashboard (age x SLA, 30 days closed, dispositions)", service.dashboard,
          lambda b: f"{b.total} open, {sum(n for _, n in b.closed_per_day)} closed, {len(b.dispositions)} dispositions")
    pdf = b"%PDF-1.7\n" + os.urandom(10 * 1024 * 1024 - 9)
    case_id = service.find(CaseFilter())[0][0].id
    ups = [timed(f"attach 10 MB PDF #{i + 1}", lambda: service.attach(case_id, "user:bench", "statement.pdf", pdf),
                 lambda a: a.sha256[:12]) for i in range(args.files)]
    for i, att in enumerate(ups):
        timed(f"download 10 MB PDF #{i + 1}", lambda a=att: service.download(case_id, a.id, "user:bench"),
              lambda r: f"{len(r[1]) / 1e6:.1f} MB")
    engine.dispose()

    dialect = url.split(":")[0].split("+")[0]
    load = os.getloadavg()
    table = Table(title=f"cases: exports, dashboard, evidence; {args.alerts:,} alerts, {dialect}; load {load[0]:.2f}")
    for col in ("step", "wall s", "CPU s", "peak MB (Python)", "result"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["step"], f"{r['seconds']:.3f}", f"{r['cpu_seconds']:.3f}", "" if r["peak_mb"] is None else f"{r['peak_mb']:.1f}",
                      r["result"])
    Console().print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"alerts": args.alerts, "database": dialect, "loadavg_1_5_15": [round(x, 2) for x in load], "steps": rows}
    (RESULTS / f"issue13_cases_evidence_{dialect}.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
