"""Identity documents (#17): each structural rule, and each problem named.

A structural check says a number could have been issued, never that it was; the registry answers
whether a name and a number belong together.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import uscc

from finguard.identity.model.documents import (
    DocumentKind,
    age_at,
    check_document,
    check_resident_id,
    resident_check_digit,
    upgrade_resident_id,
)

AT = dt.date(2026, 12, 5)
REGIONS = ["110105", "310104", "440305", "510107", "330106"]


def codes(kind: DocumentKind, number: str, **kw: object) -> list[str]:
    return [p.code for p in check_document(kind, number, at=AT, **kw).problems]  # type: ignore[arg-type]


@st.composite
def resident_ids(draw: st.DrawFn) -> tuple[str, dt.date, int]:
    region = draw(st.sampled_from(REGIONS))
    birth = draw(st.dates(min_value=dt.date(1995, 1, 1), max_value=AT))
    seq = draw(st.integers(0, 999))
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + resident_check_digit(body), birth, seq


@given(resident_ids())
def test_a_well_formed_number_is_valid_and_tells_birth_date_gender_and_age(case: tuple[str, dt.date, int]) -> None:
    number, birth, seq = case
    result = check_resident_id(number, AT)
    assert result.valid, result.problems
    assert result.facts["birth_date"] == birth.isoformat()
    assert result.facts["gender"] == ("male" if seq % 2 else "female")
    assert result.facts["age"] == str(age_at(birth, AT))


@given(resident_ids(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_mistyped_digit_is_caught(case: tuple[str, dt.date, int], pos: int, delta: int) -> None:
    number = case[0]
    wrong = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1 :]
    assert not check_resident_id(wrong, AT).valid


@given(resident_ids(), st.integers(0, 15))
def test_two_swapped_neighbours_are_caught(case: tuple[str, dt.date, int], pos: int) -> None:
    number = case[0]
    if number[pos] == number[pos + 1]:
        return
    swapped = number[:pos] + number[pos + 1] + number[pos] + number[pos + 2 :]
    assert not check_resident_id(swapped, AT).valid


@given(st.sampled_from(REGIONS), st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)), st.integers(0, 999))
def test_a_15_digit_number_is_upgraded_to_its_18_digit_form(region: str, birth: dt.date, seq: int) -> None:
    old = f"{region}{birth:%y%m%d}{seq:03d}"
    result = check_resident_id(old, AT)
    assert result.facts["upgraded"] == upgrade_resident_id(old)
    assert check_resident_id(result.facts["upgraded"], AT).valid
    assert result.facts["birth_date"] == birth.isoformat()


@given(st.text(max_size=40))
def test_any_text_gets_an_answer_never_an_exception(text: str) -> None:
    for kind in DocumentKind:
        result = check_document(kind, text, at=AT)
        assert result.valid or result.problems


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("11010519491231002", "length"),
        ("1101051949123100ZX", "characters"),
        ("110105194913310028", "birth_date"),
        ("110105203001010010", "birth_date_future"),
        ("990105194912310022", "province"),
        ("110105194912310021", "check_digit"),
    ],
)
def test_each_resident_id_problem_is_named(number: str, problem: str) -> None:
    assert problem in codes(DocumentKind.RESIDENT_ID, number)


def test_full_width_digits_and_spaces_are_accepted() -> None:
    number = "11010519491231002" + resident_check_digit("11010519491231002")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert check_resident_id(full_width[:6] + " " + full_width[6:], AT).valid


def test_an_unknown_county_is_a_warning_not_a_refusal() -> None:
    body = "110199" + "19900101" + "123"  # 1101xx with no county 99
    result = check_resident_id(body + resident_check_digit(body), AT)
    assert [p.code for p in result.problems] == ["region"] and result.valid


def test_age_counts_whole_years() -> None:
    assert age_at(dt.date(2000, 12, 6), AT) == 25
    assert age_at(dt.date(2000, 12, 5), AT) == 26


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=6, max_size=6), st.sampled_from(["9", "1", "5"]))
def test_a_uscc_with_correct_check_characters_is_valid(org: str, dept: str) -> None:
    body8 = org + "00"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, weights, strict=True))
    r = 11 - total % 11
    org_check = "0" if r == 11 else "X" if r == 10 else str(r)
    body = f"{dept}1350100{body8}{org_check}"
    number = body + uscc.calc_check_digit(body)
    assert codes(DocumentKind.USCC, number) == []
    assert "check_digit" in codes(DocumentKind.USCC, number[:17] + ("0" if number[17] != "0" else "1"))


def test_uscc_problems_are_named() -> None:
    assert codes(DocumentKind.USCC, "91350100M000100Y4") == ["length"]
    assert codes(DocumentKind.USCC, "91350100M000100YO3") == ["characters"]
    assert codes(DocumentKind.USCC, "91350100M000100Y43") == []
    assert "check_digit" in codes(DocumentKind.USCC, "91350100M000100Y44")


@given(
    st.sampled_from(["622202", "622848", "621700", "622588", "620000"]),
    st.text(alphabet="0123456789", min_size=12, max_size=12),
    st.integers(0, 12),
    st.integers(1, 9),
)
def test_a_card_passes_luhn_and_any_mistyped_digit_fails_it(bin6: str, rest: str, pos: int, delta: int) -> None:
    body = bin6 + rest
    number = body + luhn.calc_check_digit(body)
    result = check_document(DocumentKind.BANK_CARD, number, at=AT)
    assert result.valid and result.facts["scheme"] == "UnionPay"
    i = 6 + pos
    wrong = number[:i] + str((int(number[i]) + delta) % 10) + number[i + 1 :]
    assert "luhn" in codes(DocumentKind.BANK_CARD, wrong)


def test_card_bin_table_and_problems() -> None:
    icbc = "622202123456789012"
    icbc += luhn.calc_check_digit(icbc)
    assert check_document(DocumentKind.BANK_CARD, icbc, at=AT).facts["issuer"].endswith("ICBC")
    assert codes(DocumentKind.BANK_CARD, "4111111111111111") == []
    assert codes(DocumentKind.BANK_CARD, "4111-1111-1111-1112") == ["luhn"]
    assert codes(DocumentKind.BANK_CARD, "41111") == ["length"]
    assert codes(DocumentKind.BANK_CARD, "4111a11111111111") == ["characters"]
    assert codes(DocumentKind.BANK_CARD, "378282246310005") == []  # American Express, 15 digits
    amex16 = "378282246310005"
    amex16 += luhn.calc_check_digit(amex16)
    assert codes(DocumentKind.BANK_CARD, amex16) == ["length_for_bin"]
    unknown = "9" * 15
    unknown += luhn.calc_check_digit(unknown)
    result = check_document(DocumentKind.BANK_CARD, unknown, at=AT)
    assert result.valid and [p.code for p in result.problems] == ["bin_unknown"]


@pytest.mark.parametrize(
    ("kind", "number", "ok"),
    [
        (DocumentKind.PASSPORT, "E12345678", True),
        (DocumentKind.PASSPORT, "EA1234567", True),
        (DocumentKind.PASSPORT, "EI1234567", False),
        (DocumentKind.PASSPORT, "G12345678", True),
        (DocumentKind.PASSPORT, "DE1234567", True),
        (DocumentKind.PASSPORT, "E1234567", False),
        (DocumentKind.HK_MACAO_PERMIT, "C12345678", True),
        (DocumentKind.HK_MACAO_PERMIT, "CA1234567", True),
        (DocumentKind.HK_MACAO_PERMIT, "H12345678", False),
        (DocumentKind.HK_MACAO_RESIDENT_PERMIT, "H12345678", True),
        (DocumentKind.HK_MACAO_RESIDENT_PERMIT, "M1234567890", True),
        (DocumentKind.HK_MACAO_RESIDENT_PERMIT, "X12345678", False),
        (DocumentKind.TAIWAN_TRAVEL_PERMIT, "L12345678", True),
        (DocumentKind.TAIWAN_TRAVEL_PERMIT, "T12345678", False),
        (DocumentKind.TAIWAN_RESIDENT_PERMIT, "12345678", True),
        (DocumentKind.TAIWAN_RESIDENT_PERMIT, "1234567890(B)", True),
        (DocumentKind.TAIWAN_RESIDENT_PERMIT, "1234567", False),
    ],
)
def test_passports_and_permits_by_format(kind: DocumentKind, number: str, ok: bool) -> None:
    assert codes(kind, number) == ([] if ok else ["format"])


def test_a_foreign_passport_follows_icao_rules() -> None:
    assert codes(DocumentKind.PASSPORT, "X1234567", country="GBR") == []
    assert codes(DocumentKind.PASSPORT, "X1", country="GB") == ["format"]
    assert codes(DocumentKind.PASSPORT, "X1234567", country="G1") == ["country"]
