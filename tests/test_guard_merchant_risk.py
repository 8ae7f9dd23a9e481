"""The merchant's confirmed fraud (point of compromise): counted only once confirmed, never ahead.

The same :class:`ConfirmedFraudIndex` answers in training (confirmation times simulated from the
labels), in replays and live (the stored confirmations, fed by analysts' reviews): these tests
check that no label is read before its confirmation time, that a confirmation reaches the next
decision, and that a withdrawn one stops counting, on both stores.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from finguard.core.db import make_engine
from finguard.core.errors import InvalidInput
from finguard.guard.model.context import rule_context
from finguard.guard.model.decision import Outcome, Thresholds
from finguard.guard.model.events import Event, parse_event
from finguard.guard.model.merchant_risk import (
    DEFAULT_CONFIRM_DELAY,
    Confirmation,
    ConfirmedFraudIndex,
    confirmations_from_labels,
)
from finguard.guard.model.rules import compile_rule, evaluate_rules
from finguard.guard.provider import make_guard
from finguard.guard.service.merchant_risk import MerchantRiskService
from finguard.guard.service.replay import replay
from finguard.guard.service.rule_pack import STARTER_PACK
from finguard.guard.service.training import build_dataset, read_label_file
from finguard.guard.store.fraud import SqlConfirmedFraudStore
from tests.guard_helpers import Clock, luhn

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def card(event_id: str, at: datetime, merchant: str | None = "skim-1", customer: int = 1, amount: str = "80.00") -> dict[str, Any]:
    e: dict[str, Any] = {
        "event_id": event_id,
        "type": "card_auth",
        "occurred_at": at.isoformat(),
        "customer_id": f"cust{customer}",
        "channel": "pos",
        "card": luhn(f"62220{customer:010d}"),
        "amount": amount,
    }
    if merchant is not None:
        e["merchant"] = {"id": merchant, "mcc": "5411", "region": "CN-BJ"}
    return e


def test_the_index_counts_only_what_was_confirmed_before_the_time_by_window() -> None:
    index = ConfirmedFraudIndex(
        [
            Confirmation("a", "m1", T0 - timedelta(days=9), T0 - timedelta(days=2)),
            Confirmation("b", "m1", T0 - timedelta(days=20), T0 - timedelta(days=10)),
            Confirmation("c", "m1", T0 - timedelta(days=1), T0 - timedelta(hours=1)),
            Confirmation("d", "m1", T0 - timedelta(days=3), T0),  # confirmed at the very time: not before it
            Confirmation("e", "m1", T0 - timedelta(days=3), T0 - timedelta(days=3), withdrawn_at=T0 - timedelta(days=1)),
            Confirmation("f", "m1", T0 - timedelta(days=4), T0 - timedelta(days=4), withdrawn_at=T0 + timedelta(days=1)),
            Confirmation("g", "m2", T0 - timedelta(days=4), T0 - timedelta(days=3)),
        ]
    )
    assert index.counts("m1", T0) == {"merchant_fraud_1d": 1, "merchant_fraud_7d": 3, "merchant_fraud_30d": 4}
    # Before "e" was withdrawn it counted; before "c" was confirmed it did not.
    assert index.counts("m1", T0 - timedelta(days=1, hours=12)) == {"merchant_fraud_1d": 1, "merchant_fraud_7d": 3, "merchant_fraud_30d": 4}
    assert index.counts("nobody", T0) == {"merchant_fraud_1d": 0, "merchant_fraud_7d": 0, "merchant_fraud_30d": 0}
    no_merchant = parse_event(card("x", T0, merchant=None), None)
    assert index.values(no_merchant) == {"merchant_fraud_1d": None, "merchant_fraud_7d": None, "merchant_fraud_30d": None}


def _skimmed() -> tuple[list[Event], dict[str, int]]:
    """A merchant compromised on day 3: every payment there from then on is fraud."""
    raw = [card(f"p{i}", T0 + timedelta(hours=12 * i), customer=i % 5) for i in range(30)]
    raw += [card(f"o{i}", T0 + timedelta(hours=12 * i, minutes=5), merchant="shop-2", customer=i % 5) for i in range(30)]
    events = sorted((parse_event(e, None) for e in raw), key=lambda e: e.occurred_at)
    labels = {e.event_id: int(e.event_id.startswith("p") and int(e.event_id[1:]) >= 6) for e in events}
    return events, labels


def test_training_features_never_read_a_label_before_its_confirmation() -> None:
    events, labels = _skimmed()
    data = build_dataset(events, labels)
    rows = {e.event_id: r for e, r in zip(data.events, data.rows, strict=True)}
    first_fraud = T0 + timedelta(hours=12 * 6)
    for e in data.events:
        row = rows[e.event_id]
        if e.merchant is not None and e.merchant.id == "shop-2":
            assert row["merchant_fraud_30d"] == 0.0
            continue
        # Fraud confirmed 7 days after it happened: nothing counts before the first confirmation.
        expected = sum(1 for f in events if labels[f.event_id] and f.occurred_at + DEFAULT_CONFIRM_DELAY < e.occurred_at)
        assert row["merchant_fraud_30d"] == float(expected), e.event_id
        if e.occurred_at <= first_fraud + DEFAULT_CONFIRM_DELAY:
            assert row["merchant_fraud_7d"] == 0.0
    late = rows["p29"]
    # p6..p14 confirmed in the week before p29; 13 earlier payments there in that week.
    assert late["merchant_fraud_7d"] == 9.0 and late["merchant_fraud_share_7d"] == pytest.approx(9 / 13)
    # Flipping the labels of events confirmed after t changes nothing at t (no label from the future).
    cut = T0 + timedelta(days=9)
    flipped = {
        k: (1 - v if next(e for e in events if e.event_id == k).occurred_at + DEFAULT_CONFIRM_DELAY >= cut else v)
        for k, v in labels.items()
    }
    other = build_dataset(events, flipped)
    for e, a, b in zip(data.events, data.rows, other.rows, strict=True):
        if e.occurred_at <= cut:
            assert {k: a[k] for k in a if k.startswith("merchant_fraud")} == {k: b[k] for k in b if k.startswith("merchant_fraud")}
    # A label file's confirmed_at moves the counting to it.
    fast = build_dataset(events, labels, confirmed_at={e.event_id: e.occurred_at + timedelta(hours=1) for e in events})
    assert dict(zip([e.event_id for e in fast.events], fast.rows, strict=True))["p8"]["merchant_fraud_1d"] == 2.0
    # Without a merchant, and for a model trained before these features, they are missing.
    assert build_dataset(events, labels, merchant_risk=False).schema.merchant_risk is False


def test_a_label_file_carries_an_optional_confirmation_time(tmp_path: Path) -> None:
    good = tmp_path / "labels.csv"
    good.write_text("event_id,label,confirmed_at\np6,1,2026-03-06T10:00:00+08:00\np7,1,\nq1,0,\n")
    found = read_label_file(good)
    assert found.labels == {"p6": 1, "p7": 1, "q1": 0}
    assert found.confirmed_at == {"p6": datetime(2026, 3, 6, 2, 0, tzinfo=UTC)}
    bad = tmp_path / "bad.csv"
    bad.write_text("event_id,label,confirmed_at\np6,1,yesterday\n")
    with pytest.raises(InvalidInput) as caught:
        read_label_file(bad)
    assert caught.value.problems[0].field == "confirmed_at" and caught.value.problems[0].line == 2


def test_replay_feeds_confirmations_by_their_time() -> None:
    events, labels = _skimmed()
    rule = compile_rule(next(r for r in STARTER_PACK if r.id == "card.merchant_confirmed_fraud"))
    confirmed = confirmations_from_labels(events, labels)
    report = replay(events, [rule], Thresholds(), labels=labels, keep_decisions=len(events), confirmations=confirmed)
    flagged = {d.event_id for d in report.decisions if d.outcome is not Outcome.ALLOW}
    assert flagged and all(
        e.event_id in flagged or e.merchant is None or e.merchant.id != "skim-1" for e in events if e.occurred_at > T0 + timedelta(days=13)
    )
    first = min(e.occurred_at for e in events if e.event_id in flagged)
    assert first > T0 + timedelta(hours=72) + DEFAULT_CONFIRM_DELAY  # not before fraud was confirmed
    assert not any(e.event_id in flagged for e in events if e.merchant and e.merchant.id == "shop-2")
    # Without confirmations the rule has nothing to read.
    bare = replay(events, [rule], Thresholds(), labels=labels)
    assert bare.overall.flagged == 0


def test_a_confirmation_applies_to_the_next_decision_and_a_withdrawal_stops_it(engine: Engine) -> None:
    clock = Clock(T0)
    guard = make_guard(engine, None, clock=clock, cache_check_seconds=3600)
    assert guard.reviews is not None and guard.merchant_risk is not None
    risk = guard.merchant_risk

    def decide(event_id: str, hours: float, merchant: str = "skim-1") -> dict[str, Any]:
        clock.now = T0 + timedelta(hours=hours)
        d = guard.decide(parse_event(card(event_id, clock.now, merchant=merchant), None))
        return {"decision": d, "vel": risk.values(parse_event(card(event_id, clock.now, merchant=merchant), None))}

    first = decide("e1", 0)
    assert first["vel"]["merchant_fraud_7d"] == 0
    decide("e2", 1)
    clock.now = T0 + timedelta(hours=2)
    guard.reviews.review(first["decision"].decision_id, "confirm_fraud", "cardholder disputed it", "ana")
    nxt = decide("e3", 2.5)
    assert nxt["vel"] == {"merchant_fraud_1d": 1, "merchant_fraud_7d": 1, "merchant_fraud_30d": 1}
    stored = guard.store.stored_decisions(None, None, 10)
    inputs = next(s.inputs for s in stored if s.decision.event_id == "e3")
    assert inputs["features"]["merchant_fraud_7d"] == 1  # what the rules saw, kept with the decision
    assert decide("e4", 3, merchant="shop-2")["vel"]["merchant_fraud_7d"] == 0
    # Another process's guard on the same database sees it too (its cache checks the counter).
    other = make_guard(engine, None, clock=clock, cache_check_seconds=0)
    assert other.merchant_risk is not None
    assert other.merchant_risk.values(parse_event(card("z", T0 + timedelta(hours=4)), None))["merchant_fraud_7d"] == 1
    # An earlier time still sees nothing: the confirmation came at T0 + 2 h.
    assert other.merchant_risk.values(parse_event(card("y", T0 + timedelta(hours=1)), None))["merchant_fraud_7d"] == 0
    clock.now = T0 + timedelta(hours=5)
    guard.reviews.review(first["decision"].decision_id, "legit", "the dispute was withdrawn", "ana")
    assert decide("e5", 6)["vel"]["merchant_fraud_7d"] == 0
    assert risk.values(parse_event(card("w", T0 + timedelta(hours=4)), None))["merchant_fraud_7d"] == 1  # it counted until then
    assert decide("e6", 24 * 40)["vel"]["merchant_fraud_30d"] == 0


def test_an_imported_label_file_is_counted_live_from_its_confirmation(engine: Engine) -> None:
    events, labels = _skimmed()
    clock = Clock(T0 + timedelta(days=10))
    guard = make_guard(engine, None, clock=clock)
    assert guard.merchant_risk is not None
    confirmed = {"p6": T0 + timedelta(days=4)}
    added = guard.merchant_risk.import_labels(events, labels, confirmed, actor="t")
    assert added == 24  # the fraud at a merchant; none at shop-2
    assert guard.merchant_risk.import_labels(events, labels, confirmed, actor="t") == 0  # kept, first time stays
    at = parse_event(card("q", T0 + timedelta(days=4, hours=1)), None)
    assert guard.merchant_risk.values(at)["merchant_fraud_1d"] == 1  # p6 only: the others are confirmed 7 days on
    # Confirmation times beyond the clock are taken as now: the file is known now.
    late = parse_event(card("r", T0 + timedelta(days=10, minutes=1)), None)
    assert guard.merchant_risk.values(late)["merchant_fraud_1d"] == 14  # p7..p20, due after now, known now


def test_the_starter_rule_wants_two_frauds_confirmed_in_a_week_and_a_share_of_the_merchants_payments() -> None:
    rule = compile_rule(next(r for r in STARTER_PACK if r.id == "card.merchant_confirmed_fraud"))
    event = parse_event(card("x", T0), None)

    def fires(vel: dict[str, int]) -> bool:
        ctx = rule_context(event, vel, None, {"check": None}, None, {"score": None})
        return any(r.code == rule.rule.id for r in evaluate_rules([rule], ctx, event.type))

    assert fires({"merchant_fraud_7d": 2, "merchant_count_7d": 15})  # 2 of 14 earlier payments
    assert not fires({"merchant_fraud_7d": 1, "merchant_count_7d": 3})
    assert not fires({"merchant_fraud_7d": 3, "merchant_count_7d": 1000})  # a large merchant: 0.3 %
    assert not fires({"merchant_count_7d": 15})  # no store of confirmations: the count is missing


class _SlowReads(SqlConfirmedFraudStore):
    """The real store, whose reload read waits until the test lets it go (a big table, a slow disk)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.slow = False
        self.reading = threading.Event()
        self.go_on = threading.Event()

    def confirmation_times(self, since: datetime) -> list[tuple[str, datetime, datetime | None]]:
        if self.slow:
            self.reading.set()
            assert self.go_on.wait(10)
        return super().confirmation_times(since)


