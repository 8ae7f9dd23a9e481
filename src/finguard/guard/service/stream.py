"""The guard on NATS JetStream: a durable pull consumer that decides events and publishes decisions.

Events arrive on stream ``FINGUARD_EVENTS`` (subjects ``finguard.events.>``, one subject per
event type: ``finguard.events.transfer``; with partitions by customer, one per type and partition:
``finguard.events.transfer.p3``, read by the consumer of partition 3 alone, see
:attr:`StreamSettings.partitions`). For each fetched batch, in order:

1. the events are decided by :meth:`GuardService.decide_many` (stored in the ledger, the batch
   in as few transactions as exactness allows);
2. every decision is published to stream ``FINGUARD_DECISIONS`` on
   ``finguard.decisions.<outcome>`` with ``Nats-Msg-Id`` = the decision id, and its PubAck awaited;
3. only then is the event acknowledged.

Delivery is at least once, and the guard is idempotent (the same event id returns its stored
decision and is counted once in every velocity feature), so a consumer killed anywhere in this
sequence and restarted loses nothing and counts nothing twice: an event that was decided but not
acknowledged is redelivered, answered from the ledger and republished with the same message id
(JetStream drops the copy inside its duplicate window; later copies carry the same decision id).

A message that is not a valid event (not JSON, nested too deep, a number too long, an invalid
field, an event id reused with another body), or whose deciding fails for a reason of its own (an
exception that is not I/O: ``undecidable``), is published with the API's error envelope to
``finguard.events.invalid``, counted (``Health.invalid``) and acknowledged, so it never blocks the
stream. That subject lies inside ``finguard.events.>`` on purpose (the
dead letters are kept with the events); the consumer acknowledges it without deciding.

When NATS or the store cannot be reached, nothing is acknowledged or published: the consumer
marks itself unhealthy, backs off (doubling up to ``retry_max``) and retries; redelivery brings
the events back. It publishes only decisions the guard made, so never an ``allow`` it did not
decide.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import NotFoundError

from finguard.core import jsonsafe
from finguard.core.errors import FieldProblem, FinguardError, InvalidInput
from finguard.guard.model.decision import Decision
from finguard.guard.model.events import Event, parse_event
from finguard.guard.service.engine import GuardService
from finguard.guard.service.leases import LeaseLost, LeaseTable, View, plan

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 64 * 1024
_TYPE = re.compile(r"[a-z_]{1,40}")


@dataclass(frozen=True, slots=True)
class StreamSettings:
    """Where the consumer reads and writes. Tests give each run its own names and prefixes."""

    url: str = "nats://127.0.0.1:4222"
    events_stream: str = "FINGUARD_EVENTS"
    events_prefix: str = "finguard.events"
    decisions_stream: str = "FINGUARD_DECISIONS"
    decisions_prefix: str = "finguard.decisions"
    durable: str = "finguard-guard"
    batch: int = 200
    fetch_timeout: float = 1.0
    ack_wait: float = 30.0  # an unacknowledged event is redelivered after this many seconds
    duplicate_window: float = 120.0
    retry_initial: float = 0.2
    retry_max: float = 10.0
    connect_timeout: float = 2.0
    # Partitions by customer (publishers and consumers must agree): 1 = one subject per event
    # type, as before. With P > 1 an event goes to ``<prefix>.<type>.p<k>``, k = partition_of(its
    # customer, P), and a consumer given ``partition`` k reads only those (and partition 0 also
    # the events published without a partition), so one process sees all of a customer's events.
    partitions: int = 1
    partition: int | None = None  # None: this consumer reads every event (any partitioning)
    # A consumer may own several partitions (``partition`` and these): choose P larger than the
    # consumers you run today, so more can be added later without draining the stream to change P.
    also: tuple[int, ...] = ()
    # Group mode (``--group``): no partition is given; the consumers share the P partitions among
    # themselves through leases in NATS (``leases.py``), each aiming at ceil(P / consumers), and a
    # dead consumer's partitions are taken over once its leases expire, ``lease_ttl`` seconds
    # after its last renewal (renewed every ``lease_ttl / 4``).
    group: bool = False
    lease_ttl: float = 10.0

    def __post_init__(self) -> None:
        if not 1 <= self.partitions <= MAX_PARTITIONS:
            raise InvalidInput.for_field("partitions", f"must be between 1 and {MAX_PARTITIONS}")
        if self.group and self.partition is not None:
            raise InvalidInput.for_field("partition", "is chosen by the group's leases in group mode: give no partition")
        least = max(1.0, 4 * self.fetch_timeout)  # a lane's fetch fits in the half TTL it may start in
        if self.group and not self.lease_ttl >= least:
            raise InvalidInput.for_field("lease_ttl", f"must be at least {least:g} s (4 fetch timeouts of {self.fetch_timeout:g} s)")
        if self.partition is None and self.also:
            raise InvalidInput.for_field("partition", "is required when further partitions are owned")
        for k in self.owned():
            if not 0 <= k < self.partitions:
                raise InvalidInput.for_field("partition", f"must be between 0 and partitions - 1 ({self.partitions - 1})")
        if len(set(self.owned())) != len(self.owned()):
            raise InvalidInput.for_field("partition", "is given more than once")

    def owned(self) -> tuple[int, ...]:
        """The partitions this consumer reads (empty: every event)."""
        return () if self.partition is None else (self.partition, *self.also)

    @property
    def invalid_subject(self) -> str:
        return f"{self.events_prefix}.invalid"

    def event_subject(self, event_type: object, customer_id: object = None) -> str:
        kind = event_type if isinstance(event_type, str) and _TYPE.fullmatch(event_type) and event_type != "invalid" else "unknown"
        if self.partitions > 1:
            return f"{self.events_prefix}.{kind}.p{partition_of(customer_id, self.partitions)}"
        return f"{self.events_prefix}.{kind}"

    def subscriptions(self) -> list[list[tuple[str, str]]]:
        """Per lane, (filter subject, durable name) of each pull consumer it reads: one lane for
        every event, or one per owned partition (partition 0's lane also reads the subjects
        without a partition). Lanes run side by side, each in order."""
        if self.partition is None:
            return [[(f"{self.events_prefix}.>", self.durable)]]
        return [self.lane_subscriptions(k) for k in self.owned()]

    def lane_subscriptions(self, k: int) -> list[tuple[str, str]]:
        """Partition k's lane (the same in explicit and in group mode)."""
        lane = [(f"{self.events_prefix}.*.p{k}", f"{self.durable}-p{k}of{self.partitions}")]
        if k == 0:  # events published without a partition (and the dead letters, skipped)
            lane.append((f"{self.events_prefix}.*", f"{self.durable}-unpartitioned"))
        return lane


