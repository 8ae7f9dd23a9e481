"""Identifier normalisation and validation.

Every function here is total: any Unicode string either normalises to a canonical value or
raises :class:`InvalidIdentifier` naming the field and the problem. Normalisation is
idempotent: ``normalize(t, normalize(t, x)) == normalize(t, x)``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from datetime import date
from enum import StrEnum

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from finguard.core.errors import InvalidIdentifier


class IdType(StrEnum):
    ACCOUNT = "account"
    CARD = "card"
    PHONE = "phone"
    ID_NUMBER = "id_number"  # Chinese resident identity card number (GB 11643)
    USCC = "uscc"  # unified social credit code (GB 32100)
    EMAIL = "email"
    DEVICE = "device"
    IP = "ip"
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"  # a non-Chinese national identity number
    OTHER_ID = "other_id"
    IMO = "imo"  # IMO ship / company number: 7 digits with a check digit
    BIC = "bic"  # SWIFT / BIC (ISO 9362): 8 or 11 characters
    LEI = "lei"  # Legal Entity Identifier (ISO 17442): 20 characters, mod-97 check


# Separators people type inside numbers: spaces of every width, dashes of every kind, dots.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc\uff0d._/]+")
_DIGITS = re.compile(r"[0-9]+")
_ALNUM = re.compile(r"[0-9A-Z]+")
_EMAIL = re.compile(r"[^@\s]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+")
_DEVICE = re.compile(r"[a-z0-9][a-z0-9._:\-]{3,127}")
MAX_RAW_LENGTH = 256


def _prepare(field: str, raw: object) -> str:
    if not isinstance(raw, str):
        raise InvalidIdentifier.for_field(field, "must be a string")
    if len(raw) > MAX_RAW_LENGTH:
        raise InvalidIdentifier.for_field(field, f"is longer than {MAX_RAW_LENGTH} characters")
    # NFKC folds full-width digits and letters (１２３ -> 123) and compatibility forms.
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise InvalidIdentifier.for_field(field, "is empty")
    return text


def _compact(field: str, raw: object) -> str:
    return _SEPARATORS.sub("", _prepare(field, raw))


def normalize_account(raw: object, field: str = "account") -> str:
    """Bank account number: digits only after removing spaces and dashes, 6 to 34 digits."""
    value = _compact(field, raw)
    if not _DIGITS.fullmatch(value) or not value.isascii():
        raise InvalidIdentifier.for_field(field, "must contain only digits, spaces and dashes")
    if not 6 <= len(value) <= 34:
        raise InvalidIdentifier.for_field(field, "must have 6 to 34 digits")
    return value


def normalize_card(raw: object, field: str = "card") -> str:
    """Bank card number: 13 to 19 digits with a valid Luhn check digit."""
    value = _compact(field, raw)
    if not _DIGITS.fullmatch(value) or not value.isascii():
        raise InvalidIdentifier.for_field(field, "must contain only digits, spaces and dashes")
    if not 13 <= len(value) <= 19:
        raise InvalidIdentifier.for_field(field, "must have 13 to 19 digits")
    if not luhn.is_valid(value):
        raise InvalidIdentifier.for_field(field, "fails the Luhn check digit")
    return value


def normalize_phone(raw: object, field: str = "phone", region: str = "CN") -> str:
    """Mobile or fixed phone number in E.164 (``+8613800138000``); default region CN."""
    text = _prepare(field, raw)
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentifier.for_field(field, f"is not a phone number ({exc.args[0] if exc.args else exc})") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidIdentifier.for_field(field, "is not a valid phone number for its region")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_id_number(raw: object, field: str = "id_number") -> str:
    """Chinese resident ID number: 18 characters with GB 11643 check digit; 15-digit numbers upgraded."""
    value = _compact(field, raw).upper()
    if not value.isascii():
        raise InvalidIdentifier.for_field(field, "must contain only digits and a final X")
    if len(value) == 15:
        if not value.isdigit():
            raise InvalidIdentifier.for_field(field, "a 15-digit ID number must contain only digits")
        # Legacy numbers omit the century (always 19xx) and the check digit.
        body = value[:6] + "19" + value[6:]
        value = body + ric.calc_check_digit(body + "0")
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdentifier.for_field(field, "must be 18 characters: 17 digits and a check digit or X (or 15 legacy digits)")
    try:
        ric.get_birth_date(value)
    except (ValidationError, ValueError):
        raise InvalidIdentifier.for_field(field, "holds an invalid birth date") from None
    # The GB 11643 check digit is decisive; the area-code table is not checked, since it lags
    # behind real changes to county codes and would reject genuine numbers.
    if ric.calc_check_digit(value) != value[17]:
        raise InvalidIdentifier.for_field(field, "fails the GB 11643 check digit")
    return value


def resident_birth_date(raw: object, field: str = "id_number") -> date:
    """The birth date a resident ID number holds (digits 7-14; a 15-digit number is of the 1900s),
    the number checked as ``normalize_id_number`` checks it. Shared by identity's document check
    and the loans' elderly-customer segment, neither of which may import the other."""
    value = normalize_id_number(raw, field)
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def age_at(birth: date, at: date) -> int:
    """Completed years on ``at`` (a birthday on 29 February counts from 1 March in other years)."""
    return at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))


def normalize_uscc(raw: object, field: str = "uscc") -> str:
    """Unified social credit code: 18 characters with GB 32100 check character."""
    value = _compact(field, raw).upper()
    if not value.isascii():
        raise InvalidIdentifier.for_field(field, "must contain only digits and capital letters")
    try:
        return str(uscc.validate(value))
    except ValidationError as exc:
        raise InvalidIdentifier.for_field(field, f"is not a valid unified social credit code ({exc})") from None


