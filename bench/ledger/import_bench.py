"""Issue #5 bench: importing an AMLworld transactions CSV into the ledger.

    .venv/bin/python bench/ledger/import_bench.py                   # 1 million rows on SQLite
    .venv/bin/python bench/ledger/import_bench.py --rows 200000 --db postgres

Writes ``--rows`` rows in the AMLworld format (``HI-Small_Trans.csv``'s columns) to
``bench/work/amlworld-<rows>.csv``: ``rows / 10`` accounts at 30 banks (zero-padded as some copies
write them), times in order over 18 days, lognormal amounts, the currency mix and payment formats of
the data set, 1 % currency exchanges, 5 % self-transfers ("Reinvestment") and 0.5 % exact duplicate
rows. Then it times, on a fresh database, the parser alone, the whole import (``read_transfers`` +
``LedgerService.import_rows``, the CLI's path) and the same file again (all duplicates), and the
peak memory of the process. Prints a Rich table and writes ``bench/results/issue5_import.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from finguard.core.db import make_engine, upgrade
from finguard.ledger.provider import make_ledger
from finguard.ledger.service.importers import ImportOptions, read_transfers

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "bench" / "work"
RESULTS = REPO / "bench" / "results"
PG_URL = os.environ.get("FINGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HEAD = (
    "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,"
    "Is Laundering\n"
)
CURRENCIES = ["US Dollar"] * 8 + ["Euro"] * 5 + ["Saudi Riyal", "Swiss Franc", "Rupee", "Yuan", "Yen", "UK Pound", "Ruble", "Bitcoin"]
FORMATS = ["ACH"] * 4 + ["Cheque"] * 3 + ["Credit Card"] * 2 + ["Wire", "Cash", "Bitcoin"]
console = Console()


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def generate(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    accounts = [(f"{rng.randrange(30) * 7 + 1:03d}", f"80{rng.getrandbits(28):07X}0") for _ in range(max(rows // 10, 2))]
    start = datetime(2022, 9, 1, tzinfo=UTC)
    span = 18 * 24 * 60
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEAD)
        last = ""
        for i in range(rows):
            if last and rng.random() < 0.005:
                out.write(last)
                continue
            at = (start + timedelta(minutes=i * span // rows)).strftime("%Y/%m/%d %H:%M")
            (bank, acct) = rng.choice(accounts)
            (to_bank, to_acct) = (bank, acct) if rng.random() < 0.05 else rng.choice(accounts)
            paid_cur = rng.choice(CURRENCIES)
            amount = f"{rng.lognormvariate(7, 2):.6f}" if paid_cur == "Bitcoin" else f"{rng.lognormvariate(7, 2) + 0.01:.2f}"
            got_cur, got = paid_cur, amount
            if paid_cur != "Bitcoin" and rng.random() < 0.01:
                got_cur, got = "Euro" if paid_cur != "Euro" else "US Dollar", f"{float(amount) * 0.9 + 0.01:.2f}"
            fmt = "Reinvestment" if acct == to_acct else rng.choice(FORMATS)
            last = f"{at},{bank},{acct},{to_bank},{to_acct},{got},{got_cur},{amount},{paid_cur},{fmt},{int(rng.random() < 0.001)}\n"
            out.write(last)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--out", type=Path, default=RESULTS / "issue5_import.json", help="where the JSON goes")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    csv_path = WORK / f"amlworld-{args.rows}.csv"
    if not csv_path.exists():
        console.print(f"writing {csv_path}")
        generate(csv_path, args.rows, args.seed)
    if args.db == "sqlite":
        db = WORK / "import-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    else:
        url = PG_URL
    engine = make_engine(url)
    upgrade(engine)
    if args.db == "postgres":
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM transfer WHERE source = 'amlworld'")
    ledger = make_ledger(engine)
    result: dict[str, Any] = {"issue": 5, "at": datetime.now(UTC).isoformat(timespec="seconds"), "db": args.db, "rows": args.rows}
    result["file_mb"] = round(csv_path.stat().st_size / 1e6, 1)
    result["cpu_count"] = os.cpu_count()

    console.print(f"parsing ({load()})")
    t = time.perf_counter()
    _, rows = read_transfers("amlworld-csv", csv_path, ImportOptions())
    parsed = sum(1 for r in rows if r.draft is not None)
    parse_s = time.perf_counter() - t
    result["parse"] = {"seconds": round(parse_s, 1), "rows_per_s": round(args.rows / parse_s), "transfers": parsed}

    for step in ("import", "again"):
        console.print(f"{step} ({load()})")
        t = time.perf_counter()
        source, rows = read_transfers("amlworld-csv", csv_path, ImportOptions())
        report = ledger.import_rows(source, rows)
        seconds = time.perf_counter() - t
        result[step] = {
            "seconds": round(seconds, 1),
            "rows_per_s": round(args.rows / seconds),
            "inserted": report.inserted,
            "duplicates": report.duplicates,
            "self_transfers": report.self_transfers,
            "accounts": report.accounts,
            "load": load(),
        }
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    engine.dispose()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")

    table = Table("step", "seconds", "rows/s", "", title=f"AMLworld CSV import, {args.rows:,} rows ({result['file_mb']} MB) on {args.db}")
    table.add_row("parse only", str(result["parse"]["seconds"]), f"{result['parse']['rows_per_s']:,}", "")
    for step in ("import", "again"):
        r = result[step]
        table.add_row(
            "import" if step == "import" else "same file again",
            str(r["seconds"]),
            f"{r['rows_per_s']:,}",
            f"{r['inserted']:,} new, {r['duplicates']:,} already there, {r['self_transfers']:,} self-transfers",
        )
    console.print(table)
    console.print(f"peak memory {result['peak_rss_mb']:,} MB; {result['import']['load']}")


if __name__ == "__main__":
    main()