MAX_PARTITIONS = 256
EXTRA_WAIT = 0.05  # s: a fetch from the unpartitioned subjects by partition 0's consumer
EXTRA_EVERY = 1.0  # s: how often partition 0 looks there while its own partition is busy


def partition_of(customer_id: object, partitions: int) -> int:
    """The partition of a customer's events: stable across processes and restarts (CRC-32 of the
    id, not Python's salted ``hash``); an event without a customer id goes to partition 0."""
    if partitions <= 1 or not isinstance(customer_id, str) or not customer_id:
        return 0
    return zlib.crc32(customer_id.encode("utf-8", errors="replace")) % partitions


CONNECTION = -1  # Health's lane for the connection itself


@dataclass
class Health:
    """What the consumer last knew; read from other threads (``/readyz``, the CLI)."""

    healthy: bool = False
    reason: str = "not started"
    decided: int = 0
    invalid: int = 0
    retried: int = 0
    connects: int = 0
    since: float = field(default_factory=time.monotonic)
    # What is failing, by lane (-1: the connection; k: the lane of owned partition k): one lane's
    # success never hides another's failure.
    failing: dict[int, str] = field(default_factory=dict)
    # Group mode: this process's member id, the partitions it holds leases for (its lanes), and
    # how many it took (free or expired), gave up (balance, stop) and lost (not renewed in time).
    member: str = ""
    owned: tuple[int, ...] = ()
    took: int = 0
    gave: int = 0
    lost: int = 0
    lease_ops: int = 0  # requests to the lease bucket (renewals, claims, views)
    rewound: int = 0  # events a dead owner left unacknowledged, decided again after a takeover

    def ok(self, lane: int = CONNECTION) -> None:
        self.failing.pop(lane, None)
        if self.failing:
            return
        if not self.healthy:
            self.healthy, self.reason, self.since = True, "consuming", time.monotonic()

    def fail(self, reason: str, lane: int = CONNECTION) -> None:
        self.failing[lane] = reason
        if self.healthy or self.reason != reason:
            log.warning("guard consumer unhealthy: %s", reason)
        self.healthy, self.reason, self.since = False, reason, time.monotonic()


