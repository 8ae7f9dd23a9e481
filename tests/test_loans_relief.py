"""Relief as changes to a schedule, each with its NPV cost at the original rate.

The loan in most cases: 1,000,000.00 yuan at 4.35 % over 36 months from 15 Jan 2020, equal
instalments of 29,679.93 (30/360). Relief starts at instalment 3 (due 15 Apr 2020).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finguard.core.errors import InvalidInput
from finguard.loans.model.daycount import DayCount
from finguard.loans.model.relief import (
    CreditReport,
    Deferral,
    Extension,
    Grace,
    Prepayment,
    RateChange,
    Treatment,
    assess,
    change_as_dict,
    change_from_dict,
    extension_cap_months,
    replay,
)
from finguard.loans.model.schedule import LoanTerms, Method, Mode

LOAN = LoanTerms(100_000_000, Decimal("0.0435"), 36, date(2020, 1, 15))


def _before_after(change, terms=LOAN):
    before, after = replay(terms, [change])
    return before, after, assess(before, after, change)


def test_relief_never_moves_the_instalments_before_it():
    for change in (Deferral(3, 3, Treatment.CAPITALISE), Extension(3, 12), RateChange(3, Decimal("0.03")), Grace(3, 2, True)):
        before, after, _ = _before_after(change)
        assert after.rows[:2] == before.rows[:2]


def test_deferral_with_capitalised_interest_costs_nothing_at_the_contract_rate():
    """Three months without debits; the interest is added to principal; the rest moves three
    months later. At the contract rate that is worth the same (to rounding)."""
    before, after, cost = _before_after(Deferral(3, 3, Treatment.CAPITALISE))
    assert [r.payment_fen for r in after.rows[2:5]] == [0, 0, 0]
    assert [r.mode for r in after.rows[2:5]] == [Mode.DEFER_CAPITALISE] * 3
    assert after.rows[4].closing_fen == before.rows[1].closing_fen + sum(r.capitalised_fen for r in after.rows[2:5])
    assert after.maturity == date(2023, 4, 15)
    assert abs(cost.loss_fen) <= 5
    assert not cost.distressed
    assert cost.credit_report is CreditReport.RELIEF_NOT_OVERDUE


def test_deferral_interest_free_spreads_the_deferred_interest_without_interest_on_it():
    _, after, cost = _before_after(Deferral(3, 3, Treatment.INTEREST_FREE))
    deferred = sum(r.deferred_fen for r in after.rows)
    assert deferred == 3 * 343_576  # interest on the unchanged balance of 947,795.69
    assert sum(r.deferred_paid_fen for r in after.rows) == deferred
    assert after.totals["principal_fen"] == LOAN.principal_fen
    assert 0 < cost.loss_fen < 100_000  # the bank loses the time value of the deferred interest only
    assert not cost.distressed


def test_a_waived_deferral_of_three_months_is_a_distressed_restructuring():
    """Forgiving three months' interest (10,307.28 yuan) of 947,795.69 is more than 1 % of NPV."""
    _, after, cost = _before_after(Deferral(3, 3, Treatment.WAIVE))
    assert after.totals["waived_fen"] == 3 * 343_576
    assert cost.loss_ratio == Decimal("0.010797")
    assert cost.distressed
    assert cost.credit_report is CreditReport.RELIEF_NOT_OVERDUE  # policy relief is still not reported overdue


def test_deferral_without_moving_the_maturity_is_caught_up():
    _, after, _ = _before_after(Deferral(3, 3, Treatment.WAIVE, shift_maturity=False))
    assert len(after.rows) == 36
    assert after.rows[5].payment_fen > after.rows[1].payment_fen


def test_grace_keeps_the_debits_and_marks_the_window():
    before, after, cost = _before_after(Grace(3, 2))
    assert [r.payment_fen for r in after.rows] == [r.payment_fen for r in before.rows]
    assert after.rows[2].grace_until == date(2020, 6, 15)
    assert after.rows[3].grace_until == date(2020, 6, 15)
    assert after.rows[4].grace_until is None
    assert cost.loss_fen == 0


def test_principal_grace_is_interest_only_then_re_spread():
    _, after, cost = _before_after(Grace(3, 3, principal_only=True))
    assert [r.principal_fen for r in after.rows[2:5]] == [0, 0, 0]
    assert all(r.interest_due_fen == r.interest_fen > 0 for r in after.rows[2:5])
    assert len(after.rows) == 36
    assert abs(cost.loss_fen) <= 5


@pytest.mark.parametrize(("months", "cap"), [(6, 6), (12, 12), (13, 6), (36, 18), (60, 30), (61, 36), (360, 36)])
def test_extension_caps_of_the_general_rules_for_loans(months, cap):
    """贷款通则 art. 12: short-term loans (<= 1 year) up to the original term; medium-term
    (<= 5 years) up to half of it; long-term up to three years."""
    assert extension_cap_months(months) == cap


def test_extensions_are_capped_in_total():
    replay(LOAN, [Extension(3, 10), Extension(5, 8)])  # 18 months: half of 36
    with pytest.raises(InvalidInput) as err:
        replay(LOAN, [Extension(3, 10), Extension(5, 9)])
    assert err.value.problems[0].field == "months"
    assert "贷款通则" in err.value.problems[0].problem


def test_extension_lowers_the_instalment_and_is_reported_as_extended():
    before, after, cost = _before_after(Extension(3, 18))
    assert len(after.rows) == 54
    assert after.rows[2].payment_fen < before.rows[2].payment_fen
    assert cost.credit_report is CreditReport.EXTENDED


