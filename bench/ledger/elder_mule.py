"""Issue #12: the elder + mule case, as an investigator runs it.

    .venv/bin/python bench/ledger/elder_mule.py

Imports every sample statement in tests/data/statements (layout found, rows imported, rows
skipped), then the elder's statement and the mule's statement into a fresh SQLite ledger (through
the real migrations, the real importers and the real store) in both orders, and traces the
elder's 4,000 yuan forward by FIFO, LIFO and proportional attribution and 刘某's 3,900 backward.
Prints the tables (what each method answers next to the answer computed by hand from the
method's definition, and why the three differ) and writes ``bench/results/issue12_elder_mule.json``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from finguard.core.db import make_engine, upgrade
from finguard.core.money import format_money
from finguard.ledger.model import Direction, Method, TraceParams
from finguard.ledger.provider import make_ledger
from finguard.ledger.service import LedgerService
from finguard.ledger.service.importers import ImportOptions, read_transfers, read_transfers_noted
from finguard.ledger.service.summary import summarize

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "statements"
RESULTS = REPO / "bench" / "results"
ELDER, MULE, LIU, ZHAO = "6222021001122334455", "6217000010009876543", "6228480000001112223", "6216610000009998887"
FILES = ("issue12-generic-gbk.csv", "mule-bocom-gb18030.csv")
# By hand, from each method's definition, with the mule's 800 yuan held before the 4,000 came
# (300 opening balance + 500 from 李某): see tests/test_ledger_elderly.py.
HAND = {
    "fifo": {LIU: 310000, ZHAO: 60000, "cash:ATM取款": 20000, MULE: 10000},
    "lifo": {LIU: 390000, ZHAO: 10000, "cash:ATM取款": 0, MULE: 0},
    "proportional": {LIU: 325000, ZHAO: 50000, "cash:ATM取款": 16667, MULE: 8333},
}
WHY = {
    "fifo": "the 3,900 to 刘某 takes the oldest money first: the mule's 800, then 3,100 of the elder's",
    "lifo": "the 3,900 takes the newest money first: all the elder's; the 600 takes his last 100",
    "proportional": "each payment carries the elder's share of the balance: 4,000/4,800 of the 3,900",
}
console = Console()


def fresh(tmp: Path, name: str) -> LedgerService:
    engine = make_engine(f"sqlite:///{tmp / name}")
    upgrade(engine)
    return make_ledger(engine)


def samples(tmp: Path) -> list[dict[str, Any]]:
    ledger = fresh(tmp, "samples.db")
    out = []
    for path in sorted(DATA.iterdir()):
        if path.suffix == ".py":
            continue
        source, note, rows = read_transfers_noted("statement", path, ImportOptions())
        report = ledger.import_rows(source, rows)
        out.append(
            {
                "file": path.name,
                "layout": (note or "").split(" ")[1],
                "account": source.removeprefix("statement:"),
                "rows": report.rows,
                "transfers": report.inserted + report.duplicates + report.paired,
                "skipped": len(report.skipped),
                "bad": len(report.rejected),
            }
        )
    return out


def case(tmp: Path, mule_first: bool) -> dict[str, Any]:
    ledger = fresh(tmp, f"case-{mule_first}.db")
    order = FILES[::-1] if mule_first else FILES
    reports = [ledger.import_rows(*read_transfers("statement", DATA / f, ImportOptions())) for f in order]
    [gift] = [t for t in ledger.account_transfers(ELDER, "out") if t.dst == MULE]
    [paid] = [t for t in ledger.account_transfers(MULE, "out") if t.dst == LIU]
    methods: dict[str, Any] = {}
    for method in Method:
        forward = ledger.trace(TraceParams(ELDER, start_transfer=gift.id, method=method))
        ends = {e.account: e.amount_fen for e in forward.ends if e.account != ELDER}
        reasons = {e.account: e.reason.value for e in forward.ends}
        backward = ledger.trace(TraceParams(LIU, direction=Direction.BACKWARD, start_transfer=paid.id, method=method, hops=2))
        elder_back = sum(e.amount_fen for e in backward.ends if e.account == ELDER)
        methods[method.value] = {
            "forward_fen": ends,
            "reasons": reasons,
            "backward_elder_fen": elder_back,
            "summary_en": summarize(forward, "en"),
            "summary_zh": summarize(forward, "zh"),
        }
    stored = len(ledger.account_transfers(ELDER, "out")) + len(ledger.account_transfers(ELDER, "in"))
    stored += len(ledger.account_transfers(MULE, "out")) + len(ledger.account_transfers(MULE, "in")) - 1
    return {
        "order": " then ".join(order),
        "rows": sum(r.rows for r in reports),
        "inserted": sum(r.inserted for r in reports),
        "paired": sum(r.paired for r in reports),
        "stored_transfers": stored,
        "methods": methods,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        found = samples(folder)
        cases = [case(folder, False), case(folder, True)]
    t = Table("file", "layout", "own account", "rows", "transfers", "skipped (not transactions)", "bad", title="sample statements")
    for s in found:
        t.add_row(s["file"], s["layout"], s["account"], str(s["rows"]), str(s["transfers"]), str(s["skipped"]), str(s["bad"]))
    console.print(t)
    t = Table("order", "statement rows", "stored", "seen from both sides", title="elder + mule: every transfer stored once")
    for c in cases:
        t.add_row(c["order"], str(c["rows"]), str(c["inserted"]), str(c["paired"]))
    console.print(t)
    names = {LIU: "刘某", ZHAO: "赵某", "cash:ATM取款": "ATM", MULE: "王某某 (stays)"}
    t = Table(
        "method", *[f"{n} measured / by hand" for n in names.values()], "刘某 backward: elder's", "why", title="the elder's 4,000 yuan"
    )
    first = cases[0]["methods"]
    agree = True
    for method, m in first.items():
        cells = []
        for acct in names:
            got, hand = m["forward_fen"].get(acct, 0), HAND[method][acct]
            agree &= got == hand and all(c["methods"][method]["forward_fen"].get(acct, 0) == hand for c in cases)
            cells.append(f"{format_money(got, 'CNY')} / {format_money(hand, 'CNY')}")
        agree &= m["backward_elder_fen"] == HAND[method][LIU]
        t.add_row(method, *cells, format_money(m["backward_elder_fen"], "CNY"), WHY[method])
    console.print(t)
    console.print(f"every method equals its hand computation, in both import orders, forward and backward: {agree}")
    console.print(first["lifo"]["summary_en"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"samples": found, "cases": cases, "hand_fen": HAND, "all_equal_by_hand": agree}
    (RESULTS / "issue12_elder_mule.json").write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
