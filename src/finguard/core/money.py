"""Money: one type, one parser, one formatter, one bound.

An amount is an integer number of **minor units** of its currency (fen for CNY, cents for USD),
the places taken from ISO 4217 (Babel's CLDR data) with the few exceptions our sources need
(:data:`SOURCE_PLACES`). Floats never become money: a binary float cannot hold 0.1 exactly, so
the parser refuses them and every JSON reader hands numbers over as ``Decimal``. ``Decimal``
appears only as a view of a :class:`Money` (``money.decimal``), for arithmetic the rules and
features do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from finguard.core.errors import InvalidInput

# The one bound: no single amount above 10^16 minor units (10^14 yuan) is a real payment; it is a
# typo or an attack, and it keeps every amount inside a signed 64-bit integer.
MAX_MINOR = 10**16
# More digits than this in an amount's text are refused before any arithmetic (a 5,000-digit
# amount must cost nothing to refuse).
MAX_DIGITS = 40
# Places our sources quote where ISO 4217 says otherwise: AMLworld quotes yen with two decimals;
# Bitcoin (XBT, not in ISO 4217) in satoshi.
SOURCE_PLACES: dict[str, int] = {"XBT": 8, "JPY": 2}
CURRENCY = re.compile(r"^[A-Z]{3}$")
# Thousands separators are accepted only where they group digits: "4,000.00", never "4,00".
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


@cache
def places(currency: str) -> int:
    """Decimal places of a currency's minor unit (CNY 2, JPY 2 as our sources quote it, XBT 8)."""
    if currency in SOURCE_PLACES:
        return SOURCE_PLACES[currency]
    from babel.numbers import get_currency_precision  # CLDR's ISO 4217 data

    return int(get_currency_precision(currency))


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """``minor`` units of ``currency``: ``Money(400000, "CNY")`` is 4,000.00 yuan."""

    minor: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money.minor must be an int, not {type(self.minor).__name__}")

    @property
    def decimal(self) -> Decimal:
        """The amount in major units, exact (``Decimal("4000.00")``)."""
        return Decimal(self.minor).scaleb(-places(self.currency))

    def __str__(self) -> str:
        return f"{format_money(self.minor, self.currency)} {self.currency}"


def check_currency(raw: object, field: str = "currency") -> str:
    if not isinstance(raw, str) or not CURRENCY.fullmatch(raw.strip().upper()):
        raise InvalidInput.for_field(field, f"{str(raw)[:20]!r} is not a currency; an ISO 4217 code such as CNY is required")
    return raw.strip().upper()


def parse_money(
    raw: object,
    field: str = "amount",
    currency: str = "CNY",
    *,
    allow_zero: bool = False,
    allow_negative: bool = False,
) -> Money:
    """An amount as :class:`Money`. Accepts decimal strings (``"4000.00"``, ``"4,000.00"``,
    full-width digits), ints and ``Decimal``; refuses floats, booleans, NaN and infinities, more
    decimal places than the currency has, more than :data:`MAX_DIGITS` digits, amounts above
    :data:`MAX_MINOR` minor units, zero (unless ``allow_zero``) and negatives (unless
    ``allow_negative``, for balances). Every refusal names ``field`` and says what is accepted."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InvalidInput.for_field(field, "is missing; an amount such as 4000.00 is required")
    if isinstance(raw, bool):
        raise InvalidInput.for_field(field, "must be an amount such as 4000.00, not true or false")
    if isinstance(raw, float):
        raise InvalidInput.for_field(field, "must be a decimal string or an integer (a binary float cannot hold money exactly)")
    if isinstance(raw, int):
        if abs(raw) > MAX_MINOR:
            raise InvalidInput.for_field(field, "is larger than any single amount we accept")
        value = Decimal(raw)
        shown = str(raw)
    elif isinstance(raw, Decimal):
        value = raw
        shown = str(raw)[:MAX_DIGITS]
    elif isinstance(raw, str):
        text = raw.strip().translate(_FULL_WIDTH)
        shown = text[:MAX_DIGITS]
        if len(text) > MAX_DIGITS + 10:
            raise InvalidInput.for_field(field, f"has more than {MAX_DIGITS} digits")
        if "," in text:
            if not _GROUPED.fullmatch(text):
                raise InvalidInput.for_field(field, f"{shown!r}: commas may only group thousands (4,000.00)")
            text = text.replace(",", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise InvalidInput.for_field(field, f"{shown!r} is not a number; write it like 4000.00") from None
    else:
        raise InvalidInput.for_field(field, "must be a decimal string or an integer")
    if not value.is_finite():
        raise InvalidInput.for_field(field, f"{shown!r} is not a finite number")
    if len(value.as_tuple().digits) > MAX_DIGITS or value.adjusted() > 30:
        raise InvalidInput.for_field(field, f"has more than {MAX_DIGITS} digits")
    if value < 0 and not allow_negative:
        raise InvalidInput.for_field(field, f"{shown} is negative; amounts must be positive")
    if value == 0 and not allow_zero:
        raise InvalidInput.for_field(field, "is zero; amounts must be greater than zero")
    n = places(currency)
    scaled = value.scaleb(n)
    if scaled != scaled.to_integral_value():
        raise InvalidInput.for_field(field, f"{shown} has more than {n} decimal places for {currency}")
    minor = int(scaled)
    if abs(minor) > MAX_MINOR:
        raise InvalidInput.for_field(field, f"{shown} is larger than any single amount we accept")
    return Money(minor, currency)


def format_money(minor: int, currency: str = "CNY", *, fixed: bool = False) -> str:
    """``400000`` CNY -> ``"4,000"``; ``12350`` -> ``"123.50"`` (whole amounts without ``.00``,
    unless ``fixed``: ``"4,000.00"``, as a schedule's columns show them)."""
    n = places(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**n)
    text = f"{whole:,}"
    if fixed and n:
        return sign + text + "." + f"{frac:0{n}d}"
    if frac:
        digits = f"{frac:0{n}d}"
        text += "." + (digits if n <= 2 else digits.rstrip("0"))
    return sign + text


_FULL_WIDTH = str.maketrans("０１２３４５６７８９，．－＋", "0123456789,.-+")


def format_yuan(fen: int) -> str:
    """Fen as yuan with both decimals: ``123450`` -> ``"1,234.50"``, ``100`` -> ``"1.00"``."""
    return format_money(fen, "CNY", fixed=True)
