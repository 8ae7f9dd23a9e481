"""Amounts in one reporting currency before the monitors compare them (#12).

The ECB reference rates of the transfer's day (the latest ECB day at or before it) convert each
amount, in integer arithmetic; a currency without a rate is left out and counted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, Decimal

import numpy as np
import pytest

from finguard.ledger.model import FRAME_CURRENCIES
from finguard.monitors.model import MonitorConfig
from finguard.monitors.service.rates import ecb_rates, to_reporting
from finguard.monitors.service.runner import run_monitors

CODE = {c: i for i, c in enumerate(FRAME_CURRENCIES)}
FRIDAY = int(datetime(2024, 3, 15, 12, tzinfo=UTC).timestamp())
SUNDAY = int(datetime(2024, 3, 17, 12, tzinfo=UTC).timestamp())


def ecb(currency: str, day: str) -> Decimal:
    """The published rate (units per euro) read straight from the table."""
    t = ecb_rates()
    d = date.fromisoformat(day).toordinal() - date(1970, 1, 1).toordinal()
    i = int(np.searchsorted(t.days[currency], d, side="right")) - 1
    return Decimal(int(t.per_euro[currency][i])) / 10**6


def test_usd_to_cny_at_the_days_ecb_rate_exactly() -> None:
    """100.00 USD on Friday 2024-03-15 is 10000 cents x (CNY per euro / USD per euro) fen, floored."""
    got, missing = to_reporting(np.array([10000]), np.array([CODE["USD"]]), np.array([FRIDAY]), "CNY")
    want = (Decimal(10000) * ecb("CNY", "2024-03-15") / ecb("USD", "2024-03-15")).to_integral_value(ROUND_FLOOR)
    assert got.tolist() == [int(want)] and not missing.any()
    assert 70000 < got[0] < 74000  # about 7.2 yuan a dollar in March 2024
    weekend, _ = to_reporting(np.array([10000]), np.array([CODE["USD"]]), np.array([SUNDAY]), "CNY")
    assert weekend.tolist() == got.tolist()  # no ECB rate on Sunday: Friday's


def test_same_currency_is_untouched_and_a_currency_without_a_rate_is_left_out() -> None:
    amounts = np.array([12345, 500, 700])
    codes = np.array([CODE["CNY"], CODE["SAR"], 0])
    got, missing = to_reporting(amounts, codes, np.array([FRIDAY] * 3), "CNY")
    assert got.tolist() == [12345, 0, 0] and missing.tolist() == [False, True, True]


def test_monitors_compare_amounts_in_the_reporting_currency() -> None:
    """Five senders pay one account 2,000 yen each within a day: 10,000 yen is about 480 yuan,
    below a 1,000 yuan fan-in floor, though 10,000 would pass it were yen taken for yuan. In US
    dollars (about 72 yuan each) the same fan-in passes. A Saudi riyal transfer has no ECB rate."""
    cols = {
        "src": np.array([1, 2, 3, 4, 5, 6], dtype=np.int32),
        "dst": np.zeros(6, dtype=np.int32),
        "amount_fen": np.array([200000] * 5 + [100], dtype=np.int64),
        "ts": np.array([FRIDAY + 60 * i for i in range(6)], dtype=np.int64),
        "accounts": np.array([f"A{i}" for i in range(7)], dtype=object),
    }
    cfg = MonitorConfig().with_overrides(
        {
            "fan_in": {"min_counterparties": 5, "min_total": 100_000, "min_burst": 0},
            "novelty": {"lookback": 0},
            "baseline": {"routine_days": 0},
        }
    )
    yen = run_monitors({**cols, "currency": np.array([CODE["JPY"]] * 5 + [CODE["SAR"]], dtype=np.int32)}, cfg)
    assert yen.counts().get("fan_in", 0) == 0 and yen.dropped_no_rate == 1
    dollars = run_monitors({**cols, "currency": np.array([CODE["USD"]] * 6, dtype=np.int32)}, cfg)
    assert dollars.counts()["fan_in"] == 1 and dollars.dropped_no_rate == 0


def test_a_ledger_all_in_the_reporting_currency_never_reads_the_rate_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the ECB history costs a fresh process ~0.2 s of CPU: only a conversion pays it (#10 bench)."""
    import finguard.monitors.service.rates as rates

    def refuse() -> None:
        raise AssertionError("the rate table was read")

    monkeypatch.setattr(rates, "ecb_rates", refuse)
    got, missing = to_reporting(np.array([500, 700]), np.array([CODE["CNY"]] * 2), np.array([FRIDAY, SUNDAY]), "CNY")
    assert got.tolist() == [500, 700] and not missing.any()
    got, missing = to_reporting(np.array([500]), np.array([0]), np.array([FRIDAY]), "CNY")  # no currency code: left out
    assert got.tolist() == [0] and missing.tolist() == [True]
