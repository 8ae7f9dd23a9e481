"""Issue #13 bench: the case engine over a pile of alerts, on SQLite (default) or PostgreSQL.

    .venv/bin/python bench/cases/queue_bench.py                    # 50,000 alerts, SQLite
    .venv/bin/python bench/cases/queue_bench.py --alerts 200000 --url postgresql+psycopg://postgres@127.0.0.1:5432/test

Inserts ``--alerts`` open alerts straight into the ``alert`` table (as screening, the guard and
the monitors do), then times: the first ``sync`` (adopting every alert as a case, with its audit
line), a second ``sync`` (nothing to do: the cost every read pays), the first page of the open
queue, a text search, the dashboard counts, a bulk close of 1,000 cases and the CSV export.
The plain baseline is a bare ``SELECT count(*)`` of the open alerts in the same run. Prints a
Rich table and writes ``bench/results/issue13_cases.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from finguard.alerts.model.cases import CaseFilter
from finguard.alerts.provider import make_cases
from finguard.alerts.store import alert
from finguard.core.db import make_engine, upgrade

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"
SEVERITIES = ("low", "medium", "high", "critical")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=50_000)
    ap.add_argument("--url", default="")
    args = ap.parse_args()
    work = REPO / "bench" / "work"
    work.mkdir(parents=True, exist_ok=True)
    url = args.url
    if not url:
        db = work / "cases.db"
        db.unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    engine = make_engine(url)
    upgrade(engine)
    start = datetime.now(UTC) - timedelta(days=10)
    with engine.begin() as conn:
        batch = []
        for i in range(args.alerts):
            batch.append({"kind": ("screening_hit", "aml_fan_in", "guard_block")[i % 3], "subject": f"account:62{i:010d}",
                          "severity": SEVERITIES[i % 4], "status": "open", "summary": f"alert {i} fan-in",
                          "details": {"decision_id": i}, "created_at": start + timedelta(seconds=i * 17)})
            if len(batch) == 10_000:
                conn.execute(alert.insert(), batch)
                batch = []
        if batch:
            conn.execute(alert.insert(), batch)
    service = make_cases(engine)
    rows: list[tuple[str, float, str]] = []

    def timed(name: str, fn, note=lambda r: "") -> None:  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        result = fn()
        rows.append((name, time.perf_counter() - t0, str(note(result))))

    def baseline() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(alert).where(alert.c.status == "open")).scalar_one())

    timed("baseline: count open alerts", baseline, lambda n: f"{n} open")
    timed("first sync (adopt all + escalate)", service.sync, lambda r: f"adopted {r[0]}, escalated {r[1]}")
    timed("second sync (nothing new)", service.sync, lambda r: f"adopted {r[0]}, escalated {r[1]}")
    timed("first page of the open queue", lambda: service.find(CaseFilter()), lambda r: f"{len(r[0])} of {r[1]}")
    timed("search 'alert 4242'", lambda: service.find(CaseFilter(q="alert 4242")), lambda r: f"{r[1]} found")
    timed("dashboard counts", service.dashboard, lambda b: f"{b.total} open, {b.breached} breached")
    ids = [c.id for c in service.find(CaseFilter(severity="low", limit=1000))[0]]
    timed("bulk close 1,000 low cases", lambda: service.bulk_close(ids, "bench", "false_positive", "bench"),
          lambda r: f"{sum(x.ok for x in r)} closed")
    timed("CSV export of every case", lambda: sum(len(c) for c in service.export_csv(CaseFilter(state="all"))),
          lambda n: f"{n / 1e6:.1f} MB")
    engine.dispose()

    table = Table(title=f"case engine, {args.alerts:,} alerts, {url.split(':')[0]}")
    for col in ("step", "seconds", "result"):
        table.add_column(col)
    for name, secs, note in rows:
        table.add_row(name, f"{secs:.3f}", note)
    Console().print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"alerts": args.alerts, "database": url.split(":")[0],
           "steps": [{"step": n, "seconds": round(s, 4), "result": r} for n, s, r in rows]}
    (RESULTS / "issue13_cases.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
