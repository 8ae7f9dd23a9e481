"""Payments against a schedule: partial payments, arrears, penalty interest, grace, reversible events.

Loan: 120,000.00 at 6 % over 12 months from 15 Jan 2024, equal principal, 30/360: 10,000.00
principal a month plus interest (600.00 in February).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from finguard.core.errors import Conflict, NotFound
from finguard.loans.model.events import ReliefEvent, active, check_reversible, next_version
from finguard.loans.model.relief import Grace, RateChange, replay
from finguard.loans.model.schedule import LoanTerms, Method, compute
from finguard.loans.model.servicing import Payment, next_unpaid, position

LOAN = LoanTerms(12_000_000, Decimal("0.06"), 12, date(2024, 1, 15), Method.EQUAL_PRINCIPAL)
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def test_paid_on_time_is_not_overdue():
    schedule = compute(LOAN)
    first, second = schedule.rows[0], schedule.rows[1]
    assert first.payment_fen == 1_060_000
    pos = position(schedule, [Payment(date(2024, 2, 15), 1_060_000), Payment(date(2024, 3, 15), second.payment_fen)], date(2024, 3, 20))
    assert pos.arrears_fen == 0
    assert pos.days_past_due == 0
    assert pos.penalty_fen == 0
    assert not pos.reported_overdue


def test_a_partial_payment_leaves_arrears_with_penalty_interest_on_them():
    """600.00 of 10,600.00 paid on 15 Feb; on 16 Mar, 10,000.00 is 30 days (30/360) overdue:
    penalty 10,000.00 x 6 % x 1.5 x 30/360 = 75.00."""
    schedule = compute(LOAN)
    pos = position(schedule, [Payment(date(2024, 2, 15), 60_000)], date(2024, 3, 15))
    first = pos.instalments[0]
    assert (first.paid_fen, first.outstanding_fen, first.days_past_due) == (60_000, 1_000_000, 29)
    assert first.penalty_fen == 7_500
    assert pos.reported_overdue
    assert pos.arrears_fen == 1_000_000  # the March instalment is due that day, not yet late


def test_a_late_payment_stops_the_penalty_when_it_arrives():
    schedule = compute(LOAN)
    pos = position(schedule, [Payment(date(2024, 2, 25), 1_060_000)], date(2024, 3, 1))
    assert pos.instalments[0].outstanding_fen == 0
    assert pos.instalments[0].penalty_fen == round(1_060_000 * 0.09 * 10 / 360)
    assert pos.arrears_fen == 0


def test_within_grace_no_penalty_and_not_reported():
    _, graced = replay(LOAN, [Grace(1, 2)])
    assert graced.rows[0].grace_until == date(2024, 4, 15)
    pos = position(graced, [], date(2024, 3, 20))
    assert pos.arrears_fen == 2 * 1_000_000 + 60_000 + 55_000
    assert pos.days_past_due == 34
    assert pos.penalty_fen == 0
    assert not pos.reported_overdue
    after = position(graced, [], date(2024, 4, 25))
    assert after.reported_overdue
    assert after.penalty_fen > 0


def test_next_unpaid():
    assert next_unpaid(compute(LOAN), date(2024, 3, 20)) == 3


def _event(version, change=None, reverses=None):
    return ReliefEvent("L1", version, change, reverses, "officer-1", T0)


def test_reversing_an_event_replays_without_it_and_keeps_history():
    events = [_event(1, Grace(3, 2)), _event(2, RateChange(4, Decimal("0.03")))]
    assert next_version(events) == 3
    check_reversible(events, 2)
    events.append(_event(3, reverses=2))
    assert [e.version for e in active(events)] == [1]
    with pytest.raises(Conflict):
        check_reversible(events, 2)  # already reversed
    with pytest.raises(Conflict):
        check_reversible(events, 3)  # a reversal is not reversed; the change is applied again
    with pytest.raises(NotFound):
        check_reversible(events, 9)
    assert len(events) == 3  # nothing removed
