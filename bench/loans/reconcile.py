"""Issue #15 bench: schedules reconciled with numpy-financial to the fen.

    .venv/bin/python bench/loans/reconcile.py                # numpy-financial's cases + 10,000 random loans
    .venv/bin/python bench/loans/reconcile.py --loans 1000   # a quick run

Random loans (seeded): principal log-uniform from 1,000.00 to 10,000,000.00 yuan (whole fen),
annual rate 0 to 24 % in steps of 0.01 % (a tenth of them on a 0.25 % grid as rates are quoted),
1 to 360 months, 30/360 from a start day 1-28 (so a month is exactly 1/12 year, as
numpy-financial assumes). For every period of every loan:

* closed form (``loans.model.closed_form``, 50-digit decimals) against ``npf.pmt``, ``npf.ipmt``,
  ``npf.ppmt`` and the balance ``npf.fv``, each rounded half up to the fen: target 0 differences.
  A numpy value within 1e-6 fen of a half fen is a *tie* (float error picks the side), counted apart.
* the cash schedule (``loans.model.schedule.compute``): every instalment but its last debits
  ``round(npf.pmt)``: target 0 differences. Rounding the payment up by up to half a fen a month
  compounds at the loan's rate; on long dear loans the balance can then run out an instalment
  early (the last one pays the rest): counted and reported. Its interest and principal rows are also compared with
  ``ipmt`` / ``ppmt``: they drift by design (interest is charged on the balance really left after
  rounded payments); the drift is reported, not a target.

Prints a Rich table and writes ``bench/results/issue15_reconcile.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import numpy as np
import numpy_financial as npf
from rich.console import Console
from rich.table import Table

from finguard.loans.model import closed_form
from finguard.loans.model.money import round_decimal
from finguard.loans.model.reconcile import float_to_fen
from finguard.loans.model.schedule import LoanTerms, compute

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results"

DOCUMENTED = [  # (annual rate, months, principal yuan, period, function, documented value) from numpy-financial's docs/tests
    ("0.075", 180, 200_000, None, "pmt", -1854.0247200054619),
    ("0.08", 60, 15_000, None, "pmt", -304.145914),
    ("0", 60, 15_000, None, "pmt", -250.0),
    ("0.1", 60, 55_000, 1, "ppmt", -710.25),
    ("0.1", 24, 2_000, 1, "ipmt", -16.67),
    ("0.23", 60, 10_000_000_000, 1, "ppmt", -90238044.232277036),
]

IPMT_TABLE = [  # npf.ipmt docstring: 2,500 at 8.24 % over 12 months: (ppmt, ipmt, balance)
    (-200.58, -17.17, 2299.42), (-201.96, -15.79, 2097.46), (-203.35, -14.40, 1894.11), (-204.74, -13.01, 1689.37),
    (-206.15, -11.60, 1483.22), (-207.56, -10.18, 1275.66), (-208.99, -8.76, 1066.67), (-210.42, -7.32, 856.25),
    (-211.87, -5.88, 644.38), (-213.32, -4.42, 431.05), (-214.79, -2.96, 216.26), (-216.26, -1.49, -0.00),
]


def documented_cases() -> dict[str, int]:
    compared = differences = 0
    for rate, months, yuan, period, what, documented in DOCUMENTED:
        r = Decimal(rate) / 12
        if what == "pmt":
            ours = round_decimal(closed_form.payment(yuan * 100, r, months))
        else:
            interest, principal = closed_form.split(yuan * 100, r, months, period)
            ours = round_decimal(interest if what == "ipmt" else principal)
        compared += 1
        differences += ours != float_to_fen(documented)[0]
    rows = closed_form.rounded_rows(250_000, Decimal("0.0824") / 12, 12)
    for (_, interest, principal, balance), (ppmt, ipmt, bal) in zip(rows, IPMT_TABLE, strict=True):
        for ours, theirs in ((principal, ppmt), (interest, ipmt), (balance, bal)):
            compared += 1
            differences += ours != float_to_fen(theirs)[0]
    return {"compared": compared, "differences": differences}


def random_loan(rng: random.Random) -> LoanTerms:
    principal = int(10 ** rng.uniform(5, 9))  # fen: 1,000.00 .. 10,000,000.00 yuan
    rate = Decimal(rng.randrange(0, 97)) * Decimal("0.0025") if rng.random() < 0.1 else Decimal(rng.randrange(0, 2401)) / 10_000
    return LoanTerms(principal, rate, rng.randint(1, 360), date(2020 + rng.randrange(6), rng.randint(1, 12), rng.randint(1, 28)))


def exact_rows(terms: LoanTerms) -> tuple[Decimal, list[tuple[Decimal, Decimal, Decimal]]]:
    """The unrounded annuity: payment, and per period (interest, principal, balance after)."""
    n = terms.term_months
    r = terms.annual_rate / 12
    with localcontext() as ctx:
        ctx.prec = 50
        pay = closed_form.payment(terms.principal_fen, r, n)
        balance = Decimal(terms.principal_fen)
        out = []
        for _ in range(n):
            interest = balance * r
            principal = pay - interest
            balance -= principal
            out.append((interest, principal, balance))
    return pay, out


def reconcile(loans: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    counts = {"loans": loans, "periods": 0, "closed_form_compared": 0, "closed_form_differences": 0, "ties": 0,
              "payments_compared": 0, "payment_differences": 0,
              "repaid_early_by_rounding": 0, "cash_rows_off_interest": 0, "cash_rows_off_principal": 0}
    max_drift = 0
    examples: list[dict[str, Any]] = []
    for _ in range(loans):
        terms = random_loan(rng)
        n = terms.term_months
        yuan = terms.principal_fen / 100  # numpy-financial's input; the amount is exact in a double (< 2^53 fen)
        r = float(terms.annual_rate) / 12
        per = np.arange(1, n + 1)
        theirs = {
            "pmt": np.full(n, npf.pmt(r, n, yuan)),
            "ipmt": npf.ipmt(r, per, n, yuan),
            "ppmt": npf.ppmt(r, per, n, yuan),
            "fv": npf.fv(r, per, npf.pmt(r, n, yuan), yuan),
        }
        pay, rows = exact_rows(terms)
        pay_fen = round_decimal(pay)
        counts["periods"] += n
        for k, (interest, principal, balance) in enumerate(rows):
            for name, ours in (("pmt", pay_fen), ("ipmt", round_decimal(interest)), ("ppmt", round_decimal(principal)),
                               ("fv", round_decimal(balance))):
                fen, tie = float_to_fen(theirs[name][k])
                if tie:
                    counts["ties"] += 1
                    continue
                counts["closed_form_compared"] += 1
                if fen != ours:
                    counts["closed_form_differences"] += 1
                    if len(examples) < 10:
                        examples.append({"terms": str(terms), "period": k + 1, "what": name, "ours": ours, "numpy": fen})
        schedule = compute(terms)
        counts["repaid_early_by_rounding"] += len(schedule.rows) < n
        for k, row in enumerate(schedule.rows):
            if k < len(schedule.rows) - 1:
                counts["payments_compared"] += 1
                counts["payment_differences"] += row.payment_fen != pay_fen
            interest_npf = float_to_fen(theirs["ipmt"][k])[0]
            principal_npf = float_to_fen(theirs["ppmt"][k])[0]
            counts["cash_rows_off_interest"] += row.interest_fen != interest_npf
            counts["cash_rows_off_principal"] += row.principal_fen != principal_npf
            max_drift = max(max_drift, abs(row.interest_fen - interest_npf), abs(row.principal_fen - principal_npf) if k < n - 1 else 0)
    counts["cash_max_row_drift_fen"] = max_drift
    counts["difference_examples"] = examples
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loans", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    started = time.perf_counter()
    documented = documented_cases()
    result = reconcile(args.loans, args.seed)
    seconds = time.perf_counter() - started
    table = Table(title=f"Loans #15: reconciliation with numpy-financial {npf.__version__}")
    for col in ("figure", "target", "measured", "met?"):
        table.add_column(col)
    rows = [
        ("documented cases: differences (fen)", "0", f"{documented['differences']} of {documented['compared']}",
         documented["differences"] == 0),
        ("random loans: closed form vs pmt/ipmt/ppmt/fv", "0",
         f"{result['closed_form_differences']} of {result['closed_form_compared']:,} ({result['ties']} ties apart)",
         result["closed_form_differences"] == 0),
        ("random loans: cash instalment vs round(pmt)", "0", f"{result['payment_differences']} of {result['payments_compared']:,}",
         result["payment_differences"] == 0),
        ("cash rows whose interest differs from ipmt", "(drift)",
         f"{result['cash_rows_off_interest']:,} of {result['periods']:,}", None),
        ("cash rows whose principal differs from ppmt", "(drift)",
         f"{result['cash_rows_off_principal']:,} of {result['periods']:,}", None),
        ("largest cash-row drift (fen)", "(reported)", str(result["cash_max_row_drift_fen"]), None),
        ("cash schedules ending an instalment early", "(reported)", str(result["repaid_early_by_rounding"]), None),
    ]
    for figure, target, measured, met in rows:
        table.add_row(figure, target, measured, "" if met is None else ("yes" if met else "NO"))
    console = Console()
    console.print(table)
    console.print(f"{args.loans:,} loans, {result['periods']:,} periods in {seconds:.1f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"issue": 15, "numpy_financial": npf.__version__, "seed": args.seed, "seconds": round(seconds, 1),
           "documented": documented, "random": result}
    (RESULTS / "issue15_reconcile.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
