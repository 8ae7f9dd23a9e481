"""Eligibility by category: the first category whose every rule passes; each rule explained.

Policy ``epidemic-2020``: A = small firms in the hardest-hit industries (H, G, L, R, C): 6
months' deferral, interest deferred without interest; B = micro firms and sole traders up to
30 days past due: 3 months' grace; C = any small firm, not past due: 6 months' extension.
All require a documented impact and single-borrower credit <= CNY 10 m.
"""

from __future__ import annotations

import pytest

from finguard.core.errors import InvalidInput
from finguard.loans.model.eligibility import EPIDEMIC_2020, Borrower, FirmSize, evaluate, policy_from_dict


def borrower(**kw):
    base = dict(loan_id="L1", customer_id="C1", industry="H", firm_size=FirmSize.SMALL, total_credit_fen=500_000_000,
                impact_documented=True, days_past_due=0)
    base.update(kw)
    return Borrower(**base)


def test_a_small_restaurant_gets_the_deferral():
    d = evaluate(EPIDEMIC_2020, borrower())
    assert (d.eligible, d.category, d.offer.kind, d.offer.months) == (True, "A", "deferral", 6)
    assert all(c.passed for c in d.checks)
    zh, en = d.summary()
    assert "延期还款 6 个月" in zh and "deferral of 6 months" in en


def test_a_micro_firm_outside_the_hit_industries_and_a_little_late_gets_grace():
    d = evaluate(EPIDEMIC_2020, borrower(industry="F", firm_size=FirmSize.MICRO, days_past_due=12))
    assert d.category == "B"


def test_over_the_single_borrower_cap_is_refused_with_the_reason_in_both_languages():
    d = evaluate(EPIDEMIC_2020, borrower(total_credit_fen=1_000_000_001))
    assert not d.eligible and d.offer is None
    failed = [c for c in d.checks if not c.passed]
    assert {c.rule for c in failed} >= {"single_borrower_credit"}
    credit = next(c for c in failed if c.rule == "single_borrower_credit")
    assert credit.zh == "单户授信 10,000,000.01 元超过上限 10,000,000.00 元"
    assert credit.en == "single-borrower credit CNY 10,000,000.01 > the cap of CNY 10,000,000.00"


def test_without_documented_impact_nobody_qualifies():
    d = evaluate(EPIDEMIC_2020, borrower(impact_documented=False))
    assert not d.eligible
    assert {c.category for c in d.checks if c.rule == "impact" and not c.passed} == {"A", "B", "C"}


def test_large_firms_are_not_covered():
    d = evaluate(EPIDEMIC_2020, borrower(firm_size=FirmSize.LARGE))
    assert not d.eligible
    assert "大型企业不属于适用对象" in d.summary()[0]


def test_borrower_rows_report_every_bad_field_with_its_line():
    with pytest.raises(InvalidInput) as err:
        Borrower.parse({"loan_id": "L1", "customer_id": "", "industry": "H", "firm_size": "huge", "total_credit_fen": -1,
                        "impact_documented": "maybe", "days_past_due": "x"}, line=7)
    assert {(p.field, p.line) for p in err.value.problems} == {
        ("customer_id", 7), ("firm_size", 7), ("total_credit_fen", 7), ("impact_documented", 7), ("days_past_due", 7)}
    assert Borrower.parse({"loan_id": "L1", "customer_id": "C", "industry": "H", "firm_size": "micro", "total_credit_fen": "100",
                           "impact_documented": "yes", "days_past_due": "0"}).total_credit_fen == 100


def test_policies_load_from_data_and_bad_ones_are_refused():
    p = policy_from_dict({"code": "p", "version": 2, "categories": [{"code": "X", "offer": {"kind": "grace", "months": 2}}]})
    assert p.categories[0].offer.months == 2
    with pytest.raises(InvalidInput) as err:
        policy_from_dict({"code": "", "categories": [{"code": "X", "offer": {"kind": "holiday", "months": 2}}]})
    assert {p.field for p in err.value.problems} == {"code", "categories[0]"}
