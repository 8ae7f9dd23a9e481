"""Schedules in whole fen, reconciled with numpy-financial.

numpy-financial computes in floats; we compute exactly (fractions and 40/50-digit decimals) and
round half up to the fen. The closed-form figures must agree to the fen on numpy-financial's own
documented cases and on random loans; the cash schedule must debit numpy-financial's payment,
rounded, every month but the last, which takes what is left.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finguard.core.errors import InvalidInput
from finguard.core.money import parse_money
from finguard.loans.model import closed_form
from finguard.loans.model.daycount import DayCount, add_months, year_fraction
from finguard.loans.model.money import parse_rate, round_fraction
from finguard.loans.model.reconcile import float_to_fen
from finguard.loans.model.schedule import Instalment, LoanTerms, Method, compute

START = date(2024, 1, 15)

# numpy-financial's documented values: (annual rate, months, principal in yuan, period, what, value)
NPF_DOCUMENTED = [
    ("0.075", 180, 200_000, None, "pmt", -1854.0247200054619),  # pmt docstring
    ("0.08", 60, 15_000, None, "pmt", -304.145914),  # test_pmt
    ("0", 60, 15_000, None, "pmt", -250.0),  # test_pmt, zero rate
    ("0.1", 60, 55_000, 1, "ppmt", -710.25),  # test_ppmt
    ("0.1", 24, 2_000, 1, "ipmt", -16.67),  # test_ipmt
    ("0.23", 60, 10_000_000_000, 1, "ppmt", -90238044.232277036),  # test_ppmt_special_rate
]


def _fen(value: float) -> int:
    return float_to_fen(value)[0]


@pytest.mark.parametrize(("rate", "months", "yuan", "period", "what", "documented"), NPF_DOCUMENTED)
def test_closed_form_matches_numpy_financial_documented_cases(rate, months, yuan, period, what, documented):
    r = Decimal(rate) / 12
    principal = yuan * 100
    if what == "pmt":
        ours = closed_form.payment(principal, r, months)
        theirs = npf.pmt(float(rate) / 12, months, yuan)
    else:
        interest, principal_part = closed_form.split(principal, r, months, period)
        ours = interest if what == "ipmt" else principal_part
        theirs = getattr(npf, what)(float(rate) / 12, period, months, yuan)
    assert round(ours) == _fen(theirs) == _fen(documented)


IPMT_DOCSTRING_TABLE = """
 1  -200.58   -17.17  2299.42
 2  -201.96   -15.79  2097.46
 3  -203.35   -14.40  1894.11
 4  -204.74   -13.01  1689.37
 5  -206.15   -11.60  1483.22
 6  -207.56   -10.18  1275.66
 7  -208.99    -8.76  1066.67
 8  -210.42    -7.32   856.25
 9  -211.87    -5.88   644.38