def test_rate_cut_costs_its_npv_and_a_deep_one_is_distressed():
    _, _, small = _before_after(RateChange(3, Decimal("0.0385")))
    assert 0 < small.loss_ratio <= Decimal("0.01")
    assert small.credit_report is CreditReport.NORMAL
    _, _, deep = _before_after(RateChange(3, Decimal("0.01")))
    assert deep.distressed
    assert deep.credit_report is CreditReport.RESTRUCTURED


def test_prepayment_shortens_the_term_or_lowers_the_instalment():
    _, shorter, _ = _before_after(Prepayment(3, 10_000_000))
    assert len(shorter.rows) < 36
    assert shorter.totals["principal_fen"] + shorter.totals["prepaid_fen"] == LOAN.principal_fen
    _, lower, _ = _before_after(Prepayment(3, 10_000_000, reduce="payment"))
    assert len(lower.rows) == 36
    assert lower.rows[3].payment_fen < lower.rows[1].payment_fen


def test_changes_chain_and_each_starts_from_the_schedule_before_it():
    schedules = replay(LOAN, [Deferral(3, 3, Treatment.INTEREST_FREE), RateChange(10, Decimal("0.03")), Extension(12, 6)])
    assert len(schedules) == 4
    assert schedules[2].rows[:9] == schedules[1].rows[:9]
    assert schedules[3].rows[:11] == schedules[2].rows[:11]
    assert len(schedules[3].rows) == 36 + 3 + 6
    last = schedules[-1]
    assert last.totals["deferred_paid_fen"] == last.totals["deferred_fen"]
    assert last.rows[-1].closing_fen == 0


def test_bullet_loans_cannot_be_deferred_but_can_be_extended():
    bullet = LoanTerms(1_000_000, Decimal("0.05"), 6, date(2024, 1, 10), Method.BULLET)
    with pytest.raises(InvalidInput):
        replay(bullet, [Deferral(1, 2, Treatment.WAIVE)])
    _, after = replay(bullet, [Extension(1, 6)])
    assert after.rows[-1].due == date(2025, 1, 10)
    assert after.rows[-1].payment_fen == 1_050_000


def test_a_change_at_a_missing_instalment_names_the_field():
    with pytest.raises(InvalidInput) as err:
        replay(LOAN, [Grace(40, 1)])
    assert err.value.problems[0].field == "start"


@pytest.mark.parametrize(
    "change",
    [
        Deferral(3, 3, Treatment.WAIVE, False),
        Grace(2, 1, True),
        Extension(4, 5),
        RateChange(6, Decimal("0.031")),
        Prepayment(2, 500, "payment"),
    ],
)
def test_changes_round_trip_as_data(change):
    assert change_from_dict(change_as_dict(change)) == change


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "holiday"}, "kind"),
        ({"kind": "deferral", "start": 1, "months": 3, "treatment": "forget"}, "treatment"),
        ({"kind": "deferral", "start": 0, "months": 3, "treatment": "waive"}, "start"),
        ({"kind": "rate_change", "start": 1, "annual_rate": 0.03}, "annual_rate"),
        ({"kind": "grace", "start": 1, "months": True}, "months"),
    ],
)
def test_bad_changes_name_the_field(data, field):
    with pytest.raises(InvalidInput) as err:
        change_from_dict(data)
    assert err.value.problems[0].field == field


changes = st.one_of(
    st.builds(Deferral, st.integers(1, 40), st.integers(1, 12), st.sampled_from(list(Treatment)), st.booleans()),
    st.builds(Grace, st.integers(1, 40), st.integers(1, 6), st.booleans()),
    st.builds(Extension, st.integers(1, 40), st.integers(1, 12)),
    st.builds(RateChange, st.integers(1, 40), st.integers(0, 1500).map(lambda bp: Decimal(bp) / 10_000)),
    st.builds(Prepayment, st.integers(1, 40), st.integers(1, 5_000_000), st.sampled_from(["term", "payment"])),
)


@settings(max_examples=200, deadline=None)
@given(
    principal=st.integers(100_000, 500_000_000),
    rate_bp=st.integers(0, 1500),
    months=st.integers(1, 48),
    method=st.sampled_from(list(Method)),
    day_count=st.sampled_from(list(DayCount)),
    chain=st.lists(changes, min_size=1, max_size=3),
)
def test_any_chain_of_changes_keeps_the_books_straight(principal, rate_bp, months, method, day_count, chain):
    """Whatever relief is applied (or refused with a field named): the balance ends at zero,
    principal repaid = lent + capitalised, deferred interest is all paid later, every row's
    accrued interest is split exactly, nothing before a change moves, and no amount is negative."""
    terms = LoanTerms(principal, Decimal(rate_bp) / 10_000, months, date(2021, 5, 20), method, day_count)
    applied = []
    for change in chain:
        try:
            replay(terms, [*applied, change])
        except InvalidInput as exc:
            assert exc.problems and exc.problems[0].field
            continue
        applied.append(change)
    schedules = replay(terms, applied)
    for change, before, after in zip(applied, schedules, schedules[1:], strict=False):
        assert after.rows[: change.start - 1] == before.rows[: change.start - 1]
    final = schedules[-1]
    t = final.totals
    assert final.rows[-1].closing_fen == 0
    assert t["principal_fen"] + t["prepaid_fen"] == principal + t["capitalised_fen"]
    assert t["deferred_paid_fen"] == t["deferred_fen"]
    for row in final.rows:
        assert row.interest_fen == row.interest_due_fen + row.capitalised_fen + row.deferred_fen + row.waived_fen
        assert min(row.interest_fen, row.principal_fen, row.payment_fen, row.closing_fen, row.deferred_paid_fen) >= 0
        assert row.payment_fen == row.interest_due_fen + row.principal_fen + row.deferred_paid_fen + row.prepaid_fen
