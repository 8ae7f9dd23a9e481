"""The guard's JetStream consumer against the real NATS server (``FINGUARD_TEST_NATS_URL``,
default nats://127.0.0.1:4222): kill and restart, duplicates, dead letters, NATS and store down.

Each test uses streams, subjects and a durable consumer of its own (a uuid suffix) and deletes
its streams at teardown.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from finguard.core.db import make_engine
from finguard.guard.model.context import decode
from finguard.guard.model.rules import Rule
from finguard.guard.provider import make_guard
from finguard.guard.service.engine import GuardService
from finguard.guard.service.stream import (
    ConsumerThread,
    GuardConsumer,
    StreamSettings,
    _transient,
    ensure_streams,
    partition_of,
    publish_events,
    with_names,
)
from finguard.guard.service.velocity import Velocity
from finguard.guard.service.velocity_redis import RedisBackend
from finguard.guard.store.tables import guard_decision
from finguard.ledger.store.tables import transfer as transfer_table
from tests.guard_helpers import T0, Clock, hold_decisions, transfer

NATS_URL = os.environ.get("FINGUARD_TEST_NATS_URL", "nats://127.0.0.1:4222")
REDIS_URL = os.environ.get("FINGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _js_call(settings: StreamSettings, fn: Callable[[Any], Any]) -> Any:
    import nats

    nc = await nats.connect(settings.url)
    try:
        return await fn(nc.jetstream())
    finally:
        await nc.close()


def js(settings: StreamSettings, fn: Callable[[Any], Any]) -> Any:
    return asyncio.run(_js_call(settings, fn))


def stream_count(settings: StreamSettings, stream: str) -> int:
    async def count(j: Any) -> int:
        return int((await j.stream_info(stream)).state.messages)

    return int(js(settings, count))


def stream_messages(settings: StreamSettings, stream: str, subject: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The JSON messages of a stream (those on ``subject`` only, if given), in order."""

    async def read(j: Any) -> list[tuple[str, dict[str, Any]]]:
        info = await j.stream_info(stream)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            m = await j.get_msg(stream, seq)
            if subject is None or m.subject == subject:
                out.append((m.subject, json.loads(m.data)))
        return out

    result: list[tuple[str, dict[str, Any]]] = js(settings, read)
    return result


def publish_raw(settings: StreamSettings, bodies: list[bytes]) -> None:
    """Publish bodies as they are, without a message id (JetStream keeps every copy)."""

    async def send(j: Any) -> None:
        await ensure_streams(j, settings)
        for body in bodies:
            await j.publish(f"{settings.events_prefix}.transfer", body, stream=settings.events_stream)

    js(settings, send)


def wait_for(check: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def nats_settings() -> Iterator[StreamSettings]:
    settings = with_names(
        StreamSettings(url=NATS_URL, batch=25, fetch_timeout=0.2, ack_wait=1.5, retry_initial=0.05), uuid.uuid4().hex[:10]
    )
    try:
        js(settings, lambda j: j.account_info())
    except Exception as exc:  # ./scripts/test starts NATS: a missing server is a failure, never a skip
        pytest.fail(f"no NATS JetStream at {NATS_URL} (./scripts/services starts it): {exc}")
    yield settings

    async def delete(j: Any) -> None:
        for name in (settings.events_stream, settings.decisions_stream):
            try:
                await j.delete_stream(name)
            except Exception:
                pass

    js(settings, delete)


def ledger_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(guard_decision)).scalar_one())


