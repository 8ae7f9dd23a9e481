"""Repayment schedules in whole fen: equal instalment (等额本息), equal principal (等额本金),
interest-only and bullet, under ACT/360, ACT/365 or 30/360.

A schedule is computed from a *plan*: one ``Period`` per instalment, each spanning two points
of the loan's monthly grid (``add_months(start, i)``) with its mode (amortise, interest-only, a
deferral treatment), its annual rate and flags. The terms give the base plan; relief events
(``relief.py``) rewrite the plan, never the rows, so a schedule is always reproducible from the
terms and the events.

Rounding: each period's interest is the exact product ``balance x rate x year fraction`` rounded
half up to the fen; the equal instalment is the exact annuity for the remaining periods rounded
half up; the last instalment takes whatever balance is left, so principal always sums exactly to
the amount lent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from operator import attrgetter
from typing import Any

from finguard.core.errors import FieldProblem, InvalidInput
from finguard.loans.model.daycount import DayCount, add_months, day_parts
from finguard.loans.model.money import round_decimal

MAX_TERM_MONTHS = 600
MIN_YEAR, MAX_YEAR = 1950, 2200  # with every extension and deferral, due dates stay far inside what a date can hold
MAX_PRINCIPAL_FEN = 10**15  # ten trillion yuan: far beyond any loan, small enough to stay exact in JSON


class Method(StrEnum):
    EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_ONLY = "interest_only"  # 按月付息，到期还本
    BULLET = "bullet"  # 到期一次还本付息


class Mode(StrEnum):
    """What an instalment does with the period's interest and principal."""

    AMORTISE = "amortise"  # interest and principal are due
    INTEREST_ONLY = "interest_only"  # interest is due, principal is not
    DEFER_CAPITALISE = "defer_capitalise"  # nothing is debited; interest is added to principal
    DEFER_INTEREST_FREE = "defer_interest_free"  # nothing is debited; interest is paid later, without interest on it
    DEFER_WAIVE = "defer_waive"  # nothing is debited; interest is forgiven


DEFERRED_MODES = frozenset({Mode.DEFER_CAPITALISE, Mode.DEFER_INTEREST_FREE, Mode.DEFER_WAIVE})
PAYING_MODES = frozenset({Mode.AMORTISE, Mode.INTEREST_ONLY})


@dataclass(frozen=True, slots=True)
class LoanTerms:
    principal_fen: int
    annual_rate: Decimal
    term_months: int
    start: date
    method: Method = Method.EQUAL_INSTALMENT
    day_count: DayCount = DayCount.THIRTY_360

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        if isinstance(self.principal_fen, bool) or not isinstance(self.principal_fen, int):
            problems.append(FieldProblem("principal_fen", "must be an integer number of fen"))
        elif not 0 < self.principal_fen <= MAX_PRINCIPAL_FEN:
            problems.append(FieldProblem("principal_fen", f"must be between 1 and {MAX_PRINCIPAL_FEN} fen"))
        if not isinstance(self.annual_rate, Decimal) or not self.annual_rate.is_finite():
            problems.append(FieldProblem("annual_rate", "must be a Decimal (a float is refused)"))
        elif not Decimal(0) <= self.annual_rate < Decimal(1):
            problems.append(FieldProblem("annual_rate", "must be in [0, 1), e.g. 0.0435 for 4.35%"))
        if isinstance(self.term_months, bool) or not isinstance(self.term_months, int) or not 1 <= self.term_months <= MAX_TERM_MONTHS:
            problems.append(FieldProblem("term_months", f"must be an integer between 1 and {MAX_TERM_MONTHS}"))
        if not isinstance(self.start, date) or not MIN_YEAR <= self.start.year <= MAX_YEAR:
            problems.append(FieldProblem("start", f"must be a date in the years {MIN_YEAR} to {MAX_YEAR}"))
        if problems:
            raise InvalidInput("invalid loan terms", problems=problems)

    @property
    def maturity(self) -> date:
        return add_months(self.start, self.term_months)


@dataclass(frozen=True, slots=True)
class Period:
    """One instalment of a plan: grid points ``start``..``end`` (months from the loan's start)."""

    start: int
    end: int
    mode: Mode
    rate: Decimal
    reamortise: bool = False  # solve the instalment again from here (after relief, a rate change...)
    prepay_fen: int = 0  # paid on top of this instalment, straight off the principal
    grace_months: int = 0  # a late payment of this instalment is neither penalised nor reported for this long


Plan = tuple[Period, ...]


