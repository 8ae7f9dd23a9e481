"""Day-count conventions and the monthly due-date grid."""

from __future__ import annotations

import calendar
from datetime import date
from enum import StrEnum
from fractions import Fraction


class DayCount(StrEnum):
    ACT_360 = "act/360"
    ACT_365 = "act/365"
    THIRTY_360 = "30/360"


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    day = start.day
    if day > 28:  # only then can the month be too short
        last = _MONTH_DAYS[month] if month != 1 else 29 if calendar.isleap(year) else 28
        day = min(day, last)
    return date(year, month + 1, day)


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def day_parts(start: date, end: date, convention: DayCount) -> tuple[int, int]:
    """(days, days in a year) under ``convention``: the year fraction unreduced, for fast exact sums."""
    if convention is DayCount.ACT_360:
        return (end - start).days, 360
    if convention is DayCount.ACT_365:
        return (end - start).days, 365
    d1 = min(start.day, 30)
    d2 = end.day
    if d2 == 31 and d1 == 30:
        d2 = 30
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1), 360


def year_fraction(start: date, end: date, convention: DayCount) -> Fraction:
    """The exact fraction of a year between two dates under ``convention``.

    30/360 is the bond basis (ISDA 2006 4.16(f)): day 31 counts as 30, and an end day 31
    counts as 30 when the start day is 30 or 31. A monthly period from a day <= 28 is then
    exactly 1/12, the periodic rate numpy-financial assumes.
    """
    if convention is DayCount.ACT_360:
        return Fraction((end - start).days, 360)
    if convention is DayCount.ACT_365:
        return Fraction((end - start).days, 365)
    d1 = min(start.day, 30)
    d2 = end.day
    if d2 == 31 and d1 == 30:
        d2 = 30
    days = 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)
    return Fraction(days, 360)
