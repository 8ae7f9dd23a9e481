"""Comparison of amounts in fen with numpy-financial's floating-point results.

The float is turned into its exact decimal value and rounded half up, like our amounts. A
difference counts only when it is not a tie artefact: a float within 1e-6 fen of a half fen
(where binary rounding error, not our arithmetic, picks the side) is reported apart.
"""

from __future__ import annotations

from decimal import Decimal

from finguard.loans.model.money import round_decimal

TIE_BAND = Decimal("0.000001")


def float_to_fen(value_yuan: float) -> tuple[int, bool]:
    """(rounded fen, near a tie?) of a float amount in yuan (numpy-financial's sign dropped)."""
    exact = abs(Decimal(float(value_yuan))) * 100
    fraction = exact - int(exact)
    return round_decimal(exact), abs(fraction - Decimal("0.5")) < TIE_BAND
