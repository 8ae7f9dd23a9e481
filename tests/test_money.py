"""The one money type: integer minor units, one parser, one formatter, one bound."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from finguard.core.errors import InvalidInput
from finguard.core.money import MAX_MINOR, Money, format_money, parse_money, places


@pytest.mark.parametrize(
    ("raw", "currency", "minor"),
    [
        ("4000.00", "CNY", 400000),
        ("4,000.00", "CNY", 400000),
        ("４０００．５", "CNY", 400050),
        (4000, "CNY", 400000),
        (Decimal("0.01"), "CNY", 1),
        ("1.5", "XBT", 150000000),
        ("12.34", "JPY", 1234),
        ("1.234", "BHD", 1234),
    ],
)
def test_parses_to_minor_units(raw: object, currency: str, minor: int) -> None:
    assert parse_money(raw, "amount", currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (0.1, "binary float"),
        (True, "true or false"),
        ("4,00", "commas may only group thousands"),
        ("1.001", "more than 2 decimal places"),
        ("NaN", "not a finite number"),
        ("-5", "negative"),
        ("0", "zero"),
        ("9" * 5000, "more than 40 digits"),
        (str(MAX_MINOR), "larger than any single amount"),
        ("abc", "not a number"),
    ],
)
def test_refusals_name_the_field_and_the_problem(raw: object, problem: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_money(raw, "amount")
    assert exc.value.problems[0].field == "amount"
    assert problem in exc.value.problems[0].problem


def test_balances_may_be_zero_or_negative() -> None:
    assert parse_money("-12.50", "balance", allow_zero=True, allow_negative=True).minor == -1250
    assert parse_money("0", "balance", allow_zero=True).minor == 0


def test_money_refuses_a_float_even_by_construction() -> None:
    with pytest.raises(TypeError):
        Money(1.0)  # type: ignore[arg-type]


def test_places_follow_iso_4217() -> None:
    assert (places("CNY"), places("USD"), places("KRW"), places("BHD")) == (2, 2, 0, 3)


@given(st.integers(min_value=1, max_value=MAX_MINOR))
def test_format_then_parse_round_trips(minor: int) -> None:
    assert parse_money(format_money(minor), "amount").minor == minor


@given(st.text(max_size=60))
def test_any_text_is_money_or_a_named_refusal(text: str) -> None:
    try:
        m = parse_money(text, "amount")
    except InvalidInput as exc:
        assert exc.problems and exc.problems[0].field == "amount"
    else:
        assert 0 < m.minor <= MAX_MINOR
