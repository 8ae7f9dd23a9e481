"""Issue #13 bench: the nightly "new listings" robot over 1,000,000 stored accounts.

    nice -n 10 .venv/bin/python bench/cases/robot_1m.py                       # SQLite
    nice -n 10 .venv/bin/python bench/cases/robot_1m.py --db postgres         # PostgreSQL (a throw-away schema)
    nice -n 10 .venv/bin/python bench/cases/robot_1m.py --db both

The data (synthetic, seeded, built with bulk inserts, not timed as part of a run):

* ``--accounts`` ledger accounts (default 1,000,000): 70 % 19-digit numbers that are valid card
  numbers too (a Chinese debit card is the account; registered as ``account`` and ``card``), 20 %
  12-digit plain account numbers, 10 % names that are no account number (PaySim style, ``C…``).
* a police list of ``--listed`` (default 100,000) account entries loaded before the first run, of
  which 50 are stored accounts.

The runs, each in a fresh process (``--child``) so its wall time, CPU time and peak RSS are its own:

1. ``first``: the first run ever: registers every account (normalised once) and matches all of them
   against the list. Expected alerts: 50.
2. ``nightly``: after 1,000 new card entries (100 of them stored accounts' numbers), added through
   ``ListService.apply`` as a feed would, and 1,000 new accounts (10 of them listed long ago).
   Expected alerts: 110.
3. ``idle``: nothing new (the floor a night costs: the anti-join over every account).

Plain baselines in the same run: (a) one SQL join of the raw account strings against the list's
identifiers (no normalisation, no registration, no alerts: the least any set-based match costs);
(b) the per-account loop the robot avoids: normalise and look up one account at a time with
``SqlListStore.find_by_identifier``, over 10,000 accounts, extrapolated to ``--accounts`` (marked as
an extrapolation). Writes ``bench/results/issue13_robot_1m.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as pyplatform
import random
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"
WORK = REPO / "bench" / "work"
PG_URL = os.environ.get("FINGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SEED = 13


def luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def card_number(prefix: str, n: int) -> str:
    body = f"{prefix}{n:014d}"
    return body + luhn_digit(body)


def accounts(count: int, offset: int = 0) -> Iterator[tuple[str, str, str]]:
    """(account, name, kind): 70 % card-like, 20 % 12-digit, 10 % no account number."""
    for i in range(offset, offset + count):
        r = i % 10
        if r < 7:
            acct = card_number("6217", i)
        elif r < 9:
            acct = f"6{i:011d}"
        else:
            acct = f"C{1_000_000_000 + i}"
        yield acct, f"customer {i}", "customer"


def rss_mb(field: str = "VmHWM") -> float:
    """This process's peak (``VmHWM``) or current (``VmRSS``) resident set, from /proc. Not
    ``getrusage``: Linux carries ``ru_maxrss`` over from the parent that forked the process, so a
    child of a large parent would report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- setup (parent) --------------------------------------------------------------------------------


def make_url(db: str) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text

    if db == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        path = WORK / "robot_1m.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", drop


