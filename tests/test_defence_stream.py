"""Poison-proof guard stream (issue #18): a message that cannot be parsed or decided is
dead-lettered with its reason and counted, and never holds the events behind it.

Real NATS JetStream (``FINGUARD_TEST_NATS_URL``), streams and subjects of each test's own.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from finguard.guard.model.decision import Decision
from finguard.guard.model.events import Event
from finguard.guard.provider import make_guard
from finguard.guard.service.stream import ConsumerThread, GuardConsumer, StreamSettings
from tests.guard_helpers import T0, Clock, transfer
from tests.test_guard_stream import events, js, ledger_count, nats_settings, publish_raw, stream_messages, wait_for

__all__ = ["nats_settings"]  # the fixture, shared with the stream tests

# A valid transfer but for its amount: a JSON number of 5,000 digits.
HUGE_AMOUNT = json.dumps(transfer("p-digits", at=T0, amount="1.00")).replace('"1.00"', "9" * 5000).encode()
DEEP = b"[" * 30_000 + b"]" * 30_000


def test_a_5000_digit_amount_alone_used_to_stall_the_stream(engine: Engine, nats_settings: StreamSettings) -> None:
    """The reported defect: one such event before 20 valid ones, and none of them was decided."""
    guard = make_guard(engine, None, clock=Clock(T0 + timedelta(minutes=30)))
    publish_raw(nats_settings, [HUGE_AMOUNT] + [json.dumps(e).encode() for e in events(20, "h")])
    run = ConsumerThread(GuardConsumer(guard, nats_settings)).start()
    try:
        wait_for(lambda: run.consumer.health.decided >= 20, timeout=30, what="the 20 events behind the poison")
    finally:
        run.stop()
    assert run.consumer.health.invalid == 1
    (letter,) = [b for _, b in stream_messages(nats_settings, nats_settings.events_stream, nats_settings.invalid_subject)]
    assert letter["error"]["status"] == 422 and letter["error"]["problems"][0]["field"] == "body"


def test_a_stream_with_one_percent_poison_is_decided_completely(engine: Engine, nats_settings: StreamSettings) -> None:
    guard = make_guard(engine, None, clock=Clock(T0 + timedelta(hours=1)))  # after the last of the 297 events
    real = guard.decide_many

    def decide_many(batch: Sequence[Event]) -> list[Decision | Any]:
        # A fault inside deciding that belongs to one event (not the store): it must not hold the batch.
        if any(e.event_id == "p-decide" for e in batch):
            raise ValueError("a rule could not evaluate this event")
        return real(batch)

    guard.decide_many = decide_many  # type: ignore[method-assign]
    good = [json.dumps(e).encode() for e in events(297, "q")]
    poison = [HUGE_AMOUNT, DEEP, json.dumps(transfer("p-decide", at=T0, amount="5.00")).encode()]
    bodies = good[:]
    rng = random.Random(18)
    for p in poison:
        bodies.insert(rng.randrange(len(bodies)), p)
    assert len(bodies) == 300  # 1 % poison
    publish_raw(nats_settings, bodies)

    run = ConsumerThread(GuardConsumer(guard, nats_settings)).start()
    try:
        wait_for(lambda: run.consumer.health.decided + run.consumer.health.invalid >= 300, timeout=120, what="every message handled")
        time.sleep(0.3)
    finally:
        run.stop()
    assert (run.consumer.health.decided, run.consumer.health.invalid) == (297, 3)
    assert ledger_count(engine) == 297
    letters = [b for _, b in stream_messages(nats_settings, nats_settings.events_stream, nats_settings.invalid_subject)]
    reasons = sorted(b["error"]["code"] for b in letters)
    assert reasons == ["invalid_input", "invalid_input", "undecidable"]
    assert all(b["error"]["message"] for b in letters)

    async def pending(j: Any) -> tuple[int, int]:
        info = await j.consumer_info(nats_settings.events_stream, nats_settings.durable)
        return info.num_pending, info.num_ack_pending

    assert js(nats_settings, pending) == (0, 0)
