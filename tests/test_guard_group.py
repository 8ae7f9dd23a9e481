"""The guard's consumer group (``finguard guard consume --group``, #19): partitions owned through
leases in NATS, taken over when their owner dies, given back when it returns.

Against the real NATS server and both stores; the consumers are processes of their own
(``tests/group_worker.py``), killed with SIGKILL. Leases of 2 s keep the tests short.
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from finguard.core.db import make_engine, upgrade
from finguard.core.errors import InvalidInput
from finguard.guard.model.context import decode
from finguard.guard.provider import make_guard
from finguard.guard.service.leases import LeaseTable, View, bucket_name, lease_key, plan
from finguard.guard.service.stream import ConsumerThread, GuardConsumer, StreamSettings, partition_of, publish_events
from tests.group_worker import Worker
from tests.guard_helpers import T0, Clock
from tests.test_guard_stream import (
    COUNT_RULE,
    REDIS_URL,
    customer_events,
    js,
    ledger_count,
    nats_settings,  # noqa: F401  (the fixture)
    redis_guard,
    stream_count,
    stream_messages,
    transfer_count,
    wait_for,
)

REPO = Path(__file__).resolve().parents[1]
TTL = 2.0
NOW = T0 + timedelta(minutes=30)


# -- the balancing, alone ------------------------------------------------------------------------


def _owners(held: dict[str, list[int]]) -> dict[int, str]:
    return {k: m for m, ks in held.items() for k in ks}


def test_one_member_claims_every_partition() -> None:
    assert plan(4, "a", View(frozenset({"a"}), {}), []).claim == (0, 1, 2, 3)


def test_a_member_that_joins_is_given_its_share_by_the_richest() -> None:
    view = View(frozenset({"a", "b"}), _owners({"a": [0, 1, 2, 3]}))
    assert plan(4, "a", view, [0, 1, 2, 3]).release == (2, 3)
    assert plan(4, "b", view, []) == plan(4, "b", view, [])  # nothing free yet: b waits
    assert plan(4, "b", view, []).claim == ()
    freed = View(frozenset({"a", "b"}), _owners({"a": [0, 1]}))
    assert plan(4, "b", freed, []).claim == (2, 3)  # below its share: claims at once


def test_only_one_of_two_richest_gives_up_for_the_starved() -> None:
    view = View(frozenset({"a", "b", "c"}), _owners({"a": [0, 1], "b": [2, 3]}))
    assert plan(4, "a", view, [0, 1]).release == (1,)
    assert plan(4, "b", view, [2, 3]).release == ()
    # The freed partition goes to the starved one, not back to a member at its share.
    after = View(frozenset({"a", "b", "c"}), _owners({"a": [0], "b": [2, 3]}))
    assert plan(4, "a", after, [0], free_before=[1]).claim == ()
    assert plan(4, "c", after, []).claim == (1,)


def test_a_dead_members_partitions_wait_for_their_leases_to_expire() -> None:
    view = View(frozenset({"a"}), _owners({"a": [0, 1], "dead": [2, 3]}))
    assert plan(4, "a", view, [0, 1]) == plan(4, "a", view, [0, 1], free_before=[])
    assert plan(4, "a", view, [0, 1]).claim == ()
    expired = View(frozenset({"a"}), _owners({"a": [0, 1]}))
    assert plan(4, "a", expired, [0, 1]).claim == (2, 3)


def test_between_its_floor_and_share_a_member_claims_only_what_stayed_free() -> None:
    view = View(frozenset({"a", "b", "c"}), _owners({"a": [0, 1], "b": [2]}))
    assert plan(5, "b", view, [2]).claim == ()  # c is starved: it goes first
    view = View(frozenset({"a", "b"}), _owners({"a": [0, 1], "b": [2, 3]}))
    assert plan(5, "b", view, [2, 3], free_before=[]).claim == ()
    assert plan(5, "b", view, [2, 3], free_before=[4]).claim == (4,)


@pytest.mark.parametrize(("partitions", "members"), [(4, 2), (4, 3), (5, 3), (16, 5), (3, 4), (1, 2)])
def test_the_group_settles_with_every_partition_owned_once_and_shares_within_one(partitions: int, members: int) -> None:
    """Members joining one by one, renewing in turns, each acting on a fresh view: every
    partition ends owned by exactly one member, and shares differ by at most one."""
    held: dict[str, list[int]] = {}
    free_before: dict[str, set[int]] = {}
    for joined in range(1, members + 1):
        held[f"m{joined}"] = []
        for _ in range(3 * partitions + 6):
            for m in list(held):
                view = View(frozenset(held), _owners(held))
                p = plan(partitions, m, view, held[m], free_before.get(m, set()))
                held[m] = [k for k in held[m] if k not in p.release]
                taken = set(_owners(held))
                held[m] += [k for k in p.claim if k not in taken]
                free_before[m] = set(range(partitions)) - set(_owners(held))
    owned = sorted(k for ks in held.values() for k in ks)
    assert owned == list(range(partitions))
    shares = [len(ks) for ks in held.values()]
    assert max(shares) - min(shares) <= 1 and max(shares) == math.ceil(partitions / members)


def test_group_mode_takes_no_partition_and_a_lease_outlives_a_fetch() -> None:
    with pytest.raises(InvalidInput) as exc:
        StreamSettings(partitions=4, group=True, partition=1)
    assert exc.value.problems[0].field == "partition"
    with pytest.raises(InvalidInput) as exc:
        StreamSettings(partitions=4, group=True, lease_ttl=2.0, fetch_timeout=1.0)
    assert exc.value.problems[0].field == "lease_ttl"
    assert StreamSettings(partitions=4, group=True).owned() == ()
    assert bucket_name("finguard-guard", 16) == "finguard-guard-leases-16"


# -- against NATS ----------------------------------------------------------------------------------


def _drop_bucket(settings: StreamSettings) -> None:
    async def drop(j: Any) -> None:
        try:
            await j.delete_stream(f"KV_{bucket_name(settings.durable, settings.partitions)}")
        except Exception:
            pass

    js(settings, drop)


@pytest.fixture
def group_settings(nats_settings: StreamSettings) -> Iterator[StreamSettings]:  # noqa: F811
    # ack_wait long: an event redelivered in these tests must come from a takeover's rewind
    settings = replace(nats_settings, partitions=4, group=True, lease_ttl=TTL, ack_wait=30.0)
    yield settings
    _drop_bucket(settings)


def _view(settings: StreamSettings) -> View:
    async def read(j: Any) -> View:
        table = await LeaseTable.open(j, settings.durable, settings.partitions, settings.lease_ttl, "reader", "test")
        return await table.view()

    result: View = js(settings, read)
    return result


def spawn(tmp: Path, name: str, db_url: str, prefix: str, settings: StreamSettings, delay: float = 0.0) -> Worker:
    """A consumer process in group mode (``tests.group_worker``) on the shared Redis; ``delay``
    holds each event's decision that many seconds."""
    return Worker(tmp, name, db_url, REDIS_URL, prefix, NOW, settings, delay=delay)