@dataclass(frozen=True, slots=True)
class Instalment:
    number: int
    due: date
    mode: Mode
    rate: Decimal
    opening_fen: int
    interest_fen: int  # accrued in the period
    interest_due_fen: int  # of which debited now
    capitalised_fen: int  # of which added to principal
    deferred_fen: int  # of which paid later (no interest on it)
    waived_fen: int  # of which forgiven
    principal_fen: int
    deferred_paid_fen: int  # earlier deferred interest debited now
    prepaid_fen: int
    payment_fen: int  # everything debited on the due date
    closing_fen: int
    grace_until: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "due": self.due.isoformat(),
            "mode": self.mode.value,
            "rate": str(self.rate),
            "opening_fen": self.opening_fen,
            "interest_fen": self.interest_fen,
            "interest_due_fen": self.interest_due_fen,
            "capitalised_fen": self.capitalised_fen,
            "deferred_fen": self.deferred_fen,
            "waived_fen": self.waived_fen,
            "principal_fen": self.principal_fen,
            "deferred_paid_fen": self.deferred_paid_fen,
            "prepaid_fen": self.prepaid_fen,
            "payment_fen": self.payment_fen,
            "closing_fen": self.closing_fen,
            "grace_until": self.grace_until.isoformat() if self.grace_until else None,
        }


@dataclass(frozen=True, slots=True)
class Schedule:
    terms: LoanTerms
    plan: Plan
    rows: tuple[Instalment, ...]
    totals: dict[str, int] = field(default_factory=dict)
    # after each row: (balance, deferred bucket, bucket share per instalment, respread?, payment);
    # a later change resumes from here, so the instalments before it never move
    states: tuple[tuple[int, int, int, bool, int], ...] = ()

    @property
    def maturity(self) -> date:
        return self.rows[-1].due

    def as_dict(self) -> dict[str, Any]:
        return {
            "principal_fen": self.terms.principal_fen,
            "annual_rate": str(self.terms.annual_rate),
            "term_months": self.terms.term_months,
            "start": self.terms.start.isoformat(),
            "method": self.terms.method.value,
            "day_count": self.terms.day_count.value,
            "maturity": self.maturity.isoformat(),
            "totals": dict(self.totals),
            "rows": [r.as_dict() for r in self.rows],
        }


def base_plan(terms: LoanTerms) -> Plan:
    n = terms.term_months
    if terms.method is Method.BULLET:
        return (Period(0, n, Mode.AMORTISE, terms.annual_rate),)
    mode = Mode.INTEREST_ONLY if terms.method is Method.INTEREST_ONLY else Mode.AMORTISE
    periods = [Period(i, i + 1, mode, terms.annual_rate) for i in range(n - 1)]
    periods.append(Period(n - 1, n, Mode.AMORTISE, terms.annual_rate))
    return tuple(periods)


@lru_cache(maxsize=1024)
def _rate_parts(rate: Decimal) -> tuple[int, int]:
    f = Fraction(rate)
    return f.numerator, f.denominator


def _factor(rate: Decimal, start: date, end: date, convention: DayCount) -> tuple[int, int]:
    """The period's interest per fen, ``rate x year fraction``, as an exact (numerator, denominator)."""
    rn, rd = _rate_parts(rate)
    days, basis = day_parts(start, end, convention)
    return rn * days, rd * basis


@lru_cache(maxsize=4096)
def _grid(start: date, months: int) -> tuple[date, ...]:
    return tuple(add_months(start, i) for i in range(months + 1))


@lru_cache(maxsize=4096)
def _grid_days(start: date, months: int, convention: DayCount) -> tuple[tuple[int, int], ...]:
    """``day_parts`` of each month of the grid (point i to i+1), computed once per loan start."""
    dates = _grid(start, months)
    return tuple(day_parts(dates[i], dates[i + 1], convention) for i in range(months))


def grid_dates(terms: LoanTerms, plan: Plan) -> tuple[date, ...]:
    return _grid(terms.start, max(p.end for p in plan))


def _plan_factors(plan: Sequence[Period], dates: Sequence[date], convention: DayCount, first: int = 0) -> list[tuple[int, int]]:
    """``_factor`` of each period of ``plan`` from index ``first`` on (a one-month period reads the
    cached day count of its grid month; the same integers either way)."""
    months = _grid_days(dates[0], len(dates) - 1, convention)
    out: list[tuple[int, int]] = []
    for p in plan[first:] if first else plan:
        rn, rd = _rate_parts(p.rate)
        if p.end == p.start + 1:
            days, basis = months[p.start]
        else:
            days, basis = day_parts(dates[p.start], dates[p.end], convention)
        out.append((rn * days, rd * basis))
    return out


