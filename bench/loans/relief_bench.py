"""Issue #15 bench: a portfolio's schedules recomputed under a relief policy, on 2 cores.

    .venv/bin/python bench/loans/relief_bench.py --loans 1000000                 # the issue's figure, SQLite
    .venv/bin/python bench/loans/relief_bench.py --loans 1000000 --db postgres   # the same on PostgreSQL
    .venv/bin/python bench/loans/relief_bench.py --loans 100000 --db none        # the model alone

Each loan (seeded from its number): principal 10,000-10,000,000 yuan, 3.0-9.0 %, 6-120 months
(mostly 36), equal instalment 60 % / equal principal 25 % / interest-only 10 % / bullet 5 %, day
count 30/360 60 %, ACT/360 25 %, ACT/365 15 %, started 0-24 months before the relief date. Per
loan: the borrower is evaluated against ``EPIDEMIC_2020``; an eligible one gets its category's
relief from its next instalment; the schedule is computed before and after (``relief.replay``)
and the NPV loss at the original rate assessed (``relief.assess``). Ineligible loans are still
scheduled once.

With a database (``--db sqlite``, the default: a fresh file in bench/work; ``--db postgres``: a
throw-away schema at ``FINGUARD_BENCH_PG_URL``) the loans are first put on the book
(``SqlLoanStore.put_loans``, timed apart); then each worker reads its chunks of the book by
keyset (``SqlLoanStore.loans``), recomputes them and stores the chunk's decisions as one batch
(``SqlLoanStore.add_decisions``), as ``LoanService.evaluate`` does. With ``--db none`` each
worker generates its loans from their numbers and stores nothing.

Prints a Rich table (loans/s, wall time, CPU seconds of the workers, which load on the shared
machine does not inflate, peak memory of each worker and of the parent, the load average) and
writes ``bench/results/issue15_relief.json`` (``--out`` to name another file).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from finguard.core.db import make_engine, upgrade
from finguard.core.errors import InvalidInput
from finguard.loans.model.daycount import DayCount, add_months
from finguard.loans.model.eligibility import EPIDEMIC_2020, Borrower, FirmSize, evaluate
from finguard.loans.model.loan import Loan
from finguard.loans.model.relief import assess, replay
from finguard.loans.model.schedule import LoanTerms, Method, compute
from finguard.loans.model.servicing import next_unpaid
from finguard.loans.store import SqlLoanStore

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"
WORK = Path(__file__).resolve().parents[2] / "bench" / "work"
PG_URL = os.environ.get("FINGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BENCH_AT = datetime(2020, 2, 1, tzinfo=UTC)
RELIEF_DATE = date(2020, 2, 1)
METHODS = [Method.EQUAL_INSTALMENT] * 12 + [Method.EQUAL_PRINCIPAL] * 5 + [Method.INTEREST_ONLY] * 2 + [Method.BULLET]
DAY_COUNTS = [DayCount.THIRTY_360] * 12 + [DayCount.ACT_360] * 5 + [DayCount.ACT_365] * 3
TERMS = [36] * 5 + [6, 12, 12, 24, 48, 60, 60, 84, 120]
INDUSTRIES = ["H", "G", "L", "R", "C", "F", "I", "K", "M"]
SIZES = [FirmSize.MICRO, FirmSize.SMALL, FirmSize.SMALL, FirmSize.MEDIUM, FirmSize.INDIVIDUAL, FirmSize.LARGE]


def loan_id(i: int) -> str:
    return f"L{i:07}"  # keyset order is number order


def loan(i: int) -> tuple[LoanTerms, Borrower]:
    rng = random.Random(i)
    term = rng.choice(TERMS)
    start = add_months(date(2018, 2, rng.randint(1, 28)), rng.randint(max(0, 24 - term + 1), 23))
    terms = LoanTerms(
        principal_fen=rng.randrange(1_000_000, 1_000_000_000),
        annual_rate=Decimal(rng.randrange(300, 901)) / 10_000,
        term_months=term,
        start=start,
        method=rng.choice(METHODS),
        day_count=rng.choice(DAY_COUNTS),
    )
    borrower = Borrower(loan_id(i), f"C{i:07}", rng.choice(INDUSTRIES), rng.choice(SIZES), terms.principal_fen * rng.randint(1, 3),
                        rng.random() < 0.85, rng.choice([0] * 8 + [15, 45]))
    return terms, borrower


_STORE: SqlLoanStore | None = None
_BATCH = ""


def _open(url: str, batch_id: str) -> None:
    global _STORE, _BATCH
    _STORE = SqlLoanStore(make_engine(url)) if url else None
    _BATCH = batch_id


def book(i: int) -> Loan:
    terms, b = loan(i)
    return Loan(b.loan_id, b.customer_id, f"B{i % 40:02}", terms, b.industry, b.firm_size, b.total_credit_fen, b.impact_documented,
                b.days_past_due)


def work(chunk: tuple[int, int]) -> dict[str, int]:
    cpu = time.process_time()
    out = {"loans": 0, "relieved": 0, "refused_by_rules": 0, "refused_by_schedule": 0, "rows": 0, "distressed": 0,
           "npv_loss_fen": 0}
    if _STORE is not None:
        start, end = chunk
        items = [(x.terms, x.borrower()) for x in _STORE.loans(after=loan_id(start - 1) if start else "", limit=end - start)]
    else:
        items = [loan(i) for i in range(*chunk)]
    decisions = []
    for terms, borrower in items:
        decision = evaluate(EPIDEMIC_2020, borrower)
        decisions.append(decision)
        out["loans"] += 1
        if decision.offer is None:
            out["rows"] += len(compute(terms).rows)
            out["refused_by_rules"] += 1
            continue
        base = compute(terms)
        change = decision.offer.change(next_unpaid(base, RELIEF_DATE))
        try:
            before, after = replay(terms, [change])
        except InvalidInput:  # e.g. a deferral of a bullet loan, an extension past the 贷款通则 cap
            out["refused_by_schedule"] += 1
            out["rows"] += len(base.rows)
            continue
        cost = assess(before, after, change)
        out["relieved"] += 1
        out["rows"] += len(before.rows) + len(after.rows)
        out["distressed"] += cost.distressed
        out["npv_loss_fen"] += cost.loss_fen
    if _STORE is not None:
        _STORE.add_decisions(_BATCH, decisions, "bench", BENCH_AT)
    out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["cpu_ms"] = round((time.process_time() - cpu) * 1000)
    return out


def database(kind: str, n: int) -> tuple[str, Callable[[], dict[str, Any]]]:
    """(url, cleanup returning facts about the database) for ``--db``."""
    if kind == "none":
        return "", dict
    if kind == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        path = WORK / f"relief-{n}-{os.getpid()}.db"
        for old in WORK.glob(f"relief-{n}-*.db*"):
            old.unlink()

        def sqlite_done() -> dict[str, Any]:
            size = sum(f.stat().st_size for f in WORK.glob(f"{path.name}*"))
            for f in WORK.glob(f"{path.name}*"):
                f.unlink()
            return {"database_mb": round(size / 2**20)}

        return f"sqlite:///{path}", sqlite_done
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def pg_done() -> dict[str, Any]:
        with admin.begin() as conn:
            size = conn.execute(text("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                                     "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'r'"),
                                {"s": schema}).scalar_one()
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        return {"database_mb": round(int(size or 0) / 2**20)}

    return f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}", pg_done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "none"], default="sqlite")
    parser.add_argument("--out", default="issue15_relief.json")
    args = parser.parse_args()
    url, cleanup = database(args.db, args.loans)
    load: dict[str, Any] = {}
    if url:
        engine = make_engine(url)
        upgrade(engine)
        store = SqlLoanStore(engine)
        started, cpu = time.perf_counter(), time.process_time()
        for s in range(0, args.loans, 10_000):
            store.put_loans([book(i) for i in range(s, min(s + 10_000, args.loans))], "bench", BENCH_AT)
        load = {"book_load_wall_seconds": round(time.perf_counter() - started, 1),
                "book_load_cpu_seconds": round(time.process_time() - cpu, 1)}
        engine.dispose()
    chunks = [(s, min(s + args.chunk, args.loans)) for s in range(0, args.loans, args.chunk)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    parts = []
    with Pool(args.workers, initializer=_open, initargs=(url, uuid.uuid4().hex)) as pool:
        for part in pool.imap_unordered(work, chunks):
            parts.append(part)
            if len(parts) % max(1, len(chunks) // 20) == 0:
                print(f"{sum(p['loans'] for p in parts):,} loans, {time.perf_counter() - started:.0f} s, load {os.getloadavg()[0]:.1f}",
                      flush=True)
    wall = time.perf_counter() - started
    facts = cleanup()
    total = {k: sum(p[k] for p in parts) for k in parts[0] if k not in ("maxrss_kb", "cpu_ms")}
    cpu = sum(p["cpu_ms"] for p in parts) / 1000
    result = {
        "issue": 15, "loans": args.loans, "database": args.db, "workers": args.workers, "chunk": args.chunk, **load,
        "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
        "loans_per_second": round(args.loans / wall), "loans_per_cpu_second": round(args.loans / cpu),
        "peak_rss_mb_per_worker": round(max(p["maxrss_kb"] for p in parts) / 1024),
        "peak_rss_mb_parent": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2), **total, **facts,
    }
    table = Table(title=f"Loans #15: {args.loans:,} schedules under the relief policy epidemic-2020 on {args.workers} processes "
                        f"(database: {args.db})")
    table.add_column("figure")
    table.add_column("measured", justify="right")
    for key, value in result.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    Console().print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
