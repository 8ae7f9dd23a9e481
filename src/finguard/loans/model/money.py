"""Rounding of exact amounts to whole fen (half up, 四舍五入) and rates.

Amounts are parsed by ``finguard.core.money.parse_money`` and shown by
``finguard.core.money.format_yuan`` (the one money parser and formatter).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction


def round_fraction(value: Fraction) -> int:
    """Round an exact amount of fen half away from zero."""
    num, den = value.numerator, value.denominator
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((-2 * num + den) // (2 * den))


def round_decimal(value: Decimal) -> int:
    """Round a Decimal amount of fen half away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_rate(text: str) -> Decimal:
    """An annual rate as a decimal fraction (``"0.0435"``) or a percentage (``"4.35%"``)."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = Decimal(raw.rstrip("%").strip())
    except InvalidOperation as exc:
        raise ValueError(f"not a rate: {text!r}") from exc
    if not value.is_finite() or "e" in raw.lower():
        raise ValueError(f"not a rate: {text!r}")
    if percent:
        value = value / 100
    if value < 0 or value >= 1:
        raise ValueError(f"an annual rate must be in [0, 1) (or [0%, 100%)): {text!r}")
    return value