def _solve(plan: Sequence[Period], factors: Sequence[tuple[int, int]], balance: int, method: Method) -> int:
    """The constant instalment (or constant principal) that repays ``balance`` over ``plan``
    (``factors``: each period's ``_factor``, in the same order).

    For an annuity the closing balance after the remaining periods is ``a*B - s*pay`` (linear in
    the payment); solving ``= 0`` exactly in 40-digit decimals and rounding gives the payment.
    """
    if method is Method.EQUAL_PRINCIPAL:
        count = sum(1 for p in plan if p.mode is _AMORTISE)
        return balance // count if count else balance
    with localcontext() as ctx:
        ctx.prec = 40
        a = Decimal(1)
        s = Decimal(0)
        for p, (num, den) in zip(plan, factors, strict=True):
            mode = p.mode
            if mode is _AMORTISE:
                growth = 1 + Decimal(num) / Decimal(den)
                a *= growth
                s = s * growth + 1
            elif mode is _CAPITALISE:
                growth = 1 + Decimal(num) / Decimal(den)
                a *= growth
                s *= growth
        if s == 0:
            return 0
        return round_decimal(a * balance / s)


_AMORTISE, _CAPITALISE = Mode.AMORTISE, Mode.DEFER_CAPITALISE
_INTEREST_FREE, _WAIVE = Mode.DEFER_INTEREST_FREE, Mode.DEFER_WAIVE


def compute(terms: LoanTerms, plan: Plan | None = None, prior: Schedule | None = None, resume: int = 0) -> Schedule:
    """The schedule of ``terms`` under ``plan`` (the base plan when omitted).

    With ``prior`` and ``resume`` = k, the first k instalments and the state after them are
    taken from ``prior``: a change that starts at instalment k+1 leaves what came before it as
    it was (the instalment amount in force then included), which solving the whole new plan
    from the start would not.
    """
    plan = base_plan(terms) if plan is None else plan
    dates = grid_dates(terms, plan)
    equal_principal = terms.method is Method.EQUAL_PRINCIPAL
    rows: list[Instalment] = []
    states: list[tuple[int, int, int, bool, int]] = []
    if prior is not None and resume > 0:
        rows = list(prior.rows[:resume])
        states = list(prior.states[:resume])
        balance, bucket, bucket_per, respread, payment = states[-1]
    else:
        resume = 0
        balance, bucket, bucket_per, respread, payment = terms.principal_fen, 0, 0, False, 0
    factors = _plan_factors(plan, dates, terms.day_count, resume)  # factors[j] belongs to plan[resume + j]
    last = len(plan) - 1
    for i in range(resume, len(plan)):
        p = plan[i]
        if i and balance == 0 and bucket == 0:
            break  # repaid early (a prepayment that shortened the term)
        if i == 0 or p.reamortise:
            payment = _solve(plan[i:], factors[i - resume:], balance, terms.method)
        num, den = factors[i - resume]
        interest = (2 * balance * num + den) // (2 * den)  # balance >= 0, so this is half up
        opening = balance
        mode = p.mode
        interest_due = capitalised = deferred = waived = principal = deferred_paid = 0
        if mode is _CAPITALISE:
            capitalised = interest
            balance += interest
        elif mode is _INTEREST_FREE:
            deferred = interest
            bucket += interest
            respread = True
        elif mode is _WAIVE:
            waived = interest
        else:
            interest_due = interest
            if i == last:
                principal = balance
            elif mode is _AMORTISE:
                due = payment if equal_principal else payment - interest
                principal = due if 0 <= due <= balance else (0 if due < 0 else balance)
            balance -= principal
            if bucket:
                if respread:
                    paying = sum(1 for q in plan[i:] if q.mode in PAYING_MODES)
                    bucket_per = -(-bucket // paying)
                    respread = False
                deferred_paid = bucket if i == last else min(bucket_per, bucket)
                bucket -= deferred_paid
        prepaid = p.prepay_fen if p.prepay_fen < balance else balance
        balance -= prepaid
        if balance == 0 and bucket and mode in PAYING_MODES:
            deferred_paid += bucket  # the loan is closing: what was deferred is due with it
            bucket = 0
        due_date = dates[p.end]
        # positional: the generated __init__ takes keywords at twice the cost, and there are millions of rows
        rows.append(Instalment(i + 1, due_date, mode, p.rate, opening, interest, interest_due, capitalised, deferred, waived, principal,
                         deferred_paid, prepaid, interest_due + principal + deferred_paid + prepaid, balance,
                         add_months(due_date, p.grace_months) if p.grace_months else None))
        states.append((balance, bucket, bucket_per, respread, payment))
    totals = {key: sum(map(get, rows)) for key, get in _TOTAL_GETTERS}
    return Schedule(terms, plan, tuple(rows), totals, tuple(states))


TOTAL_KEYS = ("interest_fen", "interest_due_fen", "capitalised_fen", "deferred_fen", "waived_fen", "principal_fen",
              "deferred_paid_fen", "prepaid_fen", "payment_fen")


_TOTAL_GETTERS = tuple((key, attrgetter(key)) for key in TOTAL_KEYS)