def decision_record(decision: Decision) -> dict[str, Any]:
    """The published form of a decision (the same fields as the API's)."""
    return {
        "decision_id": decision.decision_id,
        "event_id": decision.event_id,
        "customer_id": decision.customer_id,
        "event_type": decision.event_type,
        "outcome": decision.outcome.value,
        "shadow_outcome": decision.shadow_outcome.value,
        "score": decision.score,
        "reasons": [r.as_dict() for r in decision.reasons],
        "rule_version": decision.rule_version,
        "list_seq": decision.list_seq,
        "decided_at": decision.decided_at.isoformat(),
    }


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def error_envelope(exc: FinguardError) -> dict[str, Any]:
    return {
        "status": exc.status,
        "code": exc.code,
        "message": exc.message,
        "problems": [p.as_dict() for p in exc.problems],
    }


def parse_message(data: bytes) -> object:
    """A message body as JSON, amounts with a fraction kept as Decimal (never a float)."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise InvalidInput.for_field("body", f"is larger than {MAX_MESSAGE_BYTES} bytes")
    return jsonsafe.loads(data)


@dataclass(frozen=True, slots=True)
class Handled:
    """What became of one message: decided, dead-lettered, skipped (a dead letter) or to retry."""

    kind: Literal["decided", "invalid", "skip", "retry"]
    decision: Decision | None = None
    error: dict[str, Any] | None = None


# Exceptions from these packages are I/O (the store, Redis, NATS): they heal, so the batch is retried.
_IO_PACKAGES = frozenset({"sqlalchemy", "psycopg", "sqlite3", "redis", "nats"})


# ... except the store refusing the data itself (a value PostgreSQL cannot hold): that is the
# message's fault, and retrying its batch would stall the stream on it for ever.
_DATA_ERRORS = frozenset({"DataError"})


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, FinguardError):
        return exc.status == 503
    chain = [e for e in (exc, exc.__cause__, exc.__context__) if e is not None]
    if any(type(e).__name__ in _DATA_ERRORS and type(e).__module__.split(".")[0] in _IO_PACKAGES for e in chain):
        return False
    if isinstance(exc, OSError | TimeoutError):
        return True
    return any(type(e).__module__.split(".")[0] in _IO_PACKAGES for e in chain)


def _unavailable(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, FinguardError):
        return error_envelope(exc)
    return {"status": 503, "code": "unavailable", "message": f"{type(exc).__name__}: {exc}"[:500], "problems": []}


def _poison(exc: BaseException, stage: str) -> dict[str, Any]:
    """The dead letter's reason for a message that fails on its own (the text cut short: it may echo the body)."""
    message = f"the event cannot be {stage}: {type(exc).__name__}: {exc}"[:300]
    return {"status": 422, "code": "undecidable", "message": message, "problems": []}


async def ensure_streams(js: JetStreamContext, settings: StreamSettings) -> None:
    """Create both streams if missing (an existing stream is left as it is)."""
    for name, subject in ((settings.events_stream, settings.events_prefix), (settings.decisions_stream, settings.decisions_prefix)):
        try:
            await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(StreamConfig(name=name, subjects=[f"{subject}.>"], duplicate_window=settings.duplicate_window))


async def _quiet(exc: Exception) -> None:
    log.debug("NATS: %s", exc)


async def connect(settings: StreamSettings) -> NATS:
    # No client-side reconnection: the consumer's own loop reconnects with backoff, and meanwhile
    # reports itself unhealthy instead of hanging in a silent reconnect. (nats-py reads 0 attempts
    # as "no limit" while connecting, hence 1.)
    return await nats.connect(
        settings.url,
        connect_timeout=settings.connect_timeout,
        allow_reconnect=False,
        max_reconnect_attempts=1,
        reconnect_time_wait=0.05,
        error_cb=_quiet,
    )