def transfer_count(engine: Engine) -> int:
    """Payments the guard wrote to the fund-flow ledger."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(transfer_table).where(transfer_table.c.source == "guard")).scalar_one())


COUNT_RULE = Rule("s.count", "vel.account_out_count_1h >= 1", "records the account's count in the last hour", score=1)


def events(n: int, prefix: str = "s") -> list[dict[str, Any]]:
    """n transfers out of one account, 10 s apart (all inside one hour), amounts 1.00 .. n.00."""
    return [transfer(f"{prefix}{i}", at=T0 + timedelta(seconds=10 * i), amount=f"{i + 1}.00") for i in range(n)]


def redis_guard(engine: Engine, clock: Clock, prefix: str) -> GuardService:
    """A fresh guard as a restarted process builds it: velocity in Redis, shared with the last run."""
    return make_guard(engine, None, clock=clock, velocity=Velocity(RedisBackend(REDIS_URL, prefix=prefix)))


def test_a_consumer_killed_mid_stream_and_restarted_loses_and_double_counts_nothing(engine: Engine, nats_settings: StreamSettings) -> None:
    n = 150
    clock = Clock(T0 + timedelta(minutes=30))
    prefix = f"fgtest:{uuid.uuid4().hex[:8]}:"
    first = redis_guard(engine, clock, prefix)
    first.rules.save(COUNT_RULE, "t")
    published, dropped = asyncio.run(publish_events(events(n), nats_settings))
    assert (published, dropped) == (n, 0)

    run1 = ConsumerThread(GuardConsumer(hold_decisions(first, 0.01), nats_settings)).start()
    wait_for(lambda: ledger_count(engine) >= n // 3, what="a third of the events decided")
    run1.kill()
    assert not run1.alive
    assert ledger_count(engine) < n, "the kill came too late to test anything"

    second = redis_guard(engine, clock, prefix)
    run2 = ConsumerThread(GuardConsumer(second, nats_settings)).start()
    try:
        wait_for(lambda: stream_count(nats_settings, nats_settings.decisions_stream) >= n, what="every decision published")
        wait_for(lambda: run2.consumer.health.decided >= 1)
    finally:
        run2.stop()
    assert ledger_count(engine) == n
    assert transfer_count(engine) == n  # redelivered events wrote no second transfer

    published_decisions = [body for _, body in stream_messages(nats_settings, nats_settings.decisions_stream)]
    assert len(published_decisions) == n
    by_event = {d.event_id: d.decision_id for d in second.decisions_of("c1", limit=1000)}
    assert {b["event_id"]: b["decision_id"] for b in published_decisions} == by_event

    # Every event was counted exactly once: a probe after the run sees n + 1 (the n events and itself).
    # (The killed run's worker thread finishes its batch while the second run starts, so an event can
    # be decided by both at once: the ledger keeps one decision and the velocity store one count.)
    probe = second.decide_raw(transfer("probe", at=T0 + timedelta(seconds=10 * n), amount="0.50"))
    stored = next(s for s in second.store.stored_decisions(None, None, 10_000) if s.decision.decision_id == probe.decision_id)
    features = decode(stored.inputs)["features"]
    assert features["account_out_count_1h"] == n + 1
    assert features["account_out_sum_24h"] == Decimal(n * (n + 1) // 2) + Decimal("0.50")
    assert features["payee_in_count_24h"] == n + 1


def test_duplicates_are_decided_once(engine: Engine, nats_settings: StreamSettings) -> None:
    clock = Clock(T0 + timedelta(minutes=30))
    guard = make_guard(engine, None, clock=clock)
    guard.rules.save(COUNT_RULE, "t")
    batch = events(20, "d")
    assert asyncio.run(publish_events(batch, nats_settings)) == (20, 0)
    assert asyncio.run(publish_events(batch, nats_settings)) == (0, 20)  # JetStream drops repeated message ids
    publish_raw(nats_settings, [json.dumps(e).encode() for e in batch])  # copies JetStream cannot recognise
    assert stream_count(nats_settings, nats_settings.events_stream) == 40

    run = ConsumerThread(GuardConsumer(guard, nats_settings)).start()
    try:
        wait_for(lambda: run.consumer.health.decided >= 40, what="both copies handled")
    finally:
        run.stop()
    assert ledger_count(engine) == 20 and transfer_count(engine) == 20
    published = [b for _, b in stream_messages(nats_settings, nats_settings.decisions_stream)]
    assert len(published) == 20  # the replayed copies carry the same decision id: deduplicated
    assert sorted(r["values"]["vel.account_out_count_1h"] for b in published for r in b["reasons"] if r["code"] == "s.count") == list(
        range(1, 21)
    )


def test_malformed_messages_go_to_the_dead_letter_subject_and_never_block(engine: Engine, nats_settings: StreamSettings) -> None:
    clock = Clock(T0 + timedelta(minutes=30))
    guard = make_guard(engine, None, clock=clock)
    good = events(3, "g")
    bad_field = transfer("b1", amount="-1")
    reused = dict(good[0], amount="999.00")  # g0 again with another body
    publish_raw(
        nats_settings,
        [json.dumps(good[0]).encode(), b"{not json", json.dumps(bad_field).encode(), json.dumps(reused).encode()]
        + [json.dumps(e).encode() for e in good[1:]],
    )
    run = ConsumerThread(GuardConsumer(guard, nats_settings)).start()
    try:
        wait_for(lambda: run.consumer.health.decided + run.consumer.health.invalid >= 6, what="every message handled")
        time.sleep(0.5)  # the consumer sees its own dead letters and acknowledges them without deciding
    finally:
        run.stop()
    assert ledger_count(engine) == 3 and run.consumer.health.invalid == 3
    letters = [body for _, body in stream_messages(nats_settings, nats_settings.events_stream, nats_settings.invalid_subject)]
    assert [(b["error"]["code"], [p["field"] for p in b["error"]["problems"]]) for b in letters] == [
        ("invalid_input", ["body"]),
        ("invalid_input", ["amount"]),
        ("conflict", []),
    ]
    assert letters[0]["body"] == "{not json" and letters[0]["subject"].endswith(".transfer")

    async def pending(j: Any) -> tuple[int, int]:
        info = await j.consumer_info(nats_settings.events_stream, nats_settings.durable)
        return info.num_pending, info.num_ack_pending

    assert js(nats_settings, pending) == (0, 0)


def test_nats_down_reports_unhealthy_and_decides_nothing(engine: Engine) -> None:
    settings = StreamSettings(url="nats://127.0.0.1:1", connect_timeout=0.2, retry_initial=0.05, retry_max=0.2)
    guard = make_guard(engine, None, clock=Clock())
    run = ConsumerThread(GuardConsumer(guard, settings)).start()
    try:
        wait_for(lambda: "NATS" in run.consumer.health.reason, timeout=20, what="the consumer to notice")
        assert not run.consumer.health.healthy and run.consumer.health.connects == 0
    finally:
        run.stop()
    assert not run.alive and ledger_count(engine) == 0


def test_a_store_that_cannot_be_reached_leaves_events_unacknowledged(nats_settings: StreamSettings, tmp_path: Any) -> None:
    broken = make_engine(f"sqlite:///{tmp_path}/missing/dir/guard.db")
    guard = make_guard(broken, None, clock=Clock(T0 + timedelta(minutes=30)))
    asyncio.run(publish_events(events(5, "u"), nats_settings))
    run = ConsumerThread(GuardConsumer(guard, nats_settings)).start()
    try:
        wait_for(lambda: run.consumer.health.retried >= 5, what="a failed attempt")
        assert not run.consumer.health.healthy and "deciding failed" in run.consumer.health.reason
    finally:
        run.stop()
    broken.dispose()
    assert stream_count(nats_settings, nats_settings.decisions_stream) == 0  # nothing emitted, least of all an allow

    async def pending(j: Any) -> int:
        info = await j.consumer_info(nats_settings.events_stream, nats_settings.durable)
        return int(info.num_pending + info.num_ack_pending)

    assert js(nats_settings, pending) == 5  # still there for the next attempt


def test_two_consumers_share_one_stream_and_decide_each_event_once(db_url: str, nats_settings: StreamSettings) -> None:
    """Two consumers (each its own guard, database engine and caches, as two processes have) pull
    from one durable consumer: the work is shared between them, every event is decided once, one
    ledger transfer each, and the velocity counted in Redis sees every event once."""
    n = 200
    clock = Clock(T0 + timedelta(minutes=30))
    prefix = f"fgtest:{uuid.uuid4().hex[:8]}:"
    engines = [make_engine(db_url), make_engine(db_url)]
    from finguard.core.db import upgrade

    upgrade(engines[0])
    guards = [redis_guard(e, clock, prefix) for e in engines]
    guards[0].rules.save(COUNT_RULE, "t")
    assert asyncio.run(publish_events(events(n), nats_settings)) == (n, 0)
    runs = [ConsumerThread(GuardConsumer(g, nats_settings)).start() for g in guards]
    try:
        wait_for(lambda: stream_count(nats_settings, nats_settings.decisions_stream) >= n, what="every decision published")
    finally:
        for run in runs:
            run.stop()
    decided = [run.consumer.health.decided for run in runs]
    assert sum(decided) >= n and all(d > 0 for d in decided), f"the work was not shared: {decided}"
    assert ledger_count(engines[0]) == n
    assert transfer_count(engines[0]) == n
    published = [body["event_id"] for _, body in stream_messages(nats_settings, nats_settings.decisions_stream)]
    assert sorted(published) == sorted(f"s{i}" for i in range(n))
    probe = guards[1].decide_raw(transfer("probe", at=T0 + timedelta(seconds=10 * n), amount="0.50"))
    stored = next(s for s in guards[1].store.stored_decisions(None, None, 10_000) if s.decision.decision_id == probe.decision_id)
    assert decode(stored.inputs)["features"]["account_out_count_1h"] == n + 1
    for e in engines:
        e.dispose()


def test_a_value_the_store_cannot_hold_is_dead_lettered_alone(engine: Engine, nats_settings: StreamSettings) -> None:
    """A NUL in a text field (PostgreSQL cannot store it) is the message's fault: dead-lettered on its
    own, never a store failure that would retry its batch for ever and stall the stream (#19)."""
    clock = Clock(T0 + timedelta(minutes=30))
    guard = make_guard(engine, None, clock=clock)
    good = events(4, "n")
    nul = transfer("nul1", payee={"account": "6228000099998888", "name": "Zhang\x00San"})
    publish_raw(nats_settings, [json.dumps(good[0]).encode(), json.dumps(nul).encode()] + [json.dumps(e).encode() for e in good[1:]])
    run = ConsumerThread(GuardConsumer(guard, nats_settings)).start()
    try:
        wait_for(lambda: run.consumer.health.decided + run.consumer.health.invalid >= 5, what="every message handled")
    finally:
        run.stop()
    assert ledger_count(engine) == 4 and run.consumer.health.invalid == 1 and run.consumer.health.retried == 0
    letters = [body for _, body in stream_messages(nats_settings, nats_settings.events_stream, nats_settings.invalid_subject)]
    assert [[p["field"] for p in b["error"]["problems"]] for b in letters] == [["payee.name"]]


def test_the_store_refusing_a_value_is_the_messages_fault_not_an_outage() -> None:
    import psycopg
    from sqlalchemy.exc import DataError, OperationalError

    refused = DataError("INSERT ...", {}, psycopg.errors.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"))
    down = OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))
    assert not _transient(refused)
    assert _transient(down)


