"""Replay and the starter pack: each pattern, the event that shows it, and the rule that catches it.

Replays run on the events' own clock (a stream from 2026 decided in any year) and store nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from finguard.guard.model.decision import Thresholds
from finguard.guard.model.events import parse_event
from finguard.guard.model.rules import compile_rule
from finguard.guard.service.replay import replay
from finguard.guard.service.rule_pack import STARTER_PACK
from tests.guard_helpers import T0, card_stream, luhn, transfer

PACK = [compile_rule(r) for r in STARTER_PACK]
CARD = luhn("62220" + "1" * 10)
DAY = T0 + timedelta(days=5)  # 10:00 in Beijing
NIGHT = T0 + timedelta(days=5, hours=17)  # 03:00 in Beijing


def card(event_id: str, at: Any, amount: str = "80.00", **over: Any) -> dict[str, Any]:
    body = transfer(event_id, at=at, amount=amount, type="card_auth", card=CARD, channel="pos")
    body.pop("payee")
    body["merchant"] = {"id": "m-usual", "region": "CN-BJ"}
    body.update(over)
    return body


def habit(n: int = 5) -> list[dict[str, Any]]:
    """The customer's usual life: n daytime card payments of 80 yuan over the days before."""
    return [card(f"h{i}", T0 + timedelta(days=i)) for i in range(n)]


def fired(events: list[dict[str, Any]]) -> set[str]:
    report = replay([parse_event(e, None) for e in events], PACK, Thresholds(), keep_decisions=len(events))
    return set(report.decisions[-1].fired)


@pytest.mark.parametrize(
    ("pattern", "tail", "rule"),
    [
        ("card details tried online", [card(f"c{i}", NIGHT + timedelta(minutes=i), channel="api") for i in range(3)], "card.cnp_burst"),
        (
            "card details tried online, slowly, at night",
            [card(f"c{i}", NIGHT + timedelta(minutes=20 * i), channel="api") for i in range(3)],
            "card.cnp_burst",
        ),
        ("a country never used", [card("x", DAY, merchant={"id": "m-usual", "region": "TH"})], "card.new_country"),
        ("100 times the usual amount", [card("x", DAY, amount="8000.00")], "any.amount_above_habit"),
        (
            "a new merchant at night",
            [card("x", NIGHT, amount="900.00", merchant={"id": "m-new", "region": "CN-BJ"})],
            "card.new_merchant_night",
        ),
        (
            "money to many payees within the hour",
            [transfer(f"t{i}", at=DAY + timedelta(minutes=i), payee={"account": f"62280000{i:08d}"}) for i in range(3)],
            "tf.fan_out_payees",
        ),
        (
            "one device, many customers",
            [transfer(f"t{i}", at=DAY + timedelta(minutes=i), customer_id=f"k{i}", device="dev-farm") for i in range(3)],
            "tf.device_shared",
        ),
        (
            "the whole balance out",
            [transfer("t", at=DAY, amount="18000.00", attributes={"balance_before": "18000.00"})],
            "tf.account_emptied",
        ),
    ],
)
def test_each_starter_pattern_is_caught(pattern: str, tail: list[dict[str, Any]], rule: str) -> None:
    assert rule in fired([*habit(), *tail]), pattern


def test_by_day_a_card_not_present_burst_takes_four_in_ten_minutes() -> None:
    def online(n: int, gap: int) -> list[dict[str, Any]]:
        return [card(f"c{i}", DAY + timedelta(minutes=gap * i), channel="api") for i in range(n)]

    assert "card.cnp_burst" not in fired([*habit(), *online(3, 20)])  # shoppers place a few orders in a row
    assert "card.cnp_burst" not in fired([*habit(), *online(3, 1)])
    assert "card.cnp_burst" in fired([*habit(), *online(4, 2)])


def test_a_shadow_rule_is_counted_apart_and_changes_no_outcome() -> None:
    """A large night transfer by a customer the guard has never seen: tf.large_night_no_history
    ships in shadow, so the payment is allowed and the report still says what the rule would catch."""
    events = [parse_event(transfer("t", at=NIGHT, amount="60000.00", customer_id="new1"), None)]
    report = replay(events, PACK, Thresholds(), labels={"t": 1}, keep_decisions=1)
    assert report.decisions[0].outcome.value == "allow" and report.decisions[0].fired == ()
    assert report.decisions[0].shadow_fired == ("tf.large_night_no_history",)
    data = report.as_dict()
    assert data["rules"] == {} and data["shadow_rules"]["tf.large_night_no_history"]["recall"] == 1.0
    assert data["overall"]["flagged"] == 0
    # With a history the customer's new payee at night is the enforced rule's (a hold), not this one.
    seen = [parse_event(transfer(f"h{i}", at=DAY - timedelta(days=i + 1), amount="50.00"), None) for i in range(5)]
    new_payee = parse_event(transfer("t2", at=NIGHT, amount="60000.00", payee={"account": "6228111122223333"}), None)
    later = replay([*seen, new_payee], PACK, Thresholds(), keep_decisions=6)
    assert "tf.new_payee_large_night" in later.decisions[-1].fired
    assert "tf.large_night_no_history" not in later.decisions[-1].shadow_fired


def test_a_small_card_payment_far_above_habit_is_flagged_in_shadow_only() -> None:
    """300 yuan after a habit of 80-yuan payments: under the enforced habit rule's 7,000 floor, so
    only the shadow rule (3x from 50 yuan) says it; the outcome stays allow."""
    events = [parse_event(e, None) for e in [*habit(), card("x", DAY, amount="300.00")]]
    last = replay(events, PACK, Thresholds(), keep_decisions=len(events)).decisions[-1]
    assert last.outcome.value == "allow" and last.fired == () and last.shadow_fired == ("any.amount_above_habit_3x",)
    ordinary = replay([parse_event(e, None) for e in [*habit(), card("y", DAY, amount="200.00")]], PACK, Thresholds(), keep_decisions=6)
    assert ordinary.decisions[-1].shadow_fired == ()


def test_an_ordinary_payment_fires_nothing() -> None:
    assert fired([*habit(), card("x", DAY, amount="95.00")]) == set()
    assert fired([*habit(), transfer("t", at=DAY, amount="500.00", attributes={"balance_before": "18000.00"})]) == set()


def test_a_replay_reports_per_rule_and_overall_against_labels() -> None:
    events, labels = card_stream()
    parsed = [parse_event(e, None) for e in events]
    report = replay(parsed, PACK, Thresholds(), labels=labels).as_dict()
    assert report["events"] == len(events) and report["fraud"] == sum(labels.values())
    overall = report["overall"]
    assert overall["recall"] >= 0.8 and overall["legit_reviewed"] <= 0.02
    assert report["rules"]["card.cnp_burst"]["precision"] == 1.0
    assert set(overall) == {"flagged", "fraud_caught", "recall", "precision", "legit_reviewed", "amount_caught", "review_rate"}
    late = replay(parsed, PACK, Thresholds(), labels=labels, measure=lambda e: e.occurred_at >= parsed[-1].occurred_at)
    assert late.events < 5  # only the measured period is counted; the rest built the history