10  -213.32    -4.42   431.05
11  -214.79    -2.96   216.26
12  -216.26    -1.49    -0.00
"""


def _table() -> list[tuple[int, int, int]]:
    out = []
    for line in IPMT_DOCSTRING_TABLE.strip().splitlines():
        _, ppmt, ipmt, balance = line.split()
        fen = [parse_money(x.lstrip("-"), allow_zero=True).minor for x in (ppmt, ipmt, balance)]
        out.append((-fen[0], -fen[1], fen[2]))
    return [(-p, -i, b) for p, i, b in out]


def test_ipmt_docstring_table_to_the_fen():
    """npf.ipmt's docstring: 2,500 at 8.24 % a year over 12 months: principal, interest and
    balance of every month. The closed form gives the whole table.

    The table is not a payable schedule: month 6 is 207.56 + 10.18 = 217.74 while the payment is
    217.75. The cash schedule debits 217.75 and charges interest on the balance really left: its
    interest and principal stay within a fen of the table, its balance falls by the payment's
    rounding (0.46 fen a month) faster, and the last month takes what is left."""
    table = _table()
    rows = closed_form.rounded_rows(250_000, Decimal("0.0824") / 12, 12)
    assert [(r[2], r[1], r[3]) for r in rows] == table
    schedule = compute(LoanTerms(250_000, Decimal("0.0824"), 12, START)).rows
    assert {r.payment_fen for r in schedule[:-1]} == {21_775}
    for row, (principal, interest, balance) in zip(schedule[:-1], table[:-1], strict=True):
        assert abs(row.principal_fen - principal) <= 1
        assert abs(row.interest_fen - interest) <= 1
        assert 0 <= balance - row.closing_fen <= (row.number + 1) // 2
    assert schedule[-1].closing_fen == 0


def test_a_schedule_debits_the_rounded_annuity_and_the_last_instalment_takes_the_rest():
    terms = LoanTerms(20_000_000, Decimal("0.075"), 180, START)
    schedule = compute(terms)
    assert len(schedule.rows) == 180
    assert {r.payment_fen for r in schedule.rows[:-1]} == {185_402}  # npf: 1854.0247...
    assert schedule.totals["principal_fen"] == 20_000_000
    assert schedule.rows[-1].closing_fen == 0
    assert abs(schedule.rows[-1].payment_fen - 185_402) < 180  # the rounding residue of 179 payments


@settings(max_examples=150, deadline=None)
@given(
    yuan=st.integers(1_000, 10_000_000),
    rate_bp=st.integers(0, 2400),
    months=st.integers(1, 360),
    day=st.integers(1, 28),
)
def test_random_loans_reconcile_with_numpy_financial(yuan, rate_bp, months, day):
    """For any loan (30/360, a start day <= 28, so every month is exactly 1/12 year):
    the instalment is numpy-financial's pmt to the fen, and so are ipmt, ppmt and the balance
    of a sample of periods; the schedule charges exactly round(balance x rate / 12)."""
    rate = Decimal(rate_bp) / 10_000
    principal = yuan * 100
    terms = LoanTerms(principal, rate, months, date(2023, 3, day))
    schedule = compute(terms)
    r = float(rate) / 12
    expected_payment, tie = float_to_fen(npf.pmt(r, months, yuan))
    if not tie:
        assert all(row.payment_fen == expected_payment for row in schedule.rows[:-1])
    for k in sorted({1, (months + 1) // 2, months}):
        interest, principal_part = closed_form.split(principal, rate / 12, months, k)
        for ours, theirs in ((interest, npf.ipmt(r, k, months, yuan)), (principal_part, npf.ppmt(r, k, months, yuan))):
            fen, near_tie = float_to_fen(theirs)
            if not near_tie:
                assert round(ours) == fen
    for row in schedule.rows:
        assert row.interest_fen == round_fraction(Fraction(row.opening_fen) * Fraction(rate) / 12)
    assert schedule.totals["principal_fen"] == principal
    assert schedule.rows[-1].closing_fen == 0


def test_equal_principal_repays_the_same_principal_each_month():
    """等额本金: 120,000.00 over 12 months, 3.65 % ACT/365: 10,000.00 principal a month and
    interest on the falling balance for the actual days."""
    terms = LoanTerms(12_000_000, Decimal("0.0365"), 12, date(2024, 1, 1), Method.EQUAL_PRINCIPAL, DayCount.ACT_365)
    rows = compute(terms).rows
    assert [r.principal_fen for r in rows] == [1_000_000] * 12
    assert rows[0].interest_fen == 12_000_000 * 365 * 31 // (10_000 * 365)  # 31 days of January: 37,200 fen
    assert rows[1].interest_fen == round_fraction(Fraction(11_000_000) * Fraction("0.0365") * Fraction(29, 365))  # leap February


def test_interest_only_and_bullet():
    io = compute(LoanTerms(1_000_000, Decimal("0.06"), 6, START, Method.INTEREST_ONLY)).rows
    assert [r.payment_fen for r in io] == [5_000] * 5 + [1_005_000]
    bullet = compute(LoanTerms(1_000_000, Decimal("0.06"), 6, START, Method.BULLET)).rows
    assert len(bullet) == 1
    assert bullet[0].due == date(2024, 7, 15)
    assert bullet[0].payment_fen == 1_030_000  # 6 % x 6/12 simple interest


def test_act_360_charges_more_than_act_365_for_the_same_days():
    base = dict(principal_fen=10_000_000, annual_rate=Decimal("0.05"), term_months=12, start=START)
    a360 = compute(LoanTerms(**base, day_count=DayCount.ACT_360))
    a365 = compute(LoanTerms(**base, day_count=DayCount.ACT_365))
    assert a360.totals["interest_fen"] > a365.totals["interest_fen"]
    assert a360.totals["principal_fen"] == a365.totals["principal_fen"] == 10_000_000


def test_day_counts():
    assert year_fraction(date(2024, 1, 31), date(2024, 2, 29), DayCount.ACT_360) == Fraction(29, 360)
    assert year_fraction(date(2024, 1, 31), date(2024, 3, 31), DayCount.THIRTY_360) == Fraction(60, 360)
    assert year_fraction(date(2024, 1, 15), date(2024, 2, 15), DayCount.THIRTY_360) == Fraction(1, 12)
    assert year_fraction(date(2023, 1, 1), date(2024, 1, 1), DayCount.ACT_365) == 1
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_money_is_never_a_float():
    """Every amount in a row is an int of fen and every rate a Decimal."""
    row = compute(LoanTerms(1_000_000, Decimal("0.0435"), 12, START)).rows[3]
    for f in dataclasses.fields(Instalment):
        value = getattr(row, f.name)
        assert not isinstance(value, float), f.name
    with pytest.raises(InvalidInput) as err:
        LoanTerms(1_000_000, 0.0435, 12, START)  # type: ignore[arg-type]
    assert err.value.problems[0].field == "annual_rate"


def test_bad_terms_name_every_field():
    with pytest.raises(InvalidInput) as err:
        LoanTerms(0, Decimal("1.5"), 0, START)
    assert {p.field for p in err.value.problems} == {"principal_fen", "annual_rate", "term_months"}


def test_loan_amounts_go_through_the_one_money_parser():
    """Principal and credit are parsed by finguard.core.money: two decimals at most, no float."""
    from finguard.loans.model.loan import terms_from

    base = {"annual_rate": "4%", "term_months": 12, "start": "2024-01-15"}
    assert terms_from({**base, "principal": "4,000.50"}).principal_fen == 400_050
    for bad in ("1.234", "abc", "NaN", "", "0"):
        with pytest.raises(InvalidInput) as err:
            terms_from({**base, "principal": bad})
        assert err.value.problems[0].field == "principal"


def test_rates_parse_as_decimals():
    assert parse_rate("4.35%") == Decimal("0.0435")
    assert parse_rate("0.0435") == Decimal("0.0435")
    with pytest.raises(ValueError):
        parse_rate("150%")