class _Seen(GuardConsumer):
    """A consumer that remembers which events it decided (to tell the partitions' work apart)."""

    def __init__(self, guard: GuardService, settings: StreamSettings) -> None:
        super().__init__(guard, settings)
        self.seen: list[str] = []

    def decide_batch(self, messages: Any) -> Any:
        out = super().decide_batch(messages)
        self.seen.extend(o.decision.event_id for o in out if o.decision is not None)
        return out


def customer_events(customers: list[str], each: int) -> list[dict[str, Any]]:
    """``each`` transfers per customer, from the customer's own account, 10 s apart, interleaved."""
    out = []
    for i in range(each):
        for n, c in enumerate(customers):
            account = f"6222{n:012d}"
            out.append(transfer(f"{c}-{i}", at=T0 + timedelta(seconds=10 * i), customer_id=c, account=account))
    return out


def _decide_partitioned(
    db_url: str, settings: StreamSettings, owned: list[tuple[int, ...]], customers: list[str], each: int
) -> tuple[list[_Seen], list[int]]:
    """One consumer per set of owned partitions, each with its own guard and engine (as processes
    have) and velocity in memory: publish ``each`` events per customer, wait for every decision.
    Returns the consumers and, per customer, the account's event count its last decision saw.
    ``ack_wait`` is long enough that a first batch decided on a loaded machine is not redelivered
    (a redelivery is answered from the ledger, correct, but is seen twice: callers count firsts)."""
    settings = replace(settings, ack_wait=15.0)
    clock = Clock(T0 + timedelta(minutes=30))
    engines = [make_engine(db_url) for _ in owned]
    from finguard.core.db import upgrade

    upgrade(engines[0])
    guards = [make_guard(e, None, clock=clock) for e in engines]
    guards[0].rules.save(COUNT_RULE, "t")
    consumers = [_Seen(g, replace(settings, partition=o[0], also=o[1:])) for g, o in zip(guards, owned, strict=True)]
    runs = [ConsumerThread(c).start() for c in consumers]
    try:
        assert asyncio.run(publish_events(customer_events(customers, each), settings)) == (len(customers) * each, 0)
        wait_for(lambda: stream_count(settings, settings.decisions_stream) >= len(customers) * each, what="every decision published")
    finally:
        for run in runs:
            run.stop()
    stored = {s.decision.event_id: s for s in guards[0].store.stored_decisions(None, None, 10_000)}
    for e in engines:
        e.dispose()
    return consumers, [decode(stored[f"{c}-{each - 1}"].inputs)["features"]["account_out_count_1h"] for c in customers]