def test_a_killed_consumers_partitions_are_taken_over_and_given_back(db_url: str, group_settings: StreamSettings, tmp_path: Path) -> None:
    """Two consumer processes share P = 4; one is killed (SIGKILL) mid-stream: the other takes its
    partitions once their leases expire, and a consumer started again gets its share back. Every
    event is decided once (one decision, one ledger transfer, one published decision), in order
    per customer: each decision counts every earlier event of its account, and only those."""
    settings = group_settings
    engine = make_engine(db_url)
    upgrade(engine)
    prefix = f"fgtest:{uuid.uuid4().hex[:8]}:"
    redis_guard(engine, Clock(NOW), prefix).rules.save(COUNT_RULE, "t")
    customers = [f"gc{i}" for i in range(8)]
    assert {partition_of(c, 4) for c in customers} == {0, 1, 2, 3}
    each = 40
    everything = customer_events(customers, each)
    first, second = everything[: len(everything) // 2], everything[len(everything) // 2 :]
    # Each decision held 10 ms: a batch of 25 takes 0.25 s, so the kill (50 ms after b's first
    # batch shows) lands with most of b's half undecided, however fast the machine (CI once
    # decided all 160 before the kill).
    workers = [spawn(tmp_path, "a", db_url, prefix, settings, 0.01), spawn(tmp_path, "b", db_url, prefix, settings, 0.01)]
    a, b = workers
    try:
        wait_for(lambda: sorted(a.owned() + b.owned()) == [0, 1, 2, 3] and len(a.owned()) == 2, what="two partitions each")
        assert asyncio.run(publish_events(first, settings)) == (len(first), 0)
        wait_for(lambda: b.health()["decided"] >= 20, what="b deciding")
        theirs = b.owned()
        b.kill()
        decided_at_kill = ledger_count(engine)
        wait_for(lambda: sorted(a.owned()) == [0, 1, 2, 3], timeout=30, what="a taking over b's partitions")
        assert a.health()["took"] >= 4
        assert {k for k in _view(settings).owners} == {0, 1, 2, 3} and len(theirs) == 2
        assert asyncio.run(publish_events(second, settings)) == (len(second), 0)
        c = spawn(tmp_path, "c", db_url, prefix, settings)
        workers.append(c)
        wait_for(lambda: len(c.owned()) == 2 and len(a.owned()) == 2, timeout=30, what="c given its share")
        assert a.health()["gave"] >= 2
        n = len(everything)
        wait_for(lambda: stream_count(settings, settings.decisions_stream) >= n, what="every decision published")
    finally:
        for w in workers:
            w.stop()
    assert decided_at_kill < len(first), "the kill came too late to test a takeover mid-stream"
    assert c.health()["rewound"] == 0  # given partitions only gracefully: every event acknowledged first
    assert ledger_count(engine) == n
    assert transfer_count(engine) == n
    published = [body["event_id"] for _, body in stream_messages(settings, settings.decisions_stream)]
    assert sorted(published) == sorted(e["event_id"] for e in everything)
    # In order per customer, each event counted once: event i of a customer sees i + 1 transfers.
    guard = make_guard(engine, None, clock=Clock(NOW))
    counts = {
        s.decision.event_id: decode(s.inputs)["features"]["account_out_count_1h"] for s in guard.store.stored_decisions(None, None, 10_000)
    }
    assert counts == {f"{c}-{i}": i + 1 for c in customers for i in range(each)}
    # Stopped gracefully, the survivors left nothing behind: every lease free, no member.
    view = _view(settings)
    assert view.owners == {} and view.members == frozenset()
    engine.dispose()


def test_a_lease_taken_by_another_stops_the_lane_and_is_taken_back_when_it_expires(engine: Engine, group_settings: StreamSettings) -> None:
    """A lease this consumer can no longer renew (here, overwritten as if another member had
    taken it after it expired) stops that partition's lane at once; when the other owner's lease
    expires in turn, the consumer takes the partition again, and nothing is decided twice."""
    settings = replace(group_settings, partitions=2)
    guard = make_guard(engine, None, clock=Clock(NOW))
    run = ConsumerThread(GuardConsumer(guard, settings)).start()
    try:
        wait_for(lambda: run.consumer.health.owned == (0, 1), what="both partitions owned")

        async def steal(j: Any) -> None:
            kv = await j.key_value(bucket_name(settings.durable, settings.partitions))
            await kv.put(lease_key(1), json.dumps({"owner": "ghost"}).encode())

        js(settings, steal)
        wait_for(lambda: run.consumer.health.lost == 1 and run.consumer.health.owned == (0,), what="the lane of partition 1 stopped")
        wait_for(lambda: run.consumer.health.owned == (0, 1), timeout=30, what="partition 1 taken back after the ghost's lease expired")
        assert run.consumer.health.took == 3
        events = customer_events(["gx0", "gx1", "gx2", "gx3"], 3)
        assert asyncio.run(publish_events(events, settings)) == (len(events), 0)
        wait_for(lambda: stream_count(settings, settings.decisions_stream) >= len(events), what="every decision published")
    finally:
        run.stop()
    assert ledger_count(engine) == len(events) and run.consumer.health.lost == 1
    _drop_bucket(settings)


def test_with_one_partition_the_group_is_one_active_consumer_and_a_standby(engine: Engine, group_settings: StreamSettings) -> None:
    """P = 1: one consumer decides every event, the other stands by; the active one crashes
    (cancelled, its leases left to expire) and the standby takes over and decides the rest."""
    settings = replace(group_settings, partitions=1)
    guards = [make_guard(engine, None, clock=Clock(NOW)) for _ in range(2)]
    runs = [ConsumerThread(GuardConsumer(g, settings)).start() for g in guards]
    try:
        wait_for(lambda: sorted(r.consumer.health.owned for r in runs) == [(), (0,)], what="one active consumer")
        active, standby = sorted(runs, key=lambda r: r.consumer.health.owned, reverse=True)
        first = customer_events(["sb0", "sb1"], 3)
        assert asyncio.run(publish_events(first, settings)) == (len(first), 0)
        wait_for(lambda: active.consumer.health.decided >= len(first), what="the active one deciding")
        assert standby.consumer.health.decided == 0
        active.kill()
        wait_for(lambda: standby.consumer.health.owned == (0,), timeout=30, what="the standby taking over")
        second = customer_events(["sb2", "sb3"], 3)
        assert asyncio.run(publish_events(second, settings)) == (len(second), 0)
        wait_for(lambda: stream_count(settings, settings.decisions_stream) >= len(first) + len(second), what="every decision published")
    finally:
        for r in runs:
            r.stop()
    assert ledger_count(engine) == len(first) + len(second) and standby.consumer.health.decided >= len(second)
    _drop_bucket(settings)


def test_a_lane_whose_lease_is_not_fresh_starts_no_fetch(engine: Engine) -> None:
    """The safety gate: while its lease has too little time left (renewals failing), a lane
    starts no fetch and says why in the health; it goes on once the lease is renewed."""
    consumer = GuardConsumer(make_guard(engine, None), StreamSettings())

    class Sub:
        calls = 0

        async def fetch(self, batch: int, timeout: float) -> list[Any]:
            self.calls += 1
            await asyncio.sleep(0.01)
            raise TimeoutError

    class Conn:
        is_connected = True

    async def main() -> tuple[int, int, str, int]:
        stop, fresh, sub = asyncio.Event(), [True], Sub()
        lane = asyncio.create_task(consumer._lane(Conn(), None, [sub], stop, 3, lambda: fresh[0]))  # type: ignore[arg-type]
        await asyncio.sleep(0.1)
        fresh[0] = False
        await asyncio.sleep(0.05)
        paused_at = sub.calls
        await asyncio.sleep(0.3)
        paused, reason = sub.calls - paused_at, consumer.health.reason
        fresh[0] = True
        await asyncio.sleep(0.3)
        stop.set()
        await lane
        return paused_at, paused, reason, sub.calls

    paused_at, paused, reason, calls = asyncio.run(main())
    assert paused_at > 0 and paused == 0 and "lease" in reason and calls > paused_at
    assert consumer.health.healthy
