"""#19, guard15: the velocity's one pass and the model's kept columns give what the earlier steps gave."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np

from finguard.guard.model.events import Event, parse_event
from finguard.guard.model.features import FeatureSchema
from finguard.guard.service.metrics import Isotonic
from finguard.guard.service.velocity import (
    FIRST_SEEN,
    MemoryBackend,
    Read,
    Stage,
    Update,
    Velocity,
    key_of,
)
from tests.guard_helpers import T0, card_stream, transfer


class Recording:
    """A memory backend that keeps what it was asked."""

    def __init__(self) -> None:
        self.inner = MemoryBackend()
        self.calls: list[tuple[str, list[Update], list[Read]]] = []

    def apply(self, dedup: str, updates: Sequence[Update], reads: Sequence[Read]) -> list[int]:
        self.calls.append((dedup, list(updates), list(reads)))
        answer: list[int] = self.inner.apply(dedup, updates, reads)
        return answer


def _events() -> list[Event]:
    rng = random.Random(15)
    bodies: list[dict[str, Any]] = []
    for i in range(120):
        over: dict[str, Any] = {"customer_id": f"c{i % 7}", "account": f"62220000111{i % 5:05d}"}
        if i % 4 == 1:
            over["payee"] = {"account": f"62280000999{i % 9:05d}", "name": "Li Si"}
        if i % 6 == 2:
            over["direction"] = "in"
        if i % 5 == 3:
            over.pop("account")
            over["device"] = None
        if i % 11 == 4:
            over.update(type="remittance", currency="USD", payee={"account": "6228000099998888", "name": "A B", "country": "SG"})
        if i % 13 == 6:
            over = {"customer_id": f"c{i % 7}", "type": rng.choice(["login", "device_binding", "session"])}
        body = transfer(
            f"v{i}", at=T0 + timedelta(minutes=rng.randrange(0, 3 * 24 * 60)), amount=f"{rng.randrange(1, 90000)}.{i % 100:02d}", **over
        )
        if body["type"] in ("login", "device_binding", "session"):
            body = {k: body[k] for k in ("event_id", "type", "occurred_at", "customer_id", "channel", "device", "ip", "region")}
        bodies.append({k: v for k, v in body.items() if v is not None})
    cards, _ = card_stream(customers=6, days=3)
    events = []
    for b in bodies + cards:
        try:
            events.append(parse_event(b, None))
        except Exception:  # a combination the parser refuses is not what this test is about
            continue
    events.sort(key=lambda e: e.occurred_at)
    return events


def _earlier(v: Velocity, event: Event) -> tuple[list[Update], list[Read]]:
    """The updates and reads as ``observe`` made them before the one pass."""
    t = int(event.occurred_at.timestamp())
    keys = {kind: key_of(event, kind) for kind in v._kinds}
    updates = v._updates(event, Stage.ATTEMPT, keys)
    reads: list[Read] = []
    for p in v._plans:
        key = keys[p.key]
        if key is None:
            continue
        bucket = t // p.resolution
        reads.append(Read(p.prefix + key, "distinct" if p.distinct_of is not None else "sum", bucket - p.buckets + 1, bucket))
    for name, value_of in FIRST_SEEN.items():
        seen = value_of(event)
        if seen is None:
            continue
        slot = f"first|{event.customer_id}|{seen}" if name == "new_payee" else f"{name}|{event.customer_id}|{seen}"
        updates.append(Update(slot, "first", 0, t, ttl=400 * 86400))
        reads.append(Read(slot, "first"))
    return updates, reads


def test_observe_asks_the_backend_what_it_asked_before() -> None:
    events = _events()
    assert len(events) > 150 and len({e.type for e in events}) >= 3
    backend = Recording()
    v = Velocity(backend)
    for e in events:
        v.observe(e)
        if e.event_id.endswith(("0", "3")):
            v.record_allowed(e)
    observed = [c for c in backend.calls if not c[0].endswith("#allowed")]
    assert len(observed) == len(events)
    for e, (dedup, updates, reads) in zip(events, observed, strict=True):
        assert dedup == e.event_id
        assert (updates, reads) == _earlier(v, e)


def _reference_apply(backend: MemoryBackend, dedup: str, updates: Sequence[Update], reads: Sequence[Read]) -> list[int]:
    """MemoryBackend.apply as it was: each update and read through its method."""
    if dedup not in backend._seen:
        backend._seen[dedup] = None
        for u in updates:
            backend._update(u)
    return [backend._read(r) for r in reads]


def test_memory_backend_apply_is_the_update_and_read_methods() -> None:
    events = _events()
    fast, slow = MemoryBackend(), MemoryBackend()
    v = Velocity(Recording())
    for e in events * 2:  # the second time each id is a duplicate: nothing is updated again
        updates, reads = _earlier(v, e)
        assert fast.apply(e.event_id, updates, reads) == _reference_apply(slow, e.event_id, updates, reads)
        allowed = v._updates(e, Stage.ALLOWED)
        assert fast.apply(e.event_id + "#allowed", allowed, []) == _reference_apply(slow, e.event_id + "#allowed", allowed, [])
    assert fast._buckets == slow._buckets and fast._members == slow._members and fast._first == slow._first


def test_kept_encoder_and_calibration_arrays_give_the_same_numbers() -> None:
    schema = FeatureSchema(
        ("account_out_count_1h", "customer_out_sum_24h"), categories={"type": ("transfer", "card_auth"), "channel": ("mobile",)}
    )
    rows: list[dict[str, Any]] = [
        {"amount": 12.5, "type": "transfer", "channel": "web", "vel.account_out_count_1h": 3.0},
        {"amount": None, "type": "card_auth", "new_payee": 1.0, "vel.customer_out_sum_24h": 1e12},
        {},
    ]
    encode = schema.encoder()
    for row in rows:
        a, b = encode(row), schema.encode(row)
        assert len(a) == len(schema.names)
        assert [x if not math.isnan(x) else "nan" for x in a] == [x if not math.isnan(x) else "nan" for x in b]
    iso = Isotonic((0.1, 0.4, 0.8), (0.01, 0.2, 0.9))
    raw = np.linspace(-0.5, 1.5, 101)
    kept = Isotonic.through(raw, np.asarray(iso.x), np.asarray(iso.y))
    assert np.array_equal(kept, iso(raw))
    assert [float(Isotonic.through([r], np.asarray(iso.x), np.asarray(iso.y))[0]) for r in raw.tolist()] == iso(raw).tolist()