def normalize_email(raw: object, field: str = "email") -> str:
    text = _prepare(field, raw).lower()
    if "@" in text:
        local, _, domain = text.rpartition("@")
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidIdentifier.for_field(field, "has an invalid domain") from None
        text = f"{local}@{domain}"
    if not _EMAIL.fullmatch(text):
        raise InvalidIdentifier.for_field(field, "is not an e-mail address (local@domain.tld)")
    return text


def normalize_device(raw: object, field: str = "device") -> str:
    """Device id: 4 to 128 of ``a-z 0-9 . _ : -``, case-insensitive."""
    value = _prepare(field, raw).lower()
    if not value.isascii() or not _DEVICE.fullmatch(value):
        raise InvalidIdentifier.for_field(field, "must be 4 to 128 characters of a-z, 0-9, '.', '_', ':' or '-'")
    return value


# A dotted quad as ipaddress writes it back (no leading zeros): the text is its own normal form.
_PLAIN_IPV4 = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])")


def normalize_ip(raw: object, field: str = "ip") -> str:
    text = _prepare(field, raw)
    if _PLAIN_IPV4.fullmatch(text):  # the common case, without building an address object (#19)
        return text
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        raise InvalidIdentifier.for_field(field, "is not an IPv4 or IPv6 address") from None


def normalize_document(raw: object, field: str) -> str:
    """Passport and foreign ID numbers: upper-case letters and digits, separators removed."""
    value = _compact(field, raw).upper()
    if not value.isascii() or not _ALNUM.fullmatch(value) or len(value) < 3:
        raise InvalidIdentifier.for_field(field, "must be at least 3 letters or digits")
    return value


def normalize_imo(raw: object, field: str = "imo") -> str:
    """IMO number: ``IMO 9929429``, ``IMO9929429`` and ``9929429`` are the same; the check digit must hold."""
    value = _compact(field, raw).upper().removeprefix("IMO")
    if not value.isascii() or not value.isdigit() or len(value) != 7:
        raise InvalidIdentifier.for_field(field, "must be 7 digits, optionally after 'IMO'")
    if value[0] != "0" and sum(int(d) * w for d, w in zip(value[:6], range(7, 1, -1), strict=True)) % 10 != int(value[6]):
        # ship numbers carry a check digit; company and owner numbers (also 7 digits) do not, and start with 0..5
        if value[0] in "6789":
            raise InvalidIdentifier.for_field(field, "fails the IMO check digit")
    return value


def normalize_bic(raw: object, field: str = "bic") -> str:
    """SWIFT / BIC: 4 letters (bank), 2 letters (country), 2 letters or digits (place), optional 3 (branch).

    ``XXX`` is the head office: ``BKCHCNBJXXX`` and ``BKCHCNBJ`` are the same code.
    """
    value = _compact(field, raw).upper()
    if not re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?", value):
        raise InvalidIdentifier.for_field(field, "must be a SWIFT/BIC code of 8 or 11 letters and digits")
    return value[:8] if value.endswith("XXX") else value


def normalize_lei(raw: object, field: str = "lei") -> str:
    """Legal Entity Identifier: 20 letters and digits whose ISO 7064 mod 97-10 check holds."""
    from stdnum import lei
    from stdnum.exceptions import ValidationError

    value = _compact(field, raw).upper()
    try:
        return str(lei.validate(value))
    except ValidationError:
        raise InvalidIdentifier.for_field(field, "must be a 20-character LEI with a valid check") from None


def normalize(id_type: IdType | str, raw: object, field: str | None = None) -> str:
    """Normalise ``raw`` as an identifier of ``id_type``; raise InvalidIdentifier if it is not one."""
    if isinstance(id_type, IdType) and (normalizer := _NORMALIZERS.get(id_type)) is not None:
        return normalizer(raw, field or id_type.value)  # the common call, without the enum's lookup (#19)
    try:
        kind = IdType(id_type)
    except ValueError:
        raise InvalidIdentifier.for_field(
            field or "id_type", f"unknown identifier type {str(id_type)[:40]!r}; accepted: {', '.join(IdType)}"
        ) from None
    name = field or kind.value
    if kind in (IdType.PASSPORT, IdType.NATIONAL_ID, IdType.OTHER_ID):
        return normalize_document(raw, name)
    return _NORMALIZERS[kind](raw, name)


_NORMALIZERS = {
    IdType.ACCOUNT: normalize_account,
    IdType.CARD: normalize_card,
    IdType.PHONE: normalize_phone,
    IdType.ID_NUMBER: normalize_id_number,
    IdType.USCC: normalize_uscc,
    IdType.EMAIL: normalize_email,
    IdType.DEVICE: normalize_device,
    IdType.IP: normalize_ip,
    IdType.IMO: normalize_imo,
    IdType.BIC: normalize_bic,
    IdType.LEI: normalize_lei,
}


def identifier_key(id_type: IdType | str, value: str) -> int:
    """Deterministic signed 64-bit key of a normalised identifier, stable across processes.

    The hot index holds only these keys; a hit is always confirmed against the stored value.
    """
    digest = hashlib.blake2b(f"{id_type}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def mask(id_type: IdType | str, value: str) -> str:
    """Mask an identifier for logs: keep a short prefix and suffix only."""
    if not value:
        return value
    if id_type == IdType.EMAIL and "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(value) <= 4:
        return "*" * len(value)
    keep = 3 if len(value) >= 10 else 1
    return value[:keep] + "*" * (len(value) - keep - 4) + value[-4:]
