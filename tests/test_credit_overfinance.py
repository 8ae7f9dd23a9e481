"""Over-financing: credit at all lenders against the firm's need, flagged with reasons and stored as alerts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from finguard.alerts.store import alert
from finguard.core.errors import InvalidInput
from finguard.credit.model.features import tax_facts
from finguard.credit.model.overfinance import Facility, OverFinanceParams, assess, financing_ceiling, parse_facilities
from finguard.credit.model.taxdata import record_to_doc
from finguard.credit.service.monitors import monitor_overfinancing
from finguard.credit.store.alerts import SqlCreditAlerts
from finguard.credit.store.files import FileTaxFeed
from tests.credit_helpers import good_record

REC = good_record()
FACTS = tax_facts(REC)
P = OverFinanceParams()


def loans(*outstanding_yuan: int, kind: str = "working_capital", joint: bool = False) -> list[Facility]:
    return [Facility(REC.firm.uscc, f"bank-{i}", kind, v * 100, v * 100, date(2026, 1, 5), joint) for i, v in enumerate(outstanding_yuan)]


def codes(found):
    return [r.code for r in found.flags] if found else []


def test_credit_within_the_need_is_not_flagged():
    ceiling, _ = financing_ceiling(FACTS, REC.firm.industry, P)
    assert assess(FACTS, REC.firm.uscc, REC.firm.industry, loans(ceiling // 200, ceiling // 400), P) is None


def test_credit_above_the_need_is_over_financing_with_the_figures():
    ceiling, _basis = financing_ceiling(FACTS, REC.firm.industry, P)
    found = assess(FACTS, REC.firm.uscc, REC.firm.industry, loans(ceiling // 100, ceiling // 100), P)
    assert codes(found) == ["OVER_FINANCED"] and found.ratio == pytest.approx(2.0, rel=1e-3)
    assert "2.0" in found.flags[0].en and "2.0倍" in found.flags[0].zh
    term_only = assess(FACTS, REC.firm.uscc, REC.firm.industry, loans(ceiling // 100, ceiling // 100, kind="term"), P)
    assert term_only is None  # term loans are not working capital


def test_many_lenders_and_joint_credit():
    many = assess(FACTS, REC.firm.uscc, REC.firm.industry, loans(1, 1, 1, 1), P)
    assert codes(many) == ["MANY_LENDERS"]
    p = replace(P, joint_credit_total_fen=3_00)
    assert "JOINT_CREDIT" in codes(assess(FACTS, REC.firm.uscc, REC.firm.industry, loans(1, 1, 1), p))
    assert assess(FACTS, REC.firm.uscc, REC.firm.industry, loans(1, 1, 1, joint=True), p) is None


def test_a_micro_firm_is_held_to_a_share_of_its_sales():
    micro = replace(FACTS, sales_12m_fen=1_000_000_00)
    assert financing_ceiling(micro, "C", P) == (250_000_00, "micro_sales")


def test_bureau_rows_are_checked_line_by_line():
    rows = [
        {
            "uscc": REC.firm.uscc,
            "lender": "icbc",
            "kind": "working_capital",
            "limit": "100000",
            "outstanding": "50000",
            "opened_on": "2026-01-05",
            "joint": "false",
        },
        {"uscc": "x", "lender": "", "kind": "loan", "limit": "-1", "outstanding": "1.234", "opened_on": "2026-13-01", "joint": "maybe"},
    ]
    with pytest.raises(InvalidInput) as e:
        parse_facilities(rows)
    assert {(p.field, p.line) for p in e.value.problems} == {
        (f, 3) for f in ("uscc", "lender", "kind", "limit", "outstanding", "opened_on", "joint")
    }
    assert parse_facilities(rows[:1])[0].outstanding_fen == 50_000_00


def test_the_monitor_stores_one_alert_per_finding_and_never_repeats_it(engine, tmp_path):
    (tmp_path / f"{REC.firm.uscc}.json").write_text(json.dumps(record_to_doc(REC), ensure_ascii=False))
    ceiling, _ = financing_ceiling(FACTS, REC.firm.industry, P)
    other = "91110000600037341L"
    facilities = [*loans(ceiling // 100, ceiling // 100), Facility(other, "b", "working_capital", 1, 1, date(2026, 1, 1), False)]
    sink = SqlCreditAlerts(engine)
    run = monitor_overfinancing(FileTaxFeed(tmp_path), facilities, sink)
    assert run.firms == 2 and len(run.alert_ids) == 1 and other in run.unavailable
    with engine.connect() as conn:
        row = conn.execute(select(alert)).mappings().one()
    assert row["kind"] == "credit_overfinancing" and row["subject"] == f"firm:{REC.firm.uscc}" and row["severity"] == "high"
    assert row["details"]["reason"]["zh"] and row["details"]["flags"] == ["OVER_FINANCED"]
    assert monitor_overfinancing(FileTaxFeed(tmp_path), facilities, sink).alert_ids == ()


CELLS = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["", "0", "1.5", "-2", "true", "2026-01-05", "working_capital"]))


@given(
    st.lists(st.dictionaries(st.sampled_from(["uscc", "lender", "kind", "limit", "outstanding", "opened_on", "joint"]), CELLS), max_size=4)
)
def test_any_bureau_rows_are_parsed_or_refused_by_line(rows):
    try:
        parsed = parse_facilities(rows)
    except InvalidInput as exc:
        assert exc.problems and all(p.line is not None and 2 <= p.line <= len(rows) + 1 for p in exc.problems)
    else:
        assert len(parsed) == len(rows)
