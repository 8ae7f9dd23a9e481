"""The tax record's JSON and CSV forms (docs/credit-tax-data.md): what is accepted, what is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finguard.core.errors import InvalidInput
from finguard.credit.model.synthetic import synthetic_portfolio
from finguard.credit.model.taxdata import (
    parse_record,
    record_to_doc,
    records_from_tables,
    records_to_tables,
    yuan_to_fen,
)

FIRM = {
    "uscc": "91110000600037341L",
    "name": "北京示例科技有限公司",
    "industry": "I",
    "registered_on": "2019-04-02",
    "taxpayer_type": "general",
}


def test_a_synthetic_record_survives_json_and_csv():
    records = [f.record for f in synthetic_portfolio(20, seed=3)]
    for rec in records:
        assert parse_record(record_to_doc(rec), source=rec.source) == rec
    back = records_from_tables(records_to_tables(records), source="x")
    assert [r.firm for r in back] == [r.firm for r in records]
    assert [r.vat_returns for r in back] == [r.vat_returns for r in records]


def test_amounts_are_yuan_strings_and_floats_are_refused():
    doc = {
        "as_of": "2026-06-30",
        "firm": FIRM,
        "vat_returns": [{"period": "2026-05", "sales": "1234.56", "tax": 12.5, "filed_on": "2026-06-10"}],
    }
    with pytest.raises(InvalidInput) as e:
        parse_record(doc, source="t")
    assert [p.field for p in e.value.problems] == ["vat_returns[0].tax"]
    doc["vat_returns"][0]["tax"] = "12.50"
    rec = parse_record(doc, source="t")
    assert rec.vat_returns[0].sales_fen == 123456 and rec.vat_returns[0].tax_fen == 1250


def test_every_problem_is_named_at_once():
    doc = {
        "as_of": "2026-13-01",
        "firm": {**FIRM, "uscc": "91110000600037341X", "industry": "Z"},
        "grades": [{"year": 2025, "grade": "E"}],
        "arrears": "none",
    }
    with pytest.raises(InvalidInput) as e:
        parse_record(doc, source="t")
    fields = {p.field for p in e.value.problems}
    assert fields == {"firm.uscc", "firm.industry", "as_of", "grades[0].grade", "arrears"}


def test_a_csv_row_for_an_unknown_firm_is_reported_with_its_line():
    rec = next(iter(synthetic_portfolio(1, seed=3))).record
    tables = records_to_tables([rec])
    tables["grades"].append({"uscc": "91110000600037341L", "year": "2025", "grade": "A"})
    with pytest.raises(InvalidInput) as e:
        records_from_tables(tables, source="t")
    (p,) = e.value.problems
    assert p.field == "grades.uscc" and p.line == len(tables["grades"]) + 1


@given(st.integers(min_value=1, max_value=10**15))
def test_typed_amounts_keep_every_fen(fen):
    assert yuan_to_fen(f"{fen // 100}.{fen % 100:02d}", "amount") == fen


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(["firm", "as_of", "grades", "uscc", "sales"]), c, max_size=4),
        max_leaves=12,
    )
)
def test_any_json_is_parsed_or_refused_with_field_problems(doc):
    try:
        parse_record(doc, source="fuzz")
    except InvalidInput as exc:
        assert exc.problems and all(p.field for p in exc.problems)