def test_partitioned_consumers_each_decide_all_of_their_customers_events(db_url: str, nats_settings: StreamSettings) -> None:
    """Two consumer processes, one per partition, velocity in memory (no Redis): every event is
    decided once, each customer's events all by the consumer of its partition, so the velocity
    each decision sees counts every earlier event of the account (shared without partitions,
    each process would count only its own share)."""
    customers = [f"pc{i}" for i in range(8)]
    each = 6
    settings = replace(nats_settings, partitions=2)
    assert {partition_of(c, 2) for c in customers} == {0, 1}
    consumers, counts = _decide_partitioned(db_url, settings, [(0,), (1,)], customers, each)
    for k, consumer in enumerate(consumers):
        mine = {c for c in customers if partition_of(c, 2) == k}
        assert sorted(dict.fromkeys(consumer.seen)) == sorted(f"{c}-{i}" for c in mine for i in range(each))
    assert counts == [each] * len(customers)


def test_an_event_published_without_a_partition_is_decided_by_partition_zero(engine: Engine, nats_settings: StreamSettings) -> None:
    """A publisher that does not partition (an older one, or another system) loses nothing: the
    consumer of partition 0 also reads the subjects without a partition."""
    clock = Clock(T0 + timedelta(minutes=30))
    guard = make_guard(engine, None, clock=clock)
    consumers = [_Seen(guard, replace(nats_settings, partitions=3, partition=k)) for k in range(3)]
    runs = [ConsumerThread(c).start() for c in consumers]
    try:
        assert asyncio.run(publish_events([transfer("plain-1"), transfer("plain-2", customer_id="zz")], nats_settings)) == (2, 0)
        wait_for(lambda: stream_count(nats_settings, nats_settings.decisions_stream) >= 2, what="both decisions published")
    finally:
        for run in runs:
            run.stop()
    assert sorted(consumers[0].seen) == ["plain-1", "plain-2"] and consumers[1].seen == [] and consumers[2].seen == []