class GuardConsumer:
    """Decides the events of ``FINGUARD_EVENTS`` with one :class:`GuardService`."""

    def __init__(self, guard: GuardService, settings: StreamSettings | None = None) -> None:
        self.guard = guard
        self.settings = settings or StreamSettings()
        self.health = Health()
        # Group mode: one id for this consumer's life (kept across reconnections, so it finds
        # its own leases again), and a label for people (host and process id).
        self.member = uuid.uuid4().hex[:12]
        self.label = f"{socket.gethostname()}:{os.getpid()}"
        self.health.member = self.member if self.settings.group else ""

    def decide_batch(self, messages: Sequence[tuple[str, bytes]]) -> list[Handled]:
        """Decide (subject, body) pairs in order, the batch stored in as few transactions as
        :meth:`GuardService.decide_many` allows. Runs in a worker thread: the guard blocks on I/O.

        No message can hold the stream: one that cannot be parsed, or whose deciding fails for a
        reason of its own (not the store, Redis or the network), is dead-lettered with the reason.
        """
        out: list[Handled | None] = [None] * len(messages)
        events: list[Event] = []
        where: list[int] = []
        for i, (subject, data) in enumerate(messages):
            if subject == self.settings.invalid_subject:
                out[i] = Handled("skip")
                continue
            try:
                events.append(parse_event(parse_message(data), self.guard.clock()))
            except FinguardError as exc:
                out[i] = Handled("invalid", error=error_envelope(exc))
            except Exception as exc:  # a parser fault is this message's, never a reason to stall
                log.error("guard consumer: message %d cannot be parsed: %s", i, type(exc).__name__)
                out[i] = Handled("invalid", error=_poison(exc, "parsed"))
            else:
                where.append(i)
        try:
            results: list[Decision | FinguardError | BaseException] = list(self.guard.decide_many(events))
        except Exception as exc:
            if _transient(exc):  # the store or a dependency: retry the batch later (stored events replay)
                log.warning("guard consumer: deciding failed, will retry: %s", exc)
                for i in where:
                    out[i] = Handled("retry", error=_unavailable(exc))
                return [o for o in out if o is not None]
            # One message's fault fails the whole batch: decide them one by one to find it.
            results = [self._decide_one(e) for e in events]
        for i, result in zip(where, results, strict=True):
            if isinstance(result, FinguardError):
                out[i] = Handled("invalid", error=error_envelope(result))
            elif isinstance(result, BaseException):
                if _transient(result):
                    out[i] = Handled("retry", error=_unavailable(result))
                else:
                    log.error("guard consumer: an event cannot be decided: %s", type(result).__name__)
                    out[i] = Handled("invalid", error=_poison(result, "decided"))
            else:
                out[i] = Handled("decided", result)
        return [o for o in out if o is not None]

    def _decide_one(self, event: Event) -> Decision | FinguardError | BaseException:
        try:
            return self.guard.decide_many([event])[0]
        except Exception as exc:
            return exc

    async def _handle(self, js: JetStreamContext, messages: list[Msg], lane: int = 0) -> bool:
        """Decide, publish, acknowledge one batch; False when some message must be retried."""
        outcomes = await asyncio.to_thread(self.decide_batch, [(m.subject, m.data) for m in messages])
        s = self.settings
        pending: list[asyncio.Future[Any]] = []
        for msg, o in zip(messages, outcomes, strict=True):
            if o.kind == "decided":
                assert o.decision is not None
                d = o.decision
                headers = {"Nats-Msg-Id": d.decision_id}
                subject = f"{s.decisions_prefix}.{d.outcome.value}"
                pending.append(await js.publish_async(subject, _json(decision_record(d)), stream=s.decisions_stream, headers=headers))
            elif o.kind == "invalid":
                meta = msg.metadata
                letter = {
                    "error": o.error,
                    "subject": msg.subject,
                    "stream_seq": meta.sequence.stream,
                    "delivered": meta.num_delivered,
                    "body": msg.data[:MAX_MESSAGE_BYTES].decode("utf-8", errors="replace"),
                }
                headers = {"Nats-Msg-Id": f"invalid:{meta.stream}:{meta.sequence.stream}"}
                pending.append(await js.publish_async(s.invalid_subject, _json(letter), stream=s.events_stream, headers=headers))
        if pending:
            await asyncio.gather(*pending)  # every decision is in its stream before any event is acknowledged
        retry = False
        for msg, o in zip(messages, outcomes, strict=True):
            if o.kind == "retry":
                retry = True
                await msg.nak(delay=s.retry_initial)
            else:
                await msg.ack()
        decided = sum(1 for o in outcomes if o.kind == "decided")
        invalid = sum(1 for o in outcomes if o.kind == "invalid")
        self.health.decided += decided
        self.health.invalid += invalid
        if retry:
            reason = next(o.error for o in outcomes if o.kind == "retry")
            self.health.retried += sum(1 for o in outcomes if o.kind == "retry")
            self.health.fail(f"deciding failed: {reason and reason.get('message')}", lane)
        return not retry

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Consume until ``stop`` is set; reconnect with backoff on any failure."""
        stop = stop or asyncio.Event()
        delay = self.settings.retry_initial
        while not stop.is_set():
            _stop_if_cancelled()
            nc: NATS | None = None
            try:
                nc = await connect(self.settings)
                self.health.connects += 1
                js = nc.jetstream()
                await ensure_streams(js, self.settings)
                if self.settings.group:
                    self.health.ok()
                    delay = self.settings.retry_initial
                    await self._group(nc, js, stop)
                    continue
                lanes = [[await self._subscribe(js, subj, durable) for subj, durable in lane] for lane in self.settings.subscriptions()]
                self.health.ok()
                delay = self.settings.retry_initial
                # One task per lane (owned partition): an idle partition's fetch never holds up a
                # busy one, and each partition's events are still decided in order. A lane that
                # fails (the connection lost) ends them all; the loop here reconnects.
                async with asyncio.TaskGroup() as group:
                    for k, lane in zip(self.settings.owned() or (0,), lanes, strict=True):
                        group.create_task(self._lane(nc, js, lane, stop, k))
            except asyncio.CancelledError:
                self.health.fail("stopped")
                raise
            except Exception as exc:
                first: BaseException = exc.exceptions[0] if isinstance(exc, BaseExceptionGroup) else exc
                self.health.fail(f"NATS: {type(first).__name__}: {first}"[:300])
                delay = await _backoff(stop, delay, self.settings.retry_max)
            finally:
                if nc is not None and not nc.is_closed:
                    try:
                        await nc.close()
                    except Exception as exc:  # the connection is gone either way
                        log.debug("closing NATS: %s", exc)
        self.health.fail("stopped")

    async def _subscribe(self, js: JetStreamContext, subject: str, durable: str) -> Any:
        return await js.pull_subscribe(subject, durable=durable, stream=self.settings.events_stream, config=self._consumer_config())

    def _consumer_config(self, **more: Any) -> ConsumerConfig:
        config: dict[str, Any] = {
            "ack_policy": AckPolicy.EXPLICIT,
            "deliver_policy": DeliverPolicy.ALL,
            "ack_wait": self.settings.ack_wait,
            "max_ack_pending": max(1000, self.settings.batch * 4),
        }
        return ConsumerConfig(**(config | more))

    async def _lane(
        self, nc: NATS, js: JetStreamContext, subs: list[Any], stop: asyncio.Event, lane: int, may_fetch: Callable[[], bool] | None = None
    ) -> None:
        """Fetch, decide and acknowledge one lane's events in order until ``stop``. In group mode
        ``may_fetch`` says whether the lane's lease is fresh enough to start a fetch: when it is
        not (renewals failing), the lane waits, with its batch in hand finished and acknowledged."""
        primary, extra = subs[0], subs[1:]
        extra_due = 0.0
        delay = self.settings.retry_initial
        while not stop.is_set():
            _stop_if_cancelled()
            if may_fetch is not None and not may_fetch():
                self.health.fail(f"partition {lane}: its lease is not being renewed", lane)
                await _backoff(stop, LEASE_WAIT, LEASE_WAIT)
                continue
            # The lane's own subjects with the full wait; the unpartitioned ones (partition 0
            # only) with a short one, when the own are idle or every EXTRA_EVERY seconds, so an
            # empty fallback never holds up the partition's own events.
            took = False
            for sub, wait in [(primary, self.settings.fetch_timeout)] + [(e, EXTRA_WAIT) for e in extra]:
                if sub is not primary and took and time.monotonic() < extra_due:
                    break
                if may_fetch is not None and not may_fetch():
                    break
                if sub is not primary:
                    extra_due = time.monotonic() + EXTRA_EVERY
                try:
                    messages = await sub.fetch(self.settings.batch, timeout=wait)
                except TimeoutError:  # nats' own, or asyncio's plain one (nats-py raises it when the
                    # deadline has passed before its lingering pull: a short wait on a busy machine)
                    if not nc.is_connected:
                        raise ConnectionError("NATS connection lost") from None
                    self.health.ok(lane)
                    delay = self.settings.retry_initial
                    continue
                took = True
                if await self._handle(js, messages, lane):
                    self.health.ok(lane)
                    delay = self.settings.retry_initial
                else:
                    delay = await _backoff(stop, delay, self.settings.retry_max)
                if stop.is_set():
                    break

    # -- group mode: partitions owned through leases (leases.py) --------------------------------

    async def _group(self, nc: NATS, js: JetStreamContext, stop: asyncio.Event) -> None:
        """Own partitions through the group's leases until ``stop``: renew them every TTL / 4,
        claim and give up partitions as :func:`plan` says, run one lane per owned partition.
        At ``stop`` every lane finishes its batch, then the leases are released and the member
        leaves; on cancellation (a crash, for tests) nothing is released: the leases expire."""
        s = self.settings
        table = await LeaseTable.open(js, s.durable, s.partitions, s.lease_ttl, self.member, self.label)
        if table.ttl < 4 * s.fetch_timeout:  # a lane's fetch must fit in the half TTL it may start in
            raise ValueError(f"the lease bucket's TTL ({table.ttl:g} s) is under 4 fetch timeouts: give the group a longer one")
        if table.ttl != s.lease_ttl:
            log.warning("guard group: the lease bucket's TTL is %g s (this consumer was given %g s): it wins", table.ttl, s.lease_ttl)
        held: dict[int, _Held] = {}
        free_before: set[int] = set()
        last_owner: dict[int, str] = {}
        log.info("guard group: member %s (%s) joins %d partitions, leases of %g s", self.member, self.label, s.partitions, table.ttl)
        graceful = False
        try:
            while True:
                _stop_if_cancelled()
                await self._reap(js, table, held)
                if stop.is_set():
                    graceful = True
                    if not held:
                        break
                    for h in held.values():
                        h.releasing = True
                        h.stop.set()
                try:
                    await self._renew(nc, table, held)
                    await table.beat()
                    if not stop.is_set():
                        view = await table.view()
                        await self._rebalance(nc, js, table, held, view, free_before, last_owner)
                        free_before = {k for k in range(s.partitions) if k not in view.owners}
                        last_owner = dict(view.owners)
                except Exception as exc:
                    if not nc.is_connected:
                        raise
                    log.warning("guard group: the lease bucket did not answer (%s): lanes go on while their leases are fresh", exc)
                self.health.owned = tuple(sorted(k for k, h in held.items() if not h.lost))
                self.health.lease_ops = table.ops
                # Until the next renewal, or sooner: stopping, or a lane ended (given up, lost, failed).
                stopping = stop.is_set()
                waits: list[asyncio.Future[Any]] = [] if stopping else [asyncio.ensure_future(stop.wait())]
                waits += [h.task for h in held.values() if h.task is not None]
                try:
                    await asyncio.wait(waits, timeout=table.ttl / 4, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    if not stopping:
                        waits[0].cancel()
        finally:
            for h in held.values():
                h.stop.set()
                if not graceful and h.task is not None:
                    h.task.cancel()
            await asyncio.gather(*(h.task for h in held.values() if h.task is not None), return_exceptions=True)
            if graceful and nc.is_connected:
                try:
                    for k, h in held.items():
                        await table.release(k, h.revision)
                    await table.leave()
                except Exception as exc:  # the leases expire anyway
                    log.warning("guard group: leaving: %s", exc)
            for k in held:
                self.health.ok(k)
            self.health.owned = ()

    async def _reap(self, js: JetStreamContext, table: LeaseTable, held: dict[int, _Held]) -> None:
        """Lanes that ended: given up (release the lease), lost (nothing to release) or failed
        (the connection: raised, so the consumer reconnects)."""
        for k, h in list(held.items()):
            if h.task is None or not h.task.done():
                continue
            del held[k]
            self.health.ok(k)
            exc = None if h.task.cancelled() else h.task.exception()
            if exc is not None:
                raise exc
            if not h.lost:
                await self._acknowledged(js, k)
                await table.release(k, h.revision)
                self.health.gave += 1
                log.info("guard group: gave up partition %d (its batch finished and acknowledged)", k)

    async def _acknowledged(self, js: JetStreamContext, k: int) -> None:
        """Before a partition is given up: wait (a second at most) until the server has processed
        the lane's last acknowledgements (sent without waiting for an answer), so the next owner
        finds nothing unacknowledged and has nothing to decide again."""
        for _, durable in self._group_lane(k):
            for _ in range(20):
                try:
                    info = await js.consumer_info(self.settings.events_stream, durable)
                except NotFoundError:
                    break
                if not info.num_ack_pending:
                    break
                await asyncio.sleep(0.05)

    async def _renew(self, nc: NATS, table: LeaseTable, held: dict[int, _Held]) -> None:
        for k, h in held.items():
            if h.lost:
                continue
            sent = time.monotonic()
            try:
                h.revision = await table.renew(k, h.revision)
            except Exception as exc:
                if not isinstance(exc, LeaseLost):  # no answer: the lane goes on while its lease is fresh
                    if not nc.is_connected:
                        raise
                    log.warning("guard group: renewing partition %d: %s", k, exc)
                    continue
                h.lost = True
                h.stop.set()
                self.health.lost += 1
                log.warning("guard group: lost the lease of partition %d (not renewed within %g s): its lane stops", k, table.ttl)
                continue
            h.valid_until = sent + table.ttl

    async def _rebalance(
        self,
        nc: NATS,
        js: JetStreamContext,
        table: LeaseTable,
        held: dict[int, _Held],
        view: View,
        free_before: set[int],
        last_owner: dict[int, str],
    ) -> None:
        for k, owner in view.owners.items():  # after a reconnection: our own leases, still live
            if owner == self.member and k not in held:
                await self._take(nc, js, table, held, k, view.revisions.get(k), "still ours after a reconnection")
        mine = [k for k, h in held.items() if not h.lost and not h.releasing]
        p = plan(self.settings.partitions, self.member, view, mine, free_before)
        for k in p.release:
            held[k].releasing = True
            held[k].stop.set()
            n = len(view.members | {self.member})
            log.info("guard group: giving up partition %d to balance %d consumers (after its batch in hand)", k, n)
        for k in p.claim:
            before = last_owner.get(k)
            await self._take(nc, js, table, held, k, None, f"was held by {before}" if before and before != self.member else "was free")

    async def _take(
        self, nc: NATS, js: JetStreamContext, table: LeaseTable, held: dict[int, _Held], k: int, revision: int | None, why: str
    ) -> None:
        ttl = table.ttl
        sent = time.monotonic()
        if revision is None:
            got = await table.claim(k)
        else:
            try:
                got = await table.renew(k, revision)
            except LeaseLost:
                got = None
        if got is None:
            return  # another member was quicker
        h = _Held(k, got, sent + ttl, asyncio.Event())
        held[k] = h
        try:
            subs = []
            for subject, durable in self._group_lane(k):
                await self._rewind(js, subject, durable, k)
                subs.append(await self._subscribe(js, subject, durable))
        except BaseException:
            del held[k]
            try:
                await table.release(k, got)
            except Exception as exc:  # it expires anyway
                log.debug("guard group: releasing partition %d: %s", k, exc)
            raise
        h.task = asyncio.create_task(self._lane(nc, js, subs, h.stop, k, h.fresh(ttl)))
        self.health.took += 1
        log.info("guard group: took partition %d (%s)", k, why)

    def _group_lane(self, k: int) -> list[tuple[str, str]]:
        """Partition k's lane in group mode; with one partition (no partitioning: one consumer
        active, the others standing by) every event, on the shared durable consumer."""
        s = self.settings
        return s.lane_subscriptions(k) if s.partitions > 1 else [(f"{s.events_prefix}.>", s.durable)]

    async def _rewind(self, js: JetStreamContext, subject: str, durable: str, k: int) -> None:
        """Events the previous owner fetched and left unacknowledged (it died mid-batch) would be
        redelivered only after ``ack_wait``, behind later events: so the partition's consumer is
        rewound to its acknowledgement floor and they are decided again first (answered from the
        ledger, republished with the same message id), keeping the partition's order."""
        try:
            info = await js.consumer_info(self.settings.events_stream, durable)
        except NotFoundError:
            return
        pending = int(info.num_ack_pending or 0)
        if not pending:
            return
        floor = int(info.ack_floor.stream_seq or 0) if info.ack_floor is not None else 0
        config = self._consumer_config(
            durable_name=durable, filter_subject=subject, deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=floor + 1
        )
        await js.delete_consumer(self.settings.events_stream, durable)
        await js.add_consumer(self.settings.events_stream, config=config)
        self.health.rewound += pending
        log.info("guard group: partition %d: %d events left unacknowledged; %s rewound to sequence %d", k, pending, durable, floor + 1)


