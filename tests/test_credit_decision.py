"""From tax record to decision: the knock-out rules, the line formula, the price band, the reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finguard.core.errors import InvalidInput
from finguard.credit.model.decision import Application, Outcome, check_application, decide, working_capital_need
from finguard.credit.model.features import tax_facts
from finguard.credit.model.policy import Policy, parse_policy, policy_to_doc
from finguard.credit.model.taxdata import AbnormalPeriod, Arrears, Grade, GradeRecord, Violation
from finguard.credit.service import shipped_scorecard
from tests.credit_helpers import AS_OF, ask, good_record, with_

SC = shipped_scorecard()
GOOD = good_record()


def run(rec, app=None, policy=None):
    return decide(app or ask(rec), rec, tax_facts(rec), SC, policy or Policy())


def codes(d):
    return [r.code for r in d.reasons]


def test_a_healthy_firm_is_approved_with_a_line_and_a_price_band():
    d = run(GOOD)
    assert d.outcome is Outcome.APPROVE
    assert d.line_fen == 100_000_00  # what it asked for: nothing lower bound it
    lo, hi = d.rate_band_bp
    assert 0 < lo <= hi
    assert d.policy_version == 1 and d.model_version == SC.version


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"grades": (GradeRecord(2025, Grade.C),)}, "KO_GRADE"),
        ({"grades": (GradeRecord(2025, Grade.D),)}, "KO_GRADE"),
        ({"abnormal": (AbnormalPeriod(AS_OF - timedelta(days=30), None),)}, "KO_ABNORMAL"),
        ({"abnormal": (AbnormalPeriod(date(2024, 1, 1), date(2024, 3, 1)),)}, "KO_ABNORMAL_PAST"),
        ({"arrears": (Arrears(AS_OF - timedelta(days=40), 5_000_00, None),)}, "KO_ARREARS"),
        ({"violations": (Violation(AS_OF - timedelta(days=100), "虚开发票", True, 0),)}, "KO_SERIOUS_VIOLATION"),
        ({"violations": (Violation(AS_OF - timedelta(days=100), "逾期申报", False, 0),) * 2}, "KO_VIOLATIONS"),
    ],
)
def test_each_knock_out_refuses_and_says_why(change, code):
    d = run(with_(GOOD, **change))
    assert d.outcome is Outcome.REFUSE and d.line_fen == 0
    assert code in codes(d)
    r = next(r for r in d.reasons if r.code == code)
    assert r.zh and r.en and r.kind == "refuse"


def test_a_missing_return_is_a_filing_gap():
    vat = tuple(v for i, v in enumerate(GOOD.vat_returns) if i != len(GOOD.vat_returns) - 3)
    assert "KO_FILING_GAP" in codes(run(with_(GOOD, vat_returns=vat)))


def test_a_firm_under_two_years_old_is_refused():
    young = with_(GOOD, firm=replace(GOOD.firm, registered_on=AS_OF - timedelta(days=500)))
    assert "KO_YOUNG" in codes(run(young))


def test_arrears_settled_before_the_application_do_not_refuse():
    paid = with_(GOOD, arrears=(Arrears(AS_OF - timedelta(days=400), 5_000_00, AS_OF - timedelta(days=380)),))
    assert "KO_ARREARS" not in codes(run(paid))


def test_knock_outs_are_configurable():
    policy = parse_policy({"knockout": {"refused_grades": ["D"], "min_years_in_business": 1}}, version=2)
    c_grade = with_(GOOD, grades=(GradeRecord(2025, Grade.C),))
    d = run(c_grade, policy=policy)
    assert "KO_GRADE" not in codes(d) and d.policy_version == 2


def test_the_line_is_the_smallest_of_cap_tax_multiple_and_need():
    big = run(GOOD, Application(GOOD.firm.uscc, 10_000_000_00, 12, "扩大经营"))
    f = tax_facts(GOOD)
    need, _fig = working_capital_need(f, GOOD.firm.industry, ask(GOOD), Policy())
    tax_limit = Policy().product.tax_multiple[f.grade] * f.avg_annual_tax_fen
    expected = min(Policy().product.cap_fen, tax_limit, need) // 1_000_00 * 1_000_00
    assert big.line_fen == expected
    assert big.limits["binding"] in {"product_cap", "tax_multiple", "need"}
    assert {r.code for r in big.reasons} & {"LIMIT_PRODUCT_CAP", "LIMIT_TAX", "LIMIT_NEED"}


def test_declared_own_funds_and_other_loans_lower_the_need():
    f = tax_facts(GOOD)
    base, _ = working_capital_need(f, "C", Application(GOOD.firm.uscc, 1, 12, "x", own_funds_fen=0), Policy())
    less, _ = working_capital_need(f, "C", Application(GOOD.firm.uscc, 1, 12, "x", own_funds_fen=0, other_wc_loans_fen=10_000_00), Policy())
    assert less == max(0, base - 10_000_00)


def test_a_low_score_refuses_with_the_features_that_cost_points():
    strict = parse_policy({"product": {"refuse_below_score": 900, "reduce_below_score": 900}}, version=3)
    d = run(GOOD, policy=strict)
    assert d.outcome is Outcome.REFUSE and codes(d)[0] == "SCORE_LOW"
    assert any(c.startswith("SC_") for c in codes(d))


def test_a_middling_score_halves_the_line_and_says_so():
    p = parse_policy({"product": {"refuse_below_score": 0, "reduce_below_score": 900}}, version=3)
    d = run(GOOD, policy=p)
    assert d.outcome is Outcome.APPROVE and d.line_fen == 50_000_00
    assert "SCORE_REDUCED" in codes(d)


def test_the_same_inputs_give_the_same_decision():
    assert run(GOOD) == run(GOOD)


def test_a_bad_application_names_its_fields():
    with pytest.raises(InvalidInput) as e:
        check_application(Application(GOOD.firm.uscc, 0, 99, " "), Policy())
    assert {p.field for p in e.value.problems} == {"amount", "term_months", "purpose"}


def test_a_policy_survives_its_json_form_and_bad_settings_are_named():
    p = Policy()
    assert parse_policy(policy_to_doc(p), version=1) == p
    with pytest.raises(InvalidInput) as e:
        parse_policy({"knockout": {"min_years_in_business": "two", "nonsense": 1}, "product": {"cap_fen": -1}}, version=2)
    assert {x.field for x in e.value.problems} == {"knockout.min_years_in_business", "knockout.nonsense", "product.cap_fen"}


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10**9) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=12), c, max_size=3),
    max_leaves=8,
)


@given(
    st.dictionaries(
        st.sampled_from(["knockout", "product", "need"]),
        st.dictionaries(
            st.sampled_from(["refused_grades", "min_years_in_business", "cap_fen", "tax_multiple", "price", "turnover", "max_growth", "x"]),
            JSONISH,
            max_size=3,
        ),
        max_size=3,
    )
)
def test_any_policy_document_is_accepted_or_refused_with_named_fields(doc):
    try:
        parse_policy(doc, version=2)
    except InvalidInput as exc:
        assert exc.problems and all(p.field for p in exc.problems)
