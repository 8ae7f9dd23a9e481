"""Closed-form annuity figures in exact decimals: what numpy-financial's ``pmt``, ``ipmt``,
``ppmt`` and ``fv`` compute in floating point, here to 50 digits, for reconciliation.

The cash schedule (``schedule.compute``) debits a payment rounded to the fen and charges interest
on the balance actually left, so after many periods its rows can drift a few fen from these
unrounded figures; the instalment itself is the same to the fen.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

from finguard.loans.model.money import round_decimal


def payment(principal_fen: int, rate: Decimal, periods: int) -> Decimal:
    """The level payment per period (``-npf.pmt(rate, periods, principal)``), unrounded, in fen."""
    with localcontext() as ctx:
        ctx.prec = 50
        if rate == 0:
            return Decimal(principal_fen) / periods
        growth = (1 + rate) ** periods
        return principal_fen * rate * growth / (growth - 1)


def balance_after(principal_fen: int, rate: Decimal, periods: int, k: int) -> Decimal:
    """The balance after ``k`` level payments (``npf.fv(rate, k, -pmt, principal)``, sign flipped)."""
    with localcontext() as ctx:
        ctx.prec = 50
        pay = payment(principal_fen, rate, periods)
        if rate == 0:
            return principal_fen - pay * k
        growth = (1 + rate) ** k
        return principal_fen * growth - pay * (growth - 1) / rate


def split(principal_fen: int, rate: Decimal, periods: int, k: int) -> tuple[Decimal, Decimal]:
    """(interest, principal) of payment ``k`` (1-based): ``-npf.ipmt``, ``-npf.ppmt``."""
    with localcontext() as ctx:
        ctx.prec = 50
        interest = balance_after(principal_fen, rate, periods, k - 1) * rate
        return interest, payment(principal_fen, rate, periods) - interest


def rounded_rows(principal_fen: int, rate: Decimal, periods: int) -> list[tuple[int, int, int, int]]:
    """Per period, each rounded to the fen: (payment, interest, principal, balance after)."""
    pay = round_decimal(payment(principal_fen, rate, periods))
    out = []
    for k in range(1, periods + 1):
        interest, principal = split(principal_fen, rate, periods, k)
        out.append((pay, round_decimal(interest), round_decimal(principal), round_decimal(balance_after(principal_fen, rate, periods, k))))
    return out