def _confirm(engine: Engine, event_id: str, at: datetime) -> None:
    from finguard.core.db import begin_write
    from finguard.guard.store.fraud import confirm_in

    with begin_write(engine) as conn:
        row = {"event_id": event_id, "merchant_id": "skim-1", "customer_id": "c1", "occurred_at": at - timedelta(hours=1),
               "confirmed_at": at, "source": "review", "actor": "ana"}  # fmt: skip
        confirm_in(conn, row)


def test_another_process_s_confirmation_is_reloaded_without_stopping_the_other_decisions(engine: Engine, db_url: str) -> None:
    """A confirmation stored by another process: the thread that notices it reloads, and the
    decisions of the other threads meanwhile go on with the index they had instead of waiting.
    A confirmation made in this process during that reload is loaded at once, and the slower
    reload does not replace it afterwards."""
    here, there = engine, make_engine(db_url)  # two engines: two processes' change counts
    try:
        store = _SlowReads(here)
        risk = MerchantRiskService(store, lambda: T0 + timedelta(days=1), check_seconds=0)
        event = parse_event(card("q", T0 + timedelta(days=1)), None)
        assert risk.values(event)["merchant_fraud_7d"] == 0
        _confirm(there, "elsewhere-1", T0)
        store.slow = True
        seen: list[int | None] = []
        noticing = threading.Thread(target=lambda: seen.append(risk.values(event)["merchant_fraud_7d"]))
        noticing.start()
        assert store.reading.wait(10)  # the reload is under way
        store.slow = False
        assert risk.values(event)["merchant_fraud_7d"] == 0  # not held up: the index it had
        _confirm(here, "here-1", T0 + timedelta(hours=1))
        store.changed_here()
        assert risk.values(event)["merchant_fraud_7d"] == 2  # a change made here: loaded now, both in it
        store.go_on.set()
        noticing.join(10)
        assert seen == [2]  # the slower reload handed back the newer index and did not replace it
        assert risk.values(event)["merchant_fraud_7d"] == 2
    finally:
        there.dispose()