def test_a_consumer_owning_several_partitions_decides_each_in_order(db_url: str, nats_settings: StreamSettings) -> None:
    """With P larger than the consumers run today (so more can be added without draining the
    stream), one consumer owns several partitions: every event is decided once, by the owner of
    its customer's partition, and each decision counts every earlier event of its account."""
    customers = [f"oc{i}" for i in range(12)]
    each = 5
    settings = replace(nats_settings, partitions=4)
    assert {partition_of(c, 4) for c in customers} == {0, 1, 2, 3}
    owned = [(0, 3), (2, 1)]
    consumers, counts = _decide_partitioned(db_url, settings, owned, customers, each)
    for o, consumer in zip(owned, consumers, strict=True):
        mine = {c for c in customers if partition_of(c, 4) in o}
        first = list(dict.fromkeys(consumer.seen))  # a redelivery under load may repeat one
        assert sorted(first) == sorted(f"{c}-{i}" for c in mine for i in range(each))
        for c in mine:  # in order within the customer's partition
            assert [e for e in first if e.startswith(f"{c}-")] == [f"{c}-{i}" for i in range(each)]
    assert counts == [each] * len(customers)


def test_a_plain_timeout_from_a_fetch_is_an_empty_fetch_not_a_lost_connection(engine: Engine) -> None:
    """nats-py raises asyncio's plain TimeoutError (not its own) when a fetch's deadline has passed
    before its second pull: on a busy machine, with partition 0's 50 ms look at the unpartitioned
    subjects. It had been taken for a lost connection: reconnect, and the batch in hand redelivered."""

    class Sub:
        def __init__(self, stop: asyncio.Event) -> None:
            self.calls, self.stop = 0, stop

        async def fetch(self, batch: int, timeout: float) -> list[Any]:
            self.calls += 1
            if self.calls >= 3:
                self.stop.set()
            raise TimeoutError

    class Conn:
        is_connected = True

    consumer = GuardConsumer(make_guard(engine, None), StreamSettings())

    async def main() -> int:
        stop = asyncio.Event()
        sub = Sub(stop)
        await consumer._lane(Conn(), None, [sub], stop, 0)  # type: ignore[arg-type]
        return sub.calls

    assert asyncio.run(main()) == 3 and consumer.health.healthy