def insert_accounts(engine: Any, rows: Iterator[tuple[str, str, str]]) -> None:
    """Bulk insert: executemany on SQLite's own connection, COPY on PostgreSQL."""
    from finguard.core.db import is_sqlite

    raw = engine.raw_connection()
    try:
        if is_sqlite(engine):
            cur = raw.cursor()
            cur.execute("BEGIN")
            batch: list[tuple[str, str, str]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == 100_000:
                    cur.executemany("INSERT INTO ledger_account (account, name, kind) VALUES (?, ?, ?)", batch)
                    batch = []
            if batch:
                cur.executemany("INSERT INTO ledger_account (account, name, kind) VALUES (?, ?, ?)", batch)
            cur.execute("COMMIT")
        else:
            conn = raw.driver_connection
            with conn.cursor() as cur, cur.copy("COPY ledger_account (account, name, kind) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
            conn.commit()
    finally:
        raw.close()


def setup(url: str, n_accounts: int, n_listed: int) -> dict[str, Any]:
    from finguard.core.db import make_engine, upgrade
    from finguard.core.identifiers import IdType
    from finguard.lists.model.lists import EntryDraft, Identifier, SubjectKind
    from finguard.lists.service.lists import ListService
    from finguard.lists.store.bulk import bulk_load
    from finguard.lists.store.repo import SqlListStore

    engine = make_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    insert_accounts(engine, accounts(n_accounts))
    t_accounts = time.perf_counter() - t0

    rng = random.Random(SEED)
    card_like = [i for i in range(n_accounts) if i % 10 < 7]
    stored_listed = rng.sample(card_like, 50)
    service = ListService(SqlListStore(engine))
    service.create_list("police-accounts", "Police-reported accounts", "fraud_account", "police", "critical")
    service.create_list("police-cards", "Police-reported cards", "fraud_account", "police", "critical")

    def drafts() -> Iterator[EntryDraft]:
        for i in range(n_listed - 50):
            number = card_number("6228", i)
            yield EntryDraft(f"a{i}", SubjectKind.IDENTIFIER, identifiers=(Identifier(IdType.ACCOUNT, number),))
        for j, i in enumerate(stored_listed):
            yield EntryDraft(f"s{j}", SubjectKind.IDENTIFIER, identifiers=(Identifier(IdType.ACCOUNT, card_number("6217", i)),))

    t0 = time.perf_counter()
    bulk_load(engine, "police-accounts", drafts(), "bench")
    t_list = time.perf_counter() - t0
    engine.dispose()
    return {"insert_accounts_seconds": round(t_accounts, 2), "load_list_seconds": round(t_list, 2),
            "stored_listed": stored_listed}


def nightly_changes(url: str, n_accounts: int, n_listed: int) -> dict[str, Any]:
    """1,000 new card entries (100 of them stored numbers) through ListService.apply, and 1,000 new
    accounts (10 of them on the list since before the first run)."""
    from finguard.core.db import make_engine
    from finguard.core.identifiers import IdType
    from finguard.lists.model.lists import ChangeOp, EntryDraft, Identifier, SubjectKind
    from finguard.lists.service.lists import EntryOp, ListService
    from finguard.lists.store.repo import SqlListStore

    engine = make_engine(url)
    rng = random.Random(SEED + 1)
    card_like = [i for i in range(n_accounts) if i % 10 < 7]
    stored = rng.sample(card_like, 100)
    service = ListService(SqlListStore(engine))
    lst = service.get_list("police-cards")
    ops = [EntryOp(ChangeOp.ADD, f"n{i}", EntryDraft(f"n{i}", SubjectKind.IDENTIFIER,
                                                       identifiers=(Identifier(IdType.CARD, card_number("6229", i)),)))
           for i in range(900)]
    ops += [EntryOp(ChangeOp.ADD, f"m{j}", EntryDraft(f"m{j}", SubjectKind.IDENTIFIER,
                                                        identifiers=(Identifier(IdType.CARD, card_number("6217", i)),)))
            for j, i in enumerate(stored)]
    t0 = time.perf_counter()
    service.apply(lst, "feed", ops)
    t_apply = time.perf_counter() - t0
    # New customers: 990 unseen numbers and 10 whose numbers were listed (as accounts) long ago.
    new = [(card_number("6230", i), f"new {i}", "customer") for i in range(990)]
    new += [(card_number("6228", i), f"new listed {i}", "customer") for i in range(10)]
    insert_accounts(engine, iter(new))
    engine.dispose()
    return {"apply_1000_listings_seconds": round(t_apply, 2)}


def baselines(url: str, n_accounts: int, sample: int = 10_000) -> dict[str, Any]:
    from sqlalchemy import and_, func, select

    from finguard.core.db import make_engine
    from finguard.ledger.store.tables import ledger_account
    from finguard.lists.store.repo import SqlListStore
    from finguard.lists.store.tables import entry_identifier
    from finguard.robots.model import instrument_forms

    engine = make_engine(url)
    a, e = ledger_account.c, entry_identifier.c
    t0, c0 = time.perf_counter(), time.process_time()
    with engine.connect() as conn:
        joined = conn.execute(select(func.count()).select_from(ledger_account.join(
            entry_identifier, and_(e.id_type.in_(["account", "card"]), e.id_value == a.account)))).scalar_one()
    sql_join = {"seconds": round(time.perf_counter() - t0, 2), "cpu_seconds_client": round(time.process_time() - c0, 2),
                "matches": int(joined)}

    store = SqlListStore(engine)
    rng = random.Random(SEED + 2)
    picked = [next(accounts(1, i))[0] for i in rng.sample(range(n_accounts), sample)]
    t0, c0 = time.perf_counter(), time.process_time()
    found = 0
    for acct in picked:
        for id_type, value in instrument_forms(acct):
            found += len(store.find_by_identifier(id_type, value))
    secs = time.perf_counter() - t0
    loop = {"sample": sample, "seconds": round(secs, 2), "cpu_seconds": round(time.process_time() - c0, 2),
            "extrapolated_seconds_for_all": round(secs * n_accounts / sample, 1), "found": found}
    engine.dispose()
    return {"sql_join_raw_strings": sql_join, "per_account_loop": loop}


# -- one robot run (child) -------------------------------------------------------------------------


def child(url: str) -> None:
    from finguard.core.db import make_engine
    from finguard.robots.model import NEW_LISTINGS
    from finguard.robots.provider import make_robots

    engine = make_engine(url)
    robots = make_robots(engine)
    robots.runner.jobs()  # the job table exists before the clock starts
    base_rss = rss_mb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    stages: dict[str, float] = {}
    state: dict[str, Any] = {"stage": "", "start": t0, "last": t0}

    def listen(stage: str, done: int, total: int) -> None:
        # A stage runs from the previous stage's last report to its own last report.
        now = time.perf_counter()
        if stage != state["stage"]:
            state["stage"], state["start"] = stage, state["last"]
        stages[stage] = round(now - state["start"], 2)
        state["last"] = now

    run = robots.runner.run(NEW_LISTINGS, actor="bench", listener=listen)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    engine.dispose()
    print(json.dumps({"outcome": run.outcome.value, "message": run.message, "counts": run.counts,
                      "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(rss_mb(), 1),
                      "rss_before_run_mb": round(base_rss, 1), "stage_seconds": stages}))


def run_child(url: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", url], check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def bench(db: str, n_accounts: int, n_listed: int) -> dict[str, Any]:
    url, drop = make_url(db)
    try:
        built = setup(url, n_accounts, n_listed)
        built.pop("stored_listed")
        base = baselines(url, n_accounts)
        first = run_child(url)
        assert first["outcome"] == "ok" and first["counts"]["alerts"] == 50, first
        changes = nightly_changes(url, n_accounts, n_listed)
        nightly = run_child(url)
        assert nightly["outcome"] == "ok" and nightly["counts"]["alerts"] == 110, nightly
        idle = run_child(url)
        assert idle["outcome"] == "ok" and idle["counts"]["alerts"] == 0, idle
        return {"database": db, "setup": {**built, **changes}, "baselines": base,
                "runs": {"first": first, "nightly": nightly, "idle": idle}}
    finally:
        if drop is not None:
            drop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--listed", type=int, default=100_000)
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    ap.add_argument("--child", default="")
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return

    from rich.console import Console
    from rich.table import Table

    results = []
    for db in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        results.append(bench(db, args.accounts, args.listed))
    out = {
        "issue": 13,
        "what": "nightly new-listings robot (bank-card due diligence) over stored ledger accounts",
        "accounts": args.accounts,
        "listed_before": args.listed,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": pyplatform.python_version(), "cpus": os.cpu_count(), "load_avg": os.getloadavg()},
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    previous: dict[str, Any] = {}
    path = RESULTS / "issue13_robot_1m.json"
    if path.exists() and args.db != "both":  # keep the other database's figures from an earlier run
        previous = json.loads(path.read_text())
        kept = [r for r in previous.get("results", []) if r["database"] != args.db]
        out["results"] = kept + results
    path.write_text(json.dumps(out, indent=2) + "\n")

    table = Table(title=f"new-listings robot over {args.accounts:,} stored accounts")
    for col in ("database", "run", "wall s", "CPU s", "peak RSS MB", "instruments added", "hits / alerts / cases"):
        table.add_column(col)
    for r in out["results"]:
        for name, run in r["runs"].items():
            c = run["counts"]
            table.add_row(r["database"], name, f"{run['wall_seconds']:.1f}", f"{run['cpu_seconds']:.1f}",
                          f"{run['peak_rss_mb']:.0f}", f"{c['instruments_added']:,}",
                          f"{c['hits']} / {c['alerts']} / {c['cases_opened']}")
        b = r["baselines"]
        table.add_row(r["database"], "baseline: one SQL join, raw strings", f"{b['sql_join_raw_strings']['seconds']:.1f}", "", "",
                      "", f"{b['sql_join_raw_strings']['matches']} matches")
        loop = b["per_account_loop"]
        table.add_row(r["database"], f"baseline: per-account loop (extrapolated from {loop['sample']:,})",
                      f"{loop['extrapolated_seconds_for_all']:.0f}", "", "", "", "")
    Console().print(table)
    (RESULTS / "issue13_robot_1m.txt").write_text(_plain(table) + "\n")


def _plain(table: Any) -> str:
    from rich.console import Console

    console = Console(width=160, record=True, file=open(os.devnull, "w"))
    console.print(table)
    return console.export_text()


if __name__ == "__main__":
    main()
