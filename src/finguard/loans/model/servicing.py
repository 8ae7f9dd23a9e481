"""What a borrower has paid against a schedule: partial payments, arrears, days past due,
penalty interest and whether the arrears are reported overdue.

Payments go to the oldest instalment first (a payment before a due date pays it in advance).
Penalty interest follows the PBoC's rule for overdue loans: the contract rate plus a markup
(30-50 %, 50 % by default) on the overdue amount, interest included (复利 on unpaid interest),
for the days it stays unpaid. An instalment in a grace window (``Grace``) bears no penalty and
is not reported overdue until the window closes; the 2020 relief notices ask exactly this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from finguard.loans.model.daycount import year_fraction
from finguard.loans.model.money import round_fraction
from finguard.loans.model.schedule import Schedule

DEFAULT_PENALTY_MARKUP = Decimal("0.5")


@dataclass(frozen=True, slots=True)
class Payment:
    on: date
    amount_fen: int


@dataclass(frozen=True, slots=True)
class InstalmentStatus:
    number: int
    due: date
    due_fen: int
    paid_fen: int
    outstanding_fen: int
    days_past_due: int
    penalty_fen: int
    grace_until: date | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "due": self.due.isoformat(),
            "due_fen": self.due_fen,
            "paid_fen": self.paid_fen,
            "outstanding_fen": self.outstanding_fen,
            "days_past_due": self.days_past_due,
            "penalty_fen": self.penalty_fen,
            "grace_until": self.grace_until.isoformat() if self.grace_until else None,
        }


@dataclass(frozen=True, slots=True)
class Position:
    as_of: date
    instalments: tuple[InstalmentStatus, ...]
    arrears_fen: int
    days_past_due: int
    penalty_fen: int
    reported_overdue: bool
    paid_ahead_fen: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "arrears_fen": self.arrears_fen,
            "days_past_due": self.days_past_due,
            "penalty_fen": self.penalty_fen,
            "reported_overdue": self.reported_overdue,
            "paid_ahead_fen": self.paid_ahead_fen,
            "instalments": [i.as_dict() for i in self.instalments if i.due <= self.as_of or i.paid_fen],
        }


def position(schedule: Schedule, payments: Sequence[Payment], as_of: date, penalty_markup: Decimal = DEFAULT_PENALTY_MARKUP) -> Position:
    terms = schedule.terms
    rows = [r for r in schedule.rows if r.payment_fen > 0]
    outstanding = [r.payment_fen for r in rows]
    # per instalment: (date, amount) of each allocation, for the penalty's time segments
    allocations: list[list[tuple[date, int]]] = [[] for _ in rows]
    cursor = 0
    for payment in sorted((p for p in payments if p.on <= as_of), key=lambda p: p.on):
        left = payment.amount_fen
        while left and cursor < len(rows):
            take = min(left, outstanding[cursor])
            outstanding[cursor] -= take
            allocations[cursor].append((payment.on, take))
            left -= take
            if outstanding[cursor] == 0:
                cursor += 1
        if left:
            allocations.append([(payment.on, left)])  # overpaid beyond the whole schedule
    paid_ahead = sum(a for extra in allocations[len(rows):] for _, a in extra)
    statuses: list[InstalmentStatus] = []
    arrears = penalty_total = 0
    oldest_due: date | None = None
    reported = False
    for i, row in enumerate(rows):
        paid = row.payment_fen - outstanding[i]
        penalty = Fraction(0)
        start = max(row.due, row.grace_until) if row.grace_until else row.due
        owed = row.payment_fen
        rate = Fraction(row.rate) * (1 + Fraction(penalty_markup))
        cursor_date = start
        for on, amount in allocations[i]:
            if on > cursor_date:
                penalty += owed * rate * year_fraction(cursor_date, on, terms.day_count)
                cursor_date = on
            owed -= amount
        if owed and as_of > cursor_date:
            penalty += owed * rate * year_fraction(cursor_date, as_of, terms.day_count)
        penalty_fen = round_fraction(penalty)
        overdue = outstanding[i] if row.due < as_of else 0
        dpd = (as_of - row.due).days if overdue else 0
        if overdue:
            arrears += overdue
            oldest_due = oldest_due or row.due
            if not row.grace_until or as_of >= row.grace_until:
                reported = True
        penalty_total += penalty_fen
        statuses.append(InstalmentStatus(row.number, row.due, row.payment_fen, paid, outstanding[i], dpd, penalty_fen, row.grace_until))
    return Position(
        as_of=as_of,
        instalments=tuple(statuses),
        arrears_fen=arrears,
        days_past_due=(as_of - oldest_due).days if oldest_due else 0,
        penalty_fen=penalty_total,
        reported_overdue=reported,
        paid_ahead_fen=paid_ahead,
    )


def next_unpaid(schedule: Schedule, as_of: date) -> int:
    """The number of the first instalment due after ``as_of`` (where relief can start)."""
    for row in schedule.rows:
        if row.due > as_of:
            return row.number
    return len(schedule.rows)
