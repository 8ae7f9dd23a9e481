"""One feature pipeline: what the trainer computes for an event is what the live guard scores.

The trainer replays labelled events through a fresh in-memory ``Velocity`` and
``FeatureSchema.row``; the guard decides the same events one by one (as of their own time) and
hands the model its features. Every feature of every event must agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from finguard.guard.model.events import Event, parse_event
from finguard.guard.model.features import MERCHANT_RISK, Explained, FeatureSchema, raw_features
from finguard.guard.model.merchant_risk import DEFAULT_CONFIRM_DELAY
from finguard.guard.provider import make_guard
from finguard.guard.service.training import MODEL_VELOCITY, build_dataset
from tests.guard_helpers import Clock, card_stream, luhn, transfer


class Recorder:
    """A model that records the features it is given and never scores."""

    name = "recorder"

    def __init__(self, schema: FeatureSchema) -> None:
        self.schema = schema
        self.rows: dict[str, dict[str, Any]] = {}

    def explain(self, event: Event, features: Mapping[str, Any]) -> Explained | None:
        self.rows[event.event_id] = self.schema.row(event, features)
        return None


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def test_training_and_decision_time_compute_every_feature_alike(engine: Engine) -> None:
    raw, labels = card_stream(customers=12, days=12)
    # Add transfers with devices, IPs and payees so every family of feature is exercised.
    t0 = datetime(2026, 2, 5, 3, 0, tzinfo=UTC)
    for i in range(30):
        raw.append(
            transfer(
                f"t{i}",
                at=t0 + timedelta(minutes=7 * i),
                amount=f"{100 + 50 * i}.00",
                customer_id=f"cust{i % 4}",
                payee={"account": f"62280000{i % 5:08d}"},
                device=f"dev-{i % 3}",
                attributes={"balance_before": f"{1000 + i}.00", "segment": "retail" if i % 2 else "vip"},
            )
        )
    # A merchant compromised on day 3: every payment there is fraud from then on. Half the frauds
    # say when they were confirmed (3 hours on), the others are confirmed 7 days on (the default).
    for i in range(40):
        eid = f"skim{i}"
        at = t0 - timedelta(days=4) + timedelta(hours=6 * i, minutes=3)
        raw.append(
            {
                "event_id": eid,
                "type": "card_auth",
                "occurred_at": at.isoformat(),
                "customer_id": f"cust{i % 6}",
                "channel": "pos",
                "card": luhn(f"62220{i % 6:010d}"),
                "amount": "120.00",
                "merchant": {"id": "skim-1", "mcc": "5999", "region": "CN-BJ"},
            }
        )
        labels[eid] = int(i >= 12)
    confirmed_at = {f"skim{i}": t0 - timedelta(days=4) + timedelta(hours=6 * i + 3) for i in range(12, 40, 2)}
    raw.sort(key=lambda e: str(e["occurred_at"]))
    events = [parse_event(e, None) for e in raw]
    data = build_dataset(events, labels, confirmed_at=confirmed_at)
    assert data.schema.numeric_attributes == ("balance_before",) and data.schema.categorical_attributes == ("segment",)
    trained = {e.event_id: row for e, row in zip(data.events, data.rows, strict=True)}
    # Live, analysts confirm each fraud at the time training assumed; the guard reads the store.
    due = sorted(
        (confirmed_at.get(e.event_id, e.occurred_at + DEFAULT_CONFIRM_DELAY), e.event_id) for e in events if labels.get(e.event_id) == 1
    )

    clock = Clock(events[0].occurred_at)
    recorder = Recorder(data.schema)
    guard = make_guard(engine, None, clock=clock, model=recorder)
    assert guard.reviews is not None
    decided: dict[str, str] = {}
    for e in events:
        while due and due[0][0] < e.occurred_at:
            at, fraud_id = due.pop(0)
            clock.now = at
            guard.reviews.review(decided[fraud_id], "confirm_fraud", "confirmed", "ana")
        clock.now = e.occurred_at
        decided[e.event_id] = guard.decide(e).decision_id
    assert set(recorder.rows) == set(trained)
    names = set(next(iter(trained.values())))
    assert {f"vel.{v}" for v in MODEL_VELOCITY} <= names and "attr.segment" in names
    assert set(MERCHANT_RISK) <= names and set(MERCHANT_RISK) <= set(data.schema.numeric)
    assert max(r["merchant_fraud_7d"] or 0 for r in trained.values()) >= 10  # the features were exercised
    assert trained["t0"]["merchant_fraud_7d"] is None  # a transfer has no merchant: missing, not 0
    for event_id, row in trained.items():
        live = recorder.rows[event_id]
        for name in names:
            assert _same(row[name], live[name]), (event_id, name, row[name], live[name])


def test_card_events_get_velocity_habit_and_first_seen_features() -> None:
    raw, labels = card_stream(customers=6, days=14)
    data = build_dataset([parse_event(e, None) for e in raw], labels)
    fraud = [r for r, y in zip(data.rows, data.y, strict=True) if y == 1]
    legit = [r for r, y in zip(data.rows, data.y, strict=True) if y == 0]
    burst_end = max(fraud, key=lambda r: r["vel.card_cnp_count_10m"] or 0)
    assert burst_end["vel.card_cnp_count_10m"] >= 3 and burst_end["card_present"] == 0.0
    assert all(r["new_country"] == 1.0 for r in fraud[:1]) and fraud[0]["country"] == "US"
    assert fraud[0]["amount_to_habit"] is not None and fraud[0]["amount_to_habit"] > 3
    late = legit[-1]
    assert late["vel.card_auth_count_1h"] is not None and late["new_country"] == 0.0 and late["hour_band_share"] is not None


def test_missing_stays_missing_and_categories_are_categories() -> None:
    login = parse_event({k: v for k, v in transfer(type="login").items() if k not in ("amount", "payee", "account")}, None)
    row = raw_features(login, {}, MODEL_VELOCITY)
    assert row["amount"] is None and row["amount_to_habit"] is None and row["vel.card_auth_count_1h"] is None
    schema = FeatureSchema(MODEL_VELOCITY).with_categories([row])
    vector = dict(zip(schema.names, schema.encode(row), strict=True))
    assert math.isnan(vector["amount"]) and math.isnan(vector["card_present"])
    assert vector["type"] == 0.0 and vector["channel"] == 0.0  # the index of the category, not a number of the data
    other = raw_features(parse_event(transfer(channel="web"), None), {}, MODEL_VELOCITY)
    assert math.isnan(dict(zip(schema.names, schema.encode(other), strict=True))["channel"])  # unseen in training: missing
