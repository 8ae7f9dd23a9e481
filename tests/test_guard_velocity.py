"""Velocity features on event time: exact on replay, counted once per event id, bounded, in memory and Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from datetime import timedelta
from decimal import Decimal

import pytest

from finguard.guard.model.events import Event, parse_event
from finguard.guard.service.velocity import (
    MAX_MEMBERS,
    FeatureSpec,
    KeyKind,
    Measure,
    MemoryBackend,
    Read,
    Update,
    Velocity,
    VelocityBackend,
    VelocityUnavailable,
)
from finguard.guard.service.velocity_redis import RedisBackend
from tests.guard_helpers import T0, transfer

REDIS_URL = os.environ.get("FINGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> Iterator[VelocityBackend]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    prefix = f"test:{uuid.uuid4().hex[:10]}:"
    b = RedisBackend(REDIS_URL, prefix=prefix)
    try:
        b.client.ping()
    except Exception:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (./scripts/services starts it)")
    try:
        yield b
    finally:
        keys = list(b.client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            b.client.delete(*keys)
        b.close()


def ev(n: int, minutes: float, amount: str = "100.00", **over: object) -> Event:
    return parse_event(transfer(f"e{n}", at=T0 + timedelta(minutes=minutes), amount=amount, **over), None)


def test_count_and_sum_include_the_event_and_slide_on_event_time(backend: VelocityBackend) -> None:
    v = Velocity(backend)
    values = [v.observe(ev(i, i * 10, "100.50")).values for i in range(8)]  # one every 10 minutes
    assert values[0]["account_out_count_1h"] == 1 and values[0]["account_out_sum_24h"] == Decimal("100.50")
    assert values[5]["account_out_count_1h"] == 6
    assert values[7]["account_out_count_1h"] == 6  # minutes 10..70 are in the hour ending at 70
    assert values[7]["account_out_sum_24h"] == Decimal("804.00")
    assert values[7]["account_out_payees_24h"] == 1 and values[7]["payee_senders_24h"] == 1


def test_an_event_id_is_counted_once(backend: VelocityBackend) -> None:
    v = Velocity(backend)
    first = v.observe(ev(1, 0)).values
    again = v.observe(ev(1, 0)).values
    assert first == again and again["account_out_count_1h"] == 1


def test_replay_gives_the_same_features(backend: VelocityBackend) -> None:
    """The same stream into a fresh store gives identical features, whatever the wall clock says."""
    stream = [ev(i, i * 7, f"{100 + i}.25", payee={"account": f"62280000999988{i % 3:02d}"}) for i in range(30)]
    first = [Velocity(backend).observe(e).values for e in stream]
    fresh = MemoryBackend()
    assert [Velocity(fresh).observe(e).values for e in stream] == first
    # and sending the last one again into the same store counts nothing twice
    assert Velocity(backend).observe(stream[-1]).values == first[-1]


def test_distinct_counts_customers_per_device(backend: VelocityBackend) -> None:
    v = Velocity(backend)
    for i, customer in enumerate(["c1", "c2", "c2", "c3"]):
        got = v.observe(ev(i, i, customer_id=customer)).values
    assert got["device_customers_24h"] == 3
    assert v.observe(ev(9, 60 * 25, customer_id="c9")).values["device_customers_24h"] == 1  # the others left the window


def test_payee_first_seen_and_windows_up_to_30_days(backend: VelocityBackend) -> None:
    v = Velocity(backend)
    first = v.observe(ev(1, 0, "1000.00"))
    assert first.payee_first_seen == T0
    later = v.observe(ev(2, 60 * 24 * 20, "500.00"))
    assert later.payee_first_seen == T0
    assert later.values["account_out_sum_30d"] == Decimal("1500.00") and later.values["account_out_sum_24h"] == Decimal("500.00")
    assert v.observe(ev(3, 60 * 24 * 31)).values["account_out_sum_30d"] == Decimal("600.00")


def test_allowed_stage_counts_only_what_was_recorded_as_allowed(backend: VelocityBackend) -> None:
    v = Velocity(backend)
    v.observe(ev(1, 0, "3000.00"))
    v.record_allowed(ev(1, 0, "3000.00"))
    v.record_allowed(ev(1, 0, "3000.00"))  # once
    v.observe(ev(2, 1, "9000.00"))  # not allowed: not counted
    assert v.observe(ev(3, 2)).values["channel_paid_24h"] == Decimal("3000.00")


def test_memory_is_bounded_per_key() -> None:
    b = MemoryBackend()
    v = Velocity(b, [FeatureSpec("n", KeyKind.ACCOUNT, Measure.COUNT, timedelta(hours=2))])
    for i in range(600):  # 600 hours of events
        v.observe(ev(i, i * 60))
    assert max(len(x) for x in b._buckets.values()) <= 3
    d = Velocity(MemoryBackend(), [FeatureSpec("d", KeyKind.ACCOUNT, Measure.DISTINCT, timedelta(days=30), distinct_of=KeyKind.CUSTOMER)])
    for i in range(MAX_MEMBERS + 50):
        got = d.observe(ev(i, i, customer_id=f"x{i}")).values["d"]
    assert got == MAX_MEMBERS


def test_feature_specs_are_checked() -> None:
    with pytest.raises(ValueError, match="1 minute to 30 days"):
        FeatureSpec("x", KeyKind.ACCOUNT, Measure.COUNT, timedelta(days=31))
    with pytest.raises(ValueError, match="whole hours"):
        FeatureSpec("x", KeyKind.ACCOUNT, Measure.COUNT, timedelta(minutes=90))


def test_redis_down_raises_unavailable() -> None:
    v = Velocity(RedisBackend("redis://127.0.0.1:1/0", timeout=0.1))
    with pytest.raises(VelocityUnavailable):
        v.observe(ev(1, 0))


def test_backend_answers_exact_integers_and_nothing_for_no_reads(backend: VelocityBackend) -> None:
    # The Redis script returns its answers as one string (#19): large sums stay exact, a missing
    # first-seen slot is -1, and an update with no reads answers an empty list.
    big = 10**15 + 7  # fen: beyond 32 bits
    assert backend.apply("", [Update("s|a", "add", 5, big, keep=10, ttl=3600)], []) == []
    got = backend.apply("e1", [Update("s|a", "add", 6, 3, keep=10, ttl=3600)], [Read("s|a", "sum", 0, 10), Read("f|none", "first")])
    assert got == [big + 3, -1]


def test_record_allowed_many_counts_as_one_by_one_and_once(backend: VelocityBackend) -> None:
    # The allowed payments of a stored batch go in one call with Redis (#19): the same totals as
    # recording them in turn, each counted once (by its id), an event with no update skipped.
    many, single = Velocity(backend), Velocity(MemoryBackend())
    events = [ev(1, 0, "3000.00"), ev(2, 1, "200.00"), ev(3, 2, "45.50", customer_id="other")]
    for v in (many, single):
        for e in events:
            v.observe(e)
    assert many.record_allowed_many([events[0], events[1], events[0], events[2]]) == []
    assert many.record_allowed_many([events[1]]) == [] and many.record_allowed_many([]) == []
    for e in events:
        single.record_allowed(e)
    for probe in (ev(4, 3), ev(5, 3, customer_id="other")):
        assert many.observe(probe).values == single.observe(probe).values
    assert many.observe(ev(6, 4)).values["channel_paid_24h"] == Decimal("3200.00")


@pytest.mark.parametrize("backend", ["redis"], indirect=True)  # the memory backend is called once per item
def test_backend_apply_many_answers_each_item_in_order(backend: VelocityBackend) -> None:
    apply_many = backend.apply_many  # type: ignore[attr-defined]
    up = Update("s|m", "add", 5, 7, keep=10, ttl=3600)
    total = Read("s|m", "sum", 0, 10)
    got = apply_many([("d1", [up], []), ("d1", [up], [total]), ("d2", [up], [total, Read("f|x", "first")])])
    assert got == [[], [7], [14, -1]]  # d1 again changes nothing


def test_redis_down_record_allowed_many_names_every_payment_not_counted() -> None:
    v = Velocity(RedisBackend("redis://127.0.0.1:1/0", timeout=0.1))
    events = [ev(1, 0), ev(2, 1)]
    failed = v.record_allowed_many(events)
    assert [e.event_id for e, _ in failed] == ["e1", "e2"]
    assert all(isinstance(exc, VelocityUnavailable) for _, exc in failed)
    assert [e.event_id for e, _ in v.record_allowed_many([ev(3, 2)])] == ["e3"]  # alone: the plain call


def test_a_fault_counting_allowed_payments_propagates_never_disguised_as_an_outage(
    backend: VelocityBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An outage is VelocityUnavailable (the payments named, not counted); a bug raises as itself,
    # whether the events go in one call, alone, or one by one (the memory backend).

    def broken(*args: object) -> list[int]:
        raise TypeError("a fault")

    if isinstance(backend, MemoryBackend):  # mypyc-compiled (finguard.compiled) it takes no attribute: a subclass breaks it

        class Broken(MemoryBackend):
            def apply(self, event_id: str, updates: Sequence[Update], reads: Sequence[Read]) -> list[int]:
                return broken()

        backend = Broken()
    else:
        monkeypatch.setattr(backend, "apply", broken)
        if hasattr(backend, "apply_many"):
            monkeypatch.setattr(backend, "apply_many", broken)
    v = Velocity(backend)
    for events in ([ev(1, 0), ev(2, 1)], [ev(3, 2)]):
        with pytest.raises(TypeError, match="a fault"):
            v.record_allowed_many(events)
    with pytest.raises(TypeError, match="a fault"):
        v.record_allowed(ev(4, 3))


@pytest.mark.parametrize("backend", ["redis"], indirect=True)
def test_redis_cannot_encode_a_bad_update_a_type_error_not_an_outage(backend: VelocityBackend) -> None:
    bad = Update("s|a", "add", 5, Decimal("1.5"), keep=10, ttl=3600)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        backend.apply_many([("d1", [bad], []), ("d2", [bad], [])])  # type: ignore[attr-defined]
