"""Issue #15 bench: a portfolio's schedules recomputed under a relief policy, on 2 cores.

    .venv/bin/python bench/loans/relief_bench.py --loans 100000     # what we ran on the shared machine
    .venv/bin/python bench/loans/relief_bench.py --loans 1000000    # the issue's figure (~n/100k times longer)

Each loan (seeded, generated in the worker from its number, so nothing is shipped between
processes): principal 10,000-10,000,000 yuan, 3.0-9.0 %, 6-120 months (mostly 36), equal
instalment 60 % / equal principal 25 % / interest-only 10 % / bullet 5 %, day count 30/360 60 %,
ACT/360 25 %, ACT/365 15 %, started 0-24 months before the relief date. Per loan: the borrower
is evaluated against ``EPIDEMIC_2020``; an eligible one gets its category's relief from its next
instalment; the schedule is computed before and after (``relief.replay``) and the NPV loss at
the original rate assessed (``relief.assess``). Ineligible loans are still scheduled once.

Prints a Rich table (loans/s, wall time, CPU time summed over the workers, which load on the
shared machine does not inflate, peak memory per worker) and writes
``bench/results/issue15_relief.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
from datetime import date
from decimal import Decimal
from multiprocessing import Pool
from pathlib import Path

from rich.console import Console
from rich.table import Table

from finguard.core.errors import InvalidInput
from finguard.loans.model.daycount import DayCount, add_months
from finguard.loans.model.eligibility import EPIDEMIC_2020, Borrower, FirmSize, evaluate
from finguard.loans.model.relief import assess, replay
from finguard.loans.model.schedule import LoanTerms, Method, compute
from finguard.loans.model.servicing import next_unpaid

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"
RELIEF_DATE = date(2020, 2, 1)
METHODS = [Method.EQUAL_INSTALMENT] * 12 + [Method.EQUAL_PRINCIPAL] * 5 + [Method.INTEREST_ONLY] * 2 + [Method.BULLET]
DAY_COUNTS = [DayCount.THIRTY_360] * 12 + [DayCount.ACT_360] * 5 + [DayCount.ACT_365] * 3
TERMS = [36] * 5 + [6, 12, 12, 24, 48, 60, 60, 84, 120]
INDUSTRIES = ["H", "G", "L", "R", "C", "F", "I", "K", "M"]
SIZES = [FirmSize.MICRO, FirmSize.SMALL, FirmSize.SMALL, FirmSize.MEDIUM, FirmSize.INDIVIDUAL, FirmSize.LARGE]


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
    borrower = Borrower(f"L{i}", f"C{i}", rng.choice(INDUSTRIES), rng.choice(SIZES), terms.principal_fen * rng.randint(1, 3),
                        rng.random() < 0.85, rng.choice([0] * 8 + [15, 45]))
    return terms, borrower


def work(chunk: tuple[int, int]) -> dict[str, int]:
    cpu = time.process_time()
    out = {"loans": 0, "relieved": 0, "refused_by_rules": 0, "refused_by_schedule": 0, "rows": 0, "distressed": 0,
           "npv_loss_fen": 0}
    for i in range(*chunk):
        terms, borrower = loan(i)
        decision = evaluate(EPIDEMIC_2020, borrower)
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
    out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["cpu_ms"] = round((time.process_time() - cpu) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=5_000)
    args = parser.parse_args()
    chunks = [(s, min(s + args.chunk, args.loans)) for s in range(0, args.loans, args.chunk)]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with Pool(args.workers) as pool:
        parts = pool.map(work, chunks)
    wall = time.perf_counter() - started
    total = {k: sum(p[k] for p in parts) for k in parts[0] if k not in ("maxrss_kb", "cpu_ms")}
    cpu = sum(p["cpu_ms"] for p in parts) / 1000
    peak_mb = max(p["maxrss_kb"] for p in parts) / 1024
    result = {
        "issue": 15, "loans": args.loans, "workers": args.workers, "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
        "loans_per_second": round(args.loans / wall), "loans_per_cpu_second": round(args.loans / cpu),
        "peak_rss_mb_per_worker": round(peak_mb),
        "load_average_before": load_before, "load_average_after": os.getloadavg()[0], **total,
        "extrapolated_1m_wall_seconds": round(wall * 1_000_000 / args.loans),
    }
    table = Table(title=f"Loans #15: {args.loans:,} schedules under the relief policy epidemic-2020 on {args.workers} processes")
    table.add_column("figure")
    table.add_column("measured", justify="right")
    for key in ("loans", "relieved", "refused_by_rules", "refused_by_schedule", "distressed", "rows", "wall_seconds", "cpu_seconds",
                "loans_per_second", "loans_per_cpu_second", "peak_rss_mb_per_worker", "extrapolated_1m_wall_seconds",
                "load_average_before", "load_average_after"):
        value = result[key]
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    Console().print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "issue15_relief.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
