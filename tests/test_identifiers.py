"""Identifier normalisation: real-looking Chinese examples per type, then properties for any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finguard.core.errors import InvalidIdentifier
from finguard.core.identifiers import IdType, mask, normalize
from finguard.screening.model.names import name_key

VALID: list[tuple[IdType, str, str]] = [
    # Accounts: spaces, dashes and full-width digits as people type them.
    (IdType.ACCOUNT, "6222 0210 0112 2334 455", "6222021001122334455"),
    (IdType.ACCOUNT, "6222-0210-0112-2334-455", "6222021001122334455"),
    (IdType.ACCOUNT, "６２２２０２１００１１２２３３４４５５", "6222021001122334455"),
    (IdType.ACCOUNT, " 6222\u3000021001122334455 ", "6222021001122334455"),
    (IdType.ACCOUNT, "110-123456", "110123456"),
    # Cards: Luhn-checked.
    (IdType.CARD, "6228 4804 0256 4890 018", "6228480402564890018"),
    (IdType.CARD, "4111-1111-1111-1111", "4111111111111111"),
    # Phones: E.164 with CN as the default region.
    (IdType.PHONE, "13800138000", "+8613800138000"),
    (IdType.PHONE, "138-0013-8000", "+8613800138000"),
    (IdType.PHONE, "+86 138 0013 8000", "+8613800138000"),
    (IdType.PHONE, "010-12345678", "+861012345678"),
    (IdType.PHONE, "+86 10 1234 5678", "+861012345678"),
    (IdType.PHONE, "+44 20 7946 0958", "+442079460958"),
    # Resident ID numbers: GB 11643 check digit; the legacy 15-digit form is upgraded.
    (IdType.ID_NUMBER, "11010519491231002X", "11010519491231002X"),
    (IdType.ID_NUMBER, "11010519491231002x", "11010519491231002X"),
    (IdType.ID_NUMBER, "110105 19491231 002X", "11010519491231002X"),
    (IdType.ID_NUMBER, "110105491231002", "11010519491231002X"),
    # Unified social credit code.
    (IdType.USCC, "91110000600037341L", "91110000600037341L"),
    (IdType.USCC, "91110000600037341l", "91110000600037341L"),
    # E-mail: lower-cased, IDN domains in punycode.
    (IdType.EMAIL, "Zhang.Wei@Example.COM", "zhang.wei@example.com"),
    (IdType.EMAIL, "张伟@例子.中国", "张伟@xn--fsqu00a.xn--fiqs8s"),
    # Devices, IPs and documents.
    (IdType.DEVICE, "IMEI:8675-3090-1234-567", "imei:8675-3090-1234-567"),
    (IdType.IP, "192.168.1.10", "192.168.1.10"),
    (IdType.IP, "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    (IdType.PASSPORT, "e 1234 5678", "E12345678"),
    (IdType.NATIONAL_ID, "ab-123", "AB123"),
]


@pytest.mark.parametrize(("id_type", "raw", "expected"), VALID, ids=[f"{t.value}:{r}" for t, r, _ in VALID])
def test_valid_identifiers_normalise_to_the_canonical_form(id_type: IdType, raw: str, expected: str) -> None:
    assert normalize(id_type, raw) == expected
    assert normalize(id_type, expected) == expected


INVALID: list[tuple[IdType, str]] = [
    (IdType.ACCOUNT, "6222abc1001122"),
    (IdType.ACCOUNT, "12345"),  # too short
    (IdType.ACCOUNT, "1" * 35),  # too long
    (IdType.ACCOUNT, "   "),
    (IdType.CARD, "6228480402564890019"),  # Luhn fails
    (IdType.CARD, "4111 1111 1111 1112"),
    (IdType.CARD, "411111111111"),  # too short
    (IdType.PHONE, "12"),
    (IdType.PHONE, "not a phone"),
    (IdType.PHONE, "+86 000 0000 0000"),
    (IdType.ID_NUMBER, "110105194912310021"),  # wrong check digit
    (IdType.ID_NUMBER, "110105194902300027"),  # 30 February
    (IdType.ID_NUMBER, "110105491331002"),  # 15-digit with month 13
    (IdType.ID_NUMBER, "11010519491231002"),  # 17 characters
    (IdType.ID_NUMBER, "1101051949123100XX"),
    (IdType.USCC, "91110000600037341M"),  # wrong check character
    (IdType.USCC, "9111000060003734"),
    (IdType.EMAIL, "zhang.wei"),
    (IdType.EMAIL, "zhang@localhost"),
    (IdType.EMAIL, "a b@example.com"),
    (IdType.DEVICE, "ab"),
    (IdType.DEVICE, "设备编号123"),
    (IdType.IP, "256.1.1.1"),
    (IdType.IP, "2001:db8::g"),
    (IdType.PASSPORT, "E1"),
]


@pytest.mark.parametrize(("id_type", "raw"), INVALID, ids=[f"{t.value}:{r}" for t, r in INVALID])
def test_invalid_identifiers_raise_naming_the_field(id_type: IdType, raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as exc:
        normalize(id_type, raw)
    assert [p.field for p in exc.value.problems] == [id_type.value]
    assert exc.value.message.startswith(f"{id_type.value}: ")
    assert exc.value.status == 422
    with pytest.raises(InvalidIdentifier) as exc:
        normalize(id_type, raw, "payee_field")
    assert exc.value.problems[0].field == "payee_field"


def test_non_strings_too_long_and_unknown_types_are_invalid_identifiers() -> None:
    with pytest.raises(InvalidIdentifier) as exc:
        normalize(IdType.ACCOUNT, 6222021001122334455)
    assert exc.value.problems[0].field == "account"
    with pytest.raises(InvalidIdentifier, match="longer than 256"):
        normalize(IdType.ACCOUNT, "1" * 257)
    with pytest.raises(InvalidIdentifier) as exc:
        normalize("teleporter", "42")
    assert exc.value.problems[0].field == "id_type"


def test_mask_keeps_only_a_short_prefix_and_suffix() -> None:
    assert mask(IdType.ACCOUNT, "6222021001122334455") == "622************4455"
    assert mask(IdType.PHONE, "+8613800138000") == "+86*******8000"
    assert mask(IdType.EMAIL, "zhang.wei@example.com") == "z***@example.com"
    assert mask(IdType.DEVICE, "abcd") == "****"
    assert mask(IdType.ACCOUNT, "") == ""


# --- properties -------------------------------------------------------------------------------

DIGITISH = st.text(alphabet=st.sampled_from("0123456789０１２３４５６７８９ -－\u3000xX+"), max_size=40)
ANY_TYPE = st.sampled_from(list(IdType))


def _normalised_or_none(id_type: IdType, raw: str) -> str | None:
    """Normalise, allowing only InvalidIdentifier to escape as 'not an identifier'."""
    try:
        value = normalize(id_type, raw)
    except InvalidIdentifier as exc:
        assert exc.problems and exc.problems[0].field == id_type.value
        return None
    assert isinstance(value, str) and value
    return value


def _check_total_and_idempotent(id_type: IdType, raw: str) -> None:
    value = _normalised_or_none(id_type, raw)
    if value is not None:
        assert normalize(id_type, value) == value


@settings(max_examples=300, deadline=None)
@given(ANY_TYPE, st.text())
def test_normalize_is_total_and_idempotent_on_any_text(id_type: IdType, raw: str) -> None:
    _check_total_and_idempotent(id_type, raw)


@settings(max_examples=300, deadline=None)
@given(ANY_TYPE, DIGITISH)
def test_normalize_is_total_and_idempotent_on_number_like_text(id_type: IdType, raw: str) -> None:
    _check_total_and_idempotent(id_type, raw)


@settings(max_examples=300, deadline=None)
@given(ANY_TYPE, st.one_of(st.text(), DIGITISH))
def test_mask_never_raises_and_hides_long_values(id_type: IdType, raw: str) -> None:
    for value in (raw, _normalised_or_none(id_type, raw)):
        if value is None:
            continue
        masked = mask(id_type, value)
        assert isinstance(masked, str)
        # A value that already holds '*' could look masked; every normalised number does not.
        if len(value) > 8 and "*" not in value:
            assert masked != value


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_name_key_never_raises_and_is_idempotent(name: str) -> None:
    key = name_key(name)
    assert isinstance(key, str)
    assert name_key(key) == key


def test_name_key_ignores_order_case_accents_and_punctuation() -> None:
    assert name_key("MADURO MOROS, Nicolás") == name_key("Nicolas Maduro Moros")
    assert name_key("张 伟") == name_key("伟 张")
    assert name_key("!!! ...") == ""


def test_every_identifier_kind_is_accepted_on_the_wire() -> None:
    """The API's identifier type list is IdType: a new kind (IMO, BIC, LEI in #16) is never refused at the edge."""
    import typing

    from finguard.lists.http.schemas import IdentifierIn

    assert set(typing.get_args(IdentifierIn.model_fields["type"].annotation)) == {t.value for t in IdType}
