"""Issue #5 bench: the fund-flow trace on a synthetic ledger.

    .venv/bin/python bench/ledger/trace_bench.py                      # 10 million transfers
    .venv/bin/python bench/ledger/trace_bench.py --transfers 1000000  # a quick run

Builds (once; reused while ``bench/work/ledger-<n>-<accounts>.db.done`` exists) a SQLite ledger
through the real migrations: ``n / 50`` accounts (2 % merchants, 0.5 % cash points, 0.5 % wallets), ``n``
transfers over 365 days between random accounts (senders skewed, a few busy ones), lognormal
amounts in fen. Rows go in with ``executemany`` with the indexes dropped, then the indexes are
rebuilt. Then it times the 6-hop forward FIFO trace from ``--seeds`` random transfers (the real
``LedgerService.trace`` over the real store, 30-day horizon, default work bounds) and prints p50 /
p95, and the FIFO / LIFO / proportional traces of one case side by side. Prints a Rich table and
writes ``bench/results/issue5_trace.json``. Nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from finguard.core.db import make_engine, upgrade
from finguard.ledger.model import Method, TraceParams, format_amount
from finguard.ledger.provider import make_ledger
from finguard.ledger.service.summary import summarize
from finguard.ledger.store.repo import transfers_frame

REPO = Path(__file__).resolve().parents[2]
WORK = REPO / "bench" / "work"
RESULTS = REPO / "bench" / "results"
BATCH = 200_000
console = Console()


def build(path: Path, n: int, accounts: int, seed: int) -> float:
    """Create the ledger; return the seconds it took."""
    started = time.perf_counter()
    for suffix in ("", "-wal", "-shm", ".done"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    kinds = np.full(accounts, "customer", dtype=object)
    kinds[rng.choice(accounts, int(accounts * 0.02), replace=False)] = "merchant"
    customers = np.flatnonzero(kinds == "customer")
    kinds[rng.choice(customers, int(accounts * 0.005), replace=False)] = "cash"
    customers = np.flatnonzero(kinds == "customer")
    kinds[rng.choice(customers, int(accounts * 0.005), replace=False)] = "wallet"
    customers = np.flatnonzero(kinds == "customer")
    names = np.array([f"A{i:08d}" for i in range(accounts)], dtype=object)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    for index in ("ux_transfer_source_external", "ix_transfer_src_at", "ix_transfer_dst_at"):
        con.execute(f"DROP INDEX IF EXISTS {index}")
    con.executemany("INSERT INTO ledger_account (account, kind) VALUES (?, ?)", zip(names.tolist(), kinds.tolist(), strict=True))
    # The integer columns ledger_repo.insert_transfers fills: account i has code i + 1.
    con.executemany("INSERT INTO ledger_account_code (code, account) VALUES (?, ?)", enumerate(names.tolist(), start=1))
    start = np.datetime64("2024-01-01T00:00:00", "us")
    year_us = 365 * 86400 * 1_000_000
    # Senders: customers, skewed so that some accounts are busy (a Zipf-like draw over a shuffled order).
    weights = 1.0 / np.arange(1, len(customers) + 1) ** 0.6
    weights /= weights.sum()
    order = rng.permutation(customers)
    done = 0
    while done < n:
        m = min(BATCH, n - done)
        src = order[rng.choice(len(order), m, p=weights)]
        dst = rng.integers(0, accounts, m)
        dst = np.where(dst == src, (dst + 1) % accounts, dst)
        amount = np.maximum(1, rng.lognormal(10.5, 1.4, m).astype(np.int64))
        at = start + np.sort(rng.integers(done * year_us // n, (done + m) * year_us // n, m)).astype("timedelta64[us]")
        at_text = np.char.replace(np.datetime_as_string(at, unit="us"), "T", " ")
        ids = np.arange(done + 1, done + m + 1)
        rows = zip(
            ids.tolist(),
            ids.astype(str).tolist(),
            names[src].tolist(),
            names[dst].tolist(),
            amount.tolist(),
            at_text.tolist(),
            (src + 1).tolist(),
            (dst + 1).tolist(),
            at.astype("datetime64[s]").astype(np.int64).tolist(),
            strict=True,
        )
        con.executemany(
            "INSERT INTO transfer (id, external_id, source, src_account, dst_account, amount_fen, currency, at, src, dst, ts) "
            "VALUES (?, ?, 'bench', ?, ?, ?, 'CNY', ?, ?, ?, ?)",
            rows,
        )
        done += m
        console.print(f"  {done:,} / {n:,} transfers", end="\r")
    con.commit()
    console.print(f"\n  building indexes ({time.perf_counter() - started:.0f}s so far)")
    con.execute("CREATE UNIQUE INDEX ux_transfer_source_external ON transfer (source, external_id)")
    con.execute("CREATE INDEX ix_transfer_src_at ON transfer (src_account, at)")
    con.execute("CREATE INDEX ix_transfer_dst_at ON transfer (dst_account, at)")
    con.execute("ANALYZE")
    con.commit()
    con.close()
    seconds = time.perf_counter() - started
    Path(f"{path}.done").write_text(json.dumps({"transfers": n, "accounts": accounts, "seconds": round(seconds, 1)}))
    return seconds


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--transfers", type=int, default=10_000_000)
    ap.add_argument("--accounts", type=int, default=0, help="default: transfers / 50 (about 4 payments a month each)")
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--hops", type=int, default=6)
    ap.add_argument("--frame", action="store_true", help="also time transfers_frame over the whole ledger (the monitors' read)")
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    accounts = args.accounts or max(args.transfers // 50, 100)
    path = WORK / f"ledger-{args.transfers}-{accounts}.db"
    done = Path(f"{path}.done")
    if args.rebuild or not done.exists():
        console.print(f"building a {args.transfers:,}-transfer ledger in {path}")
        build(path, args.transfers, accounts, seed=5)
    built = json.loads(done.read_text())
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    ledger = make_ledger(engine)
    rng = random.Random(7)
    seeds = [rng.randint(1, args.transfers) for _ in range(args.seeds)]
    times: list[float] = []
    cpu: list[float] = []
    edges: list[int] = []
    examined: list[int] = []
    truncated = 0
    src_of = {}
    for tid in seeds:
        t = ledger.store.get_transfer(tid)
        assert t is not None
        src_of[tid] = t.src
    for tid in seeds:  # warm the page cache with a first pass, as a busy server would have it
        ledger.trace(TraceParams(src_of[tid], start_transfer=tid, hops=args.hops))
    for tid in seeds:
        w, c = time.perf_counter(), time.thread_time()
        trace = ledger.trace(TraceParams(src_of[tid], start_transfer=tid, hops=args.hops))
        times.append((time.perf_counter() - w) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
        edges.append(len(trace.edges))
        examined.append(trace.transfers_examined)
        truncated += trace.truncated
    # The case side by side: the seed whose FIFO trace made the most edges.
    case = max(seeds, key=lambda tid: edges[seeds.index(tid)])
    side: dict[str, Any] = {}
    for method in Method:
        trace = ledger.trace(TraceParams(src_of[case], start_transfer=case, hops=args.hops, method=method))
        by_reason: dict[str, int] = {}
        for end in trace.ends:
            by_reason[end.reason.value] = by_reason.get(end.reason.value, 0) + end.amount_fen
        side[method.value] = {
            "edges": len(trace.edges),
            "ends": len(trace.ends),
            "amount_fen": trace.amount_fen,
            "by_reason_fen": by_reason,
            "top_ends": [(e.account, e.kind.value, e.reason.value, e.amount_fen) for e in trace.ends[:5]],
            "summary_en": summarize(trace, "en"),
        }
        assert sum(e.amount_fen for e in trace.ends) == trace.amount_fen
    frame_s = None
    if args.frame:
        w = time.perf_counter()
        frame = transfers_frame(engine)
        frame_s = time.perf_counter() - w
        assert len(frame["src"]) == args.transfers
    result = {
        "transfers": args.transfers,
        "accounts": accounts,
        "build_seconds": built["seconds"],
        "db_bytes": path.stat().st_size,
        "seeds": len(seeds),
        "hops": args.hops,
        "trace_p50_ms": round(statistics.median(times), 2),
        "trace_p95_ms": round(pct(times, 95), 2),
        "trace_max_ms": round(max(times), 2),
        "trace_cpu_p50_ms": round(statistics.median(cpu), 2),
        "edges_p50": statistics.median(edges),
        "edges_max": max(edges),
        "examined_p50": statistics.median(examined),
        "truncated": truncated,
        "target_p50_ms": 200,
        "met": statistics.median(times) <= 200,
        "transfers_frame_seconds": None if frame_s is None else round(frame_s, 1),
        "side_by_side_case": case,
        "side_by_side": side,
        "load_average": os.getloadavg(),
    }
    (RESULTS / "issue5_trace.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    table = Table("figure", "target", "measured", "met?", title=f"#5 trace on {args.transfers:,} transfers (SQLite)")
    table.add_row(f"{args.hops}-hop forward FIFO trace p50", "<= 200 ms", f"{result['trace_p50_ms']} ms", "yes" if result["met"] else "NO")
    table.add_row("  p95 / max", "", f"{result['trace_p95_ms']} / {result['trace_max_ms']} ms", "")
    table.add_row("  CPU p50 (this thread)", "", f"{result['trace_cpu_p50_ms']} ms", "")
    table.add_row(
        "  edges p50 / max; transfers read p50", "", f"{result['edges_p50']} / {result['edges_max']}; {result['examined_p50']}", ""
    )
    table.add_row("  truncated traces", "", f"{truncated} of {len(seeds)}", "")
    table.add_row("ledger build (executemany + indexes)", "", f"{built['seconds']:.0f} s, {result['db_bytes'] / 1e9:.2f} GB", "")
    if frame_s is not None:
        table.add_row("transfers_frame (whole ledger)", "", f"{frame_s:.1f} s", "")
    console.print(table)
    cmp = Table("method", "edges", "terminal", "remains", "hop limit", "truncated", "largest end", title=f"the same case (transfer {case})")
    for method, s in side.items():
        r = s["by_reason_fen"]
        top = s["top_ends"][0] if s["top_ends"] else None
        cmp.add_row(
            method,
            str(s["edges"]),
            *(format_amount(r.get(k, 0)) for k in ("terminal", "remains", "hop_limit", "truncated")),
            f"{top[0]} {top[1]} {top[2]} {format_amount(top[3])}" if top else "",
        )
    console.print(cmp)
    console.print(f"written: {RESULTS / 'issue5_trace.json'}")


if __name__ == "__main__":
    main()