LEASE_WAIT = 0.1  # s: a lane whose lease is not fresh looks again after this


@dataclass
class _Held:
    """A partition this consumer holds the lease of, and its lane."""

    partition: int
    revision: int
    valid_until: float  # monotonic: the last confirmed write's send time + the TTL
    stop: asyncio.Event
    task: asyncio.Task[None] | None = None
    releasing: bool = False
    lost: bool = False

    def fresh(self, ttl: float) -> Callable[[], bool]:
        """Whether the lane may start a fetch: more than half the TTL left on its lease."""
        return lambda: not self.lost and time.monotonic() + ttl / 2 < self.valid_until


def _stop_if_cancelled() -> None:
    """Raise CancelledError when this task has been asked to stop and is still running. On Python 3.11
    ``asyncio.wait_for`` (nats-py's ``fetch`` and ``next_msg`` use it, and so does :func:`_backoff`) can swallow a
    cancellation that lands as the wait it guards completes (CPython gh-86296, fixed in 3.12): the loop would then go on
    deciding after a kill. The request stays counted in ``Task.cancelling()``, which each loop checks at its top."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _backoff(stop: asyncio.Event, delay: float, limit: float) -> float:
    try:
        await asyncio.wait_for(stop.wait(), timeout=delay)
    except TimeoutError:
        pass
    return min(delay * 2, limit)


class ConsumerThread:
    """A consumer on its own event loop in a background thread (the CLI's ``consume``, tests)."""

    def __init__(self, consumer: GuardConsumer) -> None:
        self.consumer = consumer
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name="finguard-guard-consumer", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            self._task = asyncio.current_task()
            self._started.set()
            await self.consumer.run(self._stop)

        try:
            self._loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass
        finally:
            self._loop.close()

    def start(self) -> ConsumerThread:
        self._thread.start()
        self._started.wait(timeout=10)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch in hand, then stop."""
        if self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def kill(self, timeout: float = 10.0) -> None:
        """Cancel the consumer wherever it is (between deciding, publishing and acknowledging)."""
        if self._task is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


# -- publishing events --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PublishReport:
    published: int
    duplicates: int  # dropped by JetStream as a repeat of a message id inside its window
    skipped: list[FieldProblem]
    seconds: float


def read_jsonl(path: Path, *, skip_bad: bool = False) -> tuple[list[tuple[int, dict[str, Any]]], list[FieldProblem]]:
    """The JSON objects of a JSONL file with their line numbers. A bad line rejects the file
    (nothing is published) unless ``skip_bad``, and then every skipped line is reported."""
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[FieldProblem] = []
    with path.open("rb") as fh:
        for line, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                value = parse_message(raw)
            except InvalidInput as exc:
                problems.append(FieldProblem("line", exc.problems[0].problem, line))
                continue
            if not isinstance(value, dict):
                problems.append(FieldProblem("line", "must be a JSON object (one event per line)", line))
                continue
            rows.append((line, value))
    if problems and not skip_bad:
        raise InvalidInput(f"{path.name}: {len(problems)} bad line(s); nothing was published", problems=problems)
    return rows, problems


def _chunks(items: Sequence[tuple[int, dict[str, Any]]], size: int) -> Iterator[Sequence[tuple[int, dict[str, Any]]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def publish_events(
    events: Iterable[dict[str, Any]],
    settings: StreamSettings | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    window: int = 500,
) -> tuple[int, int]:
    """Publish events (``Nats-Msg-Id`` = the event id) with at most ``window`` PubAcks in flight.

    Returns (published, duplicates dropped by JetStream).
    """
    s = settings or StreamSettings()
    nc = await connect(s)
    try:
        js = nc.jetstream()
        await ensure_streams(js, s)
        published = duplicates = 0
        batch = [(0, e) for e in events]
        for chunk in _chunks(batch, window):
            futures = []
            for _, event in chunk:
                event_id = event.get("event_id")
                headers = {"Nats-Msg-Id": event_id} if isinstance(event_id, str) and event_id else None
                subject = s.event_subject(event.get("type"), event.get("customer_id"))
                futures.append(await js.publish_async(subject, _json(event), stream=s.events_stream, headers=headers))
            for ack in await asyncio.gather(*futures):
                if ack.duplicate:
                    duplicates += 1
                else:
                    published += 1
            if progress is not None:
                progress(len(chunk))
        return published, duplicates
    finally:
        await nc.close()


def publish_file(
    path: Path, settings: StreamSettings | None = None, *, skip_bad: bool = False, progress: Callable[[int], None] | None = None
) -> PublishReport:
    started = time.perf_counter()
    rows, skipped = read_jsonl(path, skip_bad=skip_bad)
    published, duplicates = asyncio.run(publish_events((e for _, e in rows), settings, progress=progress))
    return PublishReport(published, duplicates, skipped, round(time.perf_counter() - started, 3))


def with_names(settings: StreamSettings, suffix: str) -> StreamSettings:
    """The same settings on streams, subjects and a consumer of their own (tests, benchmarks).

    The subjects get a root of their own: two streams may not share subjects on one server.
    """
    return replace(
        settings,
        events_stream=f"{settings.events_stream}_{suffix}",
        events_prefix=f"fg_{suffix}.events",
        decisions_stream=f"{settings.decisions_stream}_{suffix}",
        decisions_prefix=f"fg_{suffix}.decisions",
        durable=f"{settings.durable}-{suffix}",
    )
