"""Amounts in yuan before the guard compares them (#11): a payment in another currency is
converted at its day's rate for the rules, the customer's caps and the velocity sums; a currency
without a rate is an error reason (review), never compared as if it were yuan."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

import pytest
from sqlalchemy import Engine

from finguard.core.fx import RateFileError, convert, ecb_rates, parse_rates, rate_index
from finguard.guard.model.controls import ChannelLimit, ControlSettings, Limits
from finguard.guard.model.decision import Outcome, ReasonKind, Thresholds
from finguard.guard.model.events import parse_event
from finguard.guard.model.rules import Rule, compile_rule
from finguard.guard.provider import make_guard
from finguard.guard.service.engine import GuardService
from finguard.guard.service.fx import Fx
from finguard.guard.service.replay import replay
from finguard.guard.service.velocity import MemoryBackend, Velocity
from tests.guard_helpers import T0, Clock, transfer

# A bank's own table: 8 yuan and 1.1 dollars a euro (so 1 USD = 7.2727... CNY), no SAR.
TABLE = parse_rates("Date,USD,CNY,JPY\n2026-03-02,1.1,8.0,160\n2026-02-27,1.0,8.0,150\n", "test table")
FX = Fx(TABLE)


@pytest.fixture
def guard(engine: Engine) -> GuardService:
    clock = Clock(T0 + timedelta(minutes=5))
    return make_guard(engine, None, clock=clock, velocity=Velocity(MemoryBackend(), fx=FX))


def test_convert_uses_the_days_rate_floored_to_the_fen() -> None:
    got = convert(Decimal("100.00"), "USD", "CNY", date(2026, 3, 2), TABLE)
    assert got is not None and got.amount == (Decimal(10000) * 8 / Decimal("1.1")).to_integral_value(ROUND_FLOOR) / 100
    assert got.rate_day == date(2026, 3, 2)
    sunday = convert(Decimal("100.00"), "USD", "CNY", date(2026, 3, 1), TABLE)  # no row on Sunday: Friday's
    assert sunday is not None and sunday.amount == Decimal("800.00") and sunday.rate_day == date(2026, 2, 27)
    assert convert(Decimal("1000"), "JPY", "CNY", date(2026, 3, 2), TABLE).amount == Decimal("50.00")  # type: ignore[union-attr]
    assert convert(Decimal("100"), "SAR", "CNY", date(2026, 3, 2), TABLE) is None


def test_the_ecb_table_matches_the_monitors_and_drops_a_currency_it_stopped_publishing() -> None:
    t = ecb_rates()
    friday = convert(Decimal("100.00"), "USD", "CNY", date(2024, 3, 15), t)
    assert friday is not None and Decimal("700") < friday.amount < Decimal("740")
    day = date(2024, 3, 15).toordinal() - date(1970, 1, 1).toordinal()
    assert rate_index(t, "RUB", day) is None  # the ECB stopped publishing the rouble in March 2022
    assert convert(Decimal("100"), "SAR", "CNY", date(2024, 3, 15), t) is None


def test_a_bad_rate_file_names_the_line_and_the_column() -> None:
    with pytest.raises(RateFileError, match="line 2: USD 'abc'"):
        parse_rates("Date,USD\n2026-03-02,abc\n", "f.csv")
    with pytest.raises(RateFileError, match="line 1 must start with 'Date'"):
        parse_rates("USD,CNY\n", "f.csv")


def test_a_dollar_payment_meets_the_yuan_threshold_its_amount_alone_would_miss(guard: GuardService) -> None:
    """3,000 USD is about 21,800 yuan: a rule for 20,000 yuan or more fires on it, not on 3,000 CNY."""
    guard.rules.save(Rule("r.large", "event.amount >= 20000", "large", score=40), "t")
    usd = guard.decide_raw(transfer("u1", amount="3000.00", currency="USD"))
    assert usd.outcome is Outcome.REVIEW and [r.code for r in usd.reasons] == ["r.large"]
    cny = guard.decide_raw(transfer("c1", amount="3000.00", at=T0 + timedelta(minutes=1)))
    assert cny.outcome is Outcome.ALLOW and cny.reasons == ()
    # A rule can still read the amount as sent, and the rate.
    guard.rules.save(Rule("r.sent", "event.currency == 'USD' and event.amount_sent == 3000 and event.rate > 7", "sent", score=10), "t")
    again = guard.decide_raw(transfer("u2", amount="3000.00", currency="USD", at=T0 + timedelta(minutes=2)))
    assert {r.code for r in again.reasons} == {"r.large", "r.sent"}


def test_a_currency_without_a_rate_is_reviewed_with_a_reason_never_compared_as_yuan(guard: GuardService) -> None:
    guard.rules.save(Rule("r.any", "event.amount >= 0", "any amount", score=100, outcome=Outcome.BLOCK), "t")
    d = guard.decide_raw(transfer("s1", amount="10.00", currency="SAR"))
    assert d.outcome is Outcome.REVIEW
    assert [(r.kind, r.code) for r in d.reasons] == [(ReasonKind.ERROR, "currency_rate_unavailable")]
    assert "no SAR to CNY rate on 2026-03-02 in test table" in d.reasons[0].detail


def test_the_customers_caps_compare_yuan_and_hold_what_cannot_be_converted(guard: GuardService) -> None:
    limits = ControlSettings(limits=Limits((ChannelLimit("mobile", single=Decimal("10000")),)))
    guard.controls.set("c1", limits, actor="c1", channel="branch", at_branch=True)
    below = guard.decide_raw(transfer("u1", amount="1000.00", currency="USD"))  # 7,272 yuan
    assert below.outcome is Outcome.ALLOW
    above = guard.decide_raw(transfer("u2", amount="2000.00", currency="USD", at=T0 + timedelta(minutes=1)))  # 14,545 yuan
    assert above.outcome is Outcome.BLOCK and "single_limit" in [r.code for r in above.reasons]
    unknown = guard.decide_raw(transfer("s1", amount="10.00", currency="SAR", at=T0 + timedelta(minutes=2)))
    assert unknown.outcome is Outcome.HOLD
    assert {r.code for r in unknown.reasons} == {"currency_rate_unavailable", "amount_not_converted"}


def test_velocity_sums_are_in_yuan() -> None:
    v = Velocity(MemoryBackend(), fx=FX)
    v.observe(parse_event(transfer("c1", amount="100.00"), None))
    got = v.observe(parse_event(transfer("u1", amount="100.00", currency="USD", at=T0 + timedelta(minutes=1)), None)).values
    assert got["customer_out_sum_30d"] == Decimal("100.00") + Decimal("727.27")
    none = v.observe(parse_event(transfer("s1", amount="100.00", currency="SAR", at=T0 + timedelta(minutes=2)), None)).values
    assert none["customer_out_sum_30d"] == Decimal("827.27") and none["customer_out_count_30d"] == 3


def test_replay_converts_counts_the_amount_in_yuan_and_reports_a_missing_rate() -> None:
    events = [
        parse_event(transfer("u1", amount="3000.00", currency="USD"), None),
        parse_event(transfer("s1", amount="10.00", currency="SAR", at=T0 + timedelta(minutes=1)), None),
    ]
    rules = [compile_rule(Rule("r.large", "event.amount >= 20000", "large", score=40))]
    report = replay(events, rules, Thresholds(), labels={"u1": 1}, keep_decisions=2, fx=FX)
    assert [d.outcome.value for d in report.decisions] == ["review", "review"]
    assert report.decisions[0].fired == ("r.large",) and report.decisions[1].fired == ()
    assert report.errors == {"currency_rate_unavailable": 1}
    assert report.fraud_amount == pytest.approx(21818.18)


def test_a_backtest_compares_the_yuan_amount_the_decision_saw(guard: GuardService) -> None:
    guard.decide_raw(transfer("u1", amount="3000.00", currency="USD"))
    guard.rules.save(Rule("r.large", "event.amount >= 20000", "large", score=40), "t")
    report = guard.rules.backtest(guard.store, guard.config.thresholds)
    assert report.fired == {"r.large": 1} and report.transitions == {"allow->review": 1}