def test_one_lane_failing_is_not_hidden_by_another_lane_succeeding() -> None:
    from finguard.guard.service.stream import Health

    h = Health()
    h.ok()
    h.fail("deciding failed: store down", 1)
    h.ok(2)  # partition 2's lane goes on deciding
    assert not h.healthy and h.reason == "deciding failed: store down"
    h.ok(1)
    assert h.healthy


def test_partitions_are_checked_and_stable() -> None:
    from finguard.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        StreamSettings(partitions=2, partition=2)
    assert exc.value.problems[0].field == "partition"
    with pytest.raises(InvalidInput) as exc:
        StreamSettings(partitions=0)
    assert exc.value.problems[0].field == "partitions"
    for bad in ({"partition": 0, "also": (4,)}, {"partition": 1, "also": (1,)}, {"also": (1,)}):
        with pytest.raises(InvalidInput) as exc:
            StreamSettings(partitions=4, **bad)  # type: ignore[arg-type]
        assert exc.value.problems[0].field == "partition"
    assert StreamSettings(partitions=4, partition=2, also=(0,)).subscriptions() == [
        [("finguard.events.*.p2", "finguard-guard-p2of4")],
        [("finguard.events.*.p0", "finguard-guard-p0of4"), ("finguard.events.*", "finguard-guard-unpartitioned")],
    ]
    # CRC-32, not Python's salted hash(): the same partition in every process and after a restart
    assert [partition_of(c, 4) for c in ("c1", "c2", "c3", "客户7")] == [partition_of(c, 4) for c in ("c1", "c2", "c3", "客户7")]
    assert partition_of("c1", 4) == 1 and partition_of(None, 4) == 0 and partition_of("c1", 1) == 0
    s = StreamSettings(partitions=4)
    assert s.event_subject("transfer", "c1") == "finguard.events.transfer.p1"
    assert StreamSettings().event_subject("transfer", "c1") == "finguard.events.transfer"


def test_a_lane_whose_cancellation_a_library_swallowed_still_stops(engine: Engine) -> None:
    """On Python 3.11 ``asyncio.wait_for`` (inside nats-py's fetch) can swallow a cancellation that lands as its
    wait completes (CPython gh-86296): a killed consumer then went on deciding (seen as a flaky kill test). A lane
    whose fetch loses the cancellation stops at its next turn all the same."""

    class SwallowingSub:
        fetches = 0

        async def fetch(self, batch: int, timeout: float) -> list[Any]:
            SwallowingSub.fetches += 1
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                pass  # what the race amounts to: the cancellation is lost, the fetch ends as a timeout
            raise TimeoutError

    class Connected:
        is_connected = True

    async def main() -> asyncio.Task[None]:
        consumer = GuardConsumer(make_guard(engine, None), StreamSettings())
        lane = asyncio.create_task(consumer._lane(Connected(), None, [SwallowingSub()], asyncio.Event(), 0))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        lane.cancel()
        await asyncio.wait({lane}, timeout=5)
        return lane

    lane = asyncio.run(main())
    assert lane.cancelled()
    assert SwallowingSub.fetches == 1  # it did not fetch again after the kill
