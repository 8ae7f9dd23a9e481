"""Velocity features: count, sum and distinct-count over sliding windows, keyed by account, payee, ...

Windows run on event time, never the wall clock, so replaying a stream gives the same values;
each event is counted once (the backend remembers event ids). Features include the event being
decided. Memory per key is bounded: windows up to an hour keep per-minute buckets, longer ones
per-hour buckets (at most 720 for 30 days), and a distinct count keeps at most
:data:`MAX_MEMBERS` members per key. A window's edges are therefore aligned to its bucket.

Two backends share :class:`VelocityBackend`: :class:`MemoryBackend` for the embedded mode and
``RedisBackend`` (``velocity_redis``) for several processes. When the backend fails, the
engine records an ``error`` reason and the decision is at least ``review``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal, Protocol

from finguard.guard.model.events import OUTGOING, Event, EventType

MAX_MEMBERS = 1000
MAX_FIRST_SEEN = 2_000_000  # (customer, payee) pairs remembered in memory
MAX_SEEN_IDS = 2_000_000
DEDUP_TTL = int(timedelta(days=32).total_seconds())


class Measure(StrEnum):
    COUNT = "count"
    SUM = "sum"  # of the amount, exact in fen
    DISTINCT = "distinct"


class KeyKind(StrEnum):
    ACCOUNT = "account"
    PAYEE = "payee"
    DEVICE = "device"
    IP = "ip"
    CARD = "card"
    CUSTOMER = "customer"
    CUSTOMER_CHANNEL = "customer_channel"


class Stage(StrEnum):
    ATTEMPT = "attempt"  # every event, whatever its outcome
    ALLOWED = "allowed"  # only events whose money moved (allow, review): money that really left


def key_of(event: Event, kind: KeyKind) -> str | None:
    if kind is KeyKind.ACCOUNT:
        return event.account
    if kind is KeyKind.PAYEE:
        return event.payee.key if event.payee else None
    if kind is KeyKind.DEVICE:
        return event.device
    if kind is KeyKind.IP:
        return event.ip
    if kind is KeyKind.CARD:
        return event.card
    if kind is KeyKind.CUSTOMER:
        return event.customer_id
    return f"{event.customer_id}:{event.channel}"


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    name: str
    key: KeyKind
    measure: Measure
    window: timedelta
    types: frozenset[EventType] = frozenset()  # empty: every type
    direction: Literal["out", "in"] | None = None
    distinct_of: KeyKind | None = None
    stage: Stage = Stage.ATTEMPT

    def __post_init__(self) -> None:
        if not timedelta(minutes=1) <= self.window <= timedelta(days=30):
            raise ValueError(f"{self.name}: a window runs from 1 minute to 30 days")
        if self.window.total_seconds() % self.resolution:
            raise ValueError(f"{self.name}: the window must be whole {'minutes' if self.resolution == 60 else 'hours'}")
        if (self.measure is Measure.DISTINCT) != (self.distinct_of is not None):
            raise ValueError(f"{self.name}: distinct_of goes with the distinct measure")

    @property
    def resolution(self) -> int:
        return 60 if self.window <= timedelta(hours=1) else 3600

    @property
    def buckets(self) -> int:
        return int(self.window.total_seconds()) // self.resolution

    def matches(self, event: Event) -> bool:
        if self.types and event.type not in self.types:
            return False
        if self.direction == "out":
            return event.is_outgoing
        if self.direction == "in":
            return event.type is EventType.TRANSFER and event.direction == "in"
        return True


_H, _D = timedelta(hours=1), timedelta(days=1)
_PAY = frozenset({EventType.TRANSFER, EventType.REMITTANCE})
DEFAULT_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("account_out_count_1h", KeyKind.ACCOUNT, Measure.COUNT, _H, _PAY, "out"),
    FeatureSpec("account_out_sum_24h", KeyKind.ACCOUNT, Measure.SUM, _D, _PAY, "out"),
    FeatureSpec("account_out_sum_30d", KeyKind.ACCOUNT, Measure.SUM, 30 * _D, _PAY, "out"),
    FeatureSpec("account_in_sum_24h", KeyKind.ACCOUNT, Measure.SUM, _D, frozenset({EventType.TRANSFER}), "in"),
    FeatureSpec("account_out_payees_24h", KeyKind.ACCOUNT, Measure.DISTINCT, _D, _PAY, "out", KeyKind.PAYEE),
    FeatureSpec("payee_in_count_24h", KeyKind.PAYEE, Measure.COUNT, _D, _PAY, "out"),
    FeatureSpec("payee_senders_24h", KeyKind.PAYEE, Measure.DISTINCT, _D, _PAY, "out", KeyKind.CUSTOMER),
    FeatureSpec("device_customers_24h", KeyKind.DEVICE, Measure.DISTINCT, _D, distinct_of=KeyKind.CUSTOMER),
    FeatureSpec("ip_customers_1h", KeyKind.IP, Measure.DISTINCT, _H, distinct_of=KeyKind.CUSTOMER),
    FeatureSpec("card_auth_count_10m", KeyKind.CARD, Measure.COUNT, timedelta(minutes=10), frozenset({EventType.CARD_AUTH})),
    FeatureSpec("customer_bindings_1h", KeyKind.CUSTOMER, Measure.COUNT, _H, frozenset({EventType.DEVICE_BINDING})),
    FeatureSpec("customer_bindings_24h", KeyKind.CUSTOMER, Measure.COUNT, _D, frozenset({EventType.DEVICE_BINDING})),
    FeatureSpec("channel_paid_24h", KeyKind.CUSTOMER_CHANNEL, Measure.SUM, _D, OUTGOING, "out", stage=Stage.ALLOWED),
)
DAILY_PAID = "channel_paid_24h"  # what the daily limit reads


@dataclass(frozen=True, slots=True)
class Update:
    """Add to a bucket (``add``), see a member in a bucket (``member``) or keep a minimum (``first``)."""

    slot: str
    op: Literal["add", "member", "first"]
    bucket: int
    value: int = 1
    member: str = ""
    keep_from: int = 0  # buckets before this are dropped
    keep: int = 0  # most buckets (add) or members (member) kept
    ttl: int = 0  # seconds a backend with expiry keeps an idle slot


@dataclass(frozen=True, slots=True)
class Read:
    slot: str
    op: Literal["sum", "distinct", "first"]
    lo: int = 0
    hi: int = 0


class VelocityBackend(Protocol):
    def apply(self, dedup: str, updates: Sequence[Update], reads: Sequence[Read]) -> list[int]:
        """Apply ``updates`` unless ``dedup`` was seen before, then answer ``reads``; atomically."""
        ...


class VelocityUnavailable(Exception):
    """The velocity backend cannot be reached."""


class MemoryBackend:
    """The in-process backend (embedded mode). Thread-safe; bounded per key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, dict[int, int]] = {}
        self._members: dict[str, dict[str, int]] = {}
        self._first: dict[str, int] = {}
        self._seen: dict[str, None] = {}

    def apply(self, dedup: str, updates: Sequence[Update], reads: Sequence[Read]) -> list[int]:
        with self._lock:
            if dedup not in self._seen:
                self._seen[dedup] = None
                if len(self._seen) > MAX_SEEN_IDS:
                    del self._seen[next(iter(self._seen))]
                for u in updates:
                    self._update(u)
            return [self._read(r) for r in reads]

    def _update(self, u: Update) -> None:
        if u.op == "add":
            buckets = self._buckets.setdefault(u.slot, {})
            buckets[u.bucket] = buckets.get(u.bucket, 0) + u.value
            if len(buckets) > u.keep:
                for b in [b for b in buckets if b < u.keep_from]:
                    del buckets[b]
        elif u.op == "member":
            members = self._members.setdefault(u.slot, {})
            members[u.member] = max(members.get(u.member, u.bucket), u.bucket)
            if len(members) > u.keep:
                for m in [m for m, b in members.items() if b < u.keep_from]:
                    del members[m]
                while len(members) > u.keep:
                    del members[min(members, key=members.__getitem__)]
        else:
            current = self._first.get(u.slot)
            if current is None or u.value < current:
                self._first[u.slot] = u.value
                if len(self._first) > MAX_FIRST_SEEN:
                    del self._first[next(iter(self._first))]

    def _read(self, r: Read) -> int:
        if r.op == "sum":
            return sum(v for b, v in self._buckets.get(r.slot, {}).items() if r.lo <= b <= r.hi)
        if r.op == "distinct":
            return sum(1 for b in self._members.get(r.slot, {}).values() if r.lo <= b <= r.hi)
        return self._first.get(r.slot, -1)

    def slot_count(self) -> int:
        """How many keyed slots are held (for memory reports)."""
        with self._lock:
            return len(self._buckets) + len(self._members) + len(self._first)


FeatureValue = int | Decimal | None


@dataclass(frozen=True, slots=True)
class Features:
    values: dict[str, FeatureValue]
    payee_first_seen: datetime | None  # when this customer first paid this payee (this event included)


def _fen(amount: Decimal | None) -> int:
    return int((amount or Decimal(0)) * 100)


class Velocity:
    """Turns events into backend updates and reads for a set of feature specs."""

    def __init__(self, backend: VelocityBackend, specs: Sequence[FeatureSpec] = DEFAULT_FEATURES) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError("feature names must be unique")
        self.backend = backend
        self.specs = tuple(specs)

    def _updates(self, event: Event, stage: Stage) -> list[Update]:
        t = int(event.occurred_at.timestamp())
        out: list[Update] = []
        for s in self.specs:
            key = key_of(event, s.key)
            if s.stage is not stage or key is None or not s.matches(event):
                continue
            bucket = t // s.resolution
            slot = f"{s.name}|{key}"
            ttl = int(s.window.total_seconds()) * 2 + 86400
            keep_from = bucket - s.buckets + 1
            if s.measure is Measure.DISTINCT:
                assert s.distinct_of is not None
                member = key_of(event, s.distinct_of)
                if member is not None:
                    out.append(Update(slot, "member", bucket, 1, member, keep_from, MAX_MEMBERS, ttl))
            else:
                value = 1 if s.measure is Measure.COUNT else _fen(event.amount)
                out.append(Update(slot, "add", bucket, value, "", keep_from, s.buckets + 1, ttl))
        return out

    def _first_slot(self, event: Event) -> str | None:
        if event.is_outgoing and event.payee is not None and event.payee.key is not None:
            return f"first|{event.customer_id}|{event.payee.key}"
        return None

    def observe(self, event: Event) -> Features:
        """Count the event once (by its id) and read every feature as of its time."""
        t = int(event.occurred_at.timestamp())
        updates = self._updates(event, Stage.ATTEMPT)
        reads: list[Read] = []
        slots: list[FeatureSpec] = []
        for s in self.specs:
            key = key_of(event, s.key)
            if key is None:
                continue
            bucket = t // s.resolution
            op: Literal["sum", "distinct"] = "distinct" if s.measure is Measure.DISTINCT else "sum"
            reads.append(Read(f"{s.name}|{key}", op, bucket - s.buckets + 1, bucket))
            slots.append(s)
        first_slot = self._first_slot(event)
        if first_slot is not None:
            updates.append(Update(first_slot, "first", 0, t, ttl=int(timedelta(days=400).total_seconds())))
            reads.append(Read(first_slot, "first"))
        try:
            raw = self.backend.apply(event.event_id, updates, reads)
        except VelocityUnavailable:
            raise
        except Exception as exc:
            raise VelocityUnavailable(str(exc)) from exc
        values: dict[str, FeatureValue] = {s.name: None for s in self.specs}
        for s, value in zip(slots, raw, strict=False):
            values[s.name] = (Decimal(value) / 100).quantize(Decimal("0.01")) if s.measure is Measure.SUM else int(value)
        first: datetime | None = None
        if first_slot is not None and raw and raw[-1] >= 0:
            first = datetime.fromtimestamp(raw[-1], UTC)
        return Features(values, first)

    def record_allowed(self, event: Event) -> None:
        """Count an allowed event in the allowed-stage features (once, by its id)."""
        updates = self._updates(event, Stage.ALLOWED)
        if not updates:
            return
        try:
            self.backend.apply(f"{event.event_id}#allowed", updates, [])
        except Exception as exc:
            raise VelocityUnavailable(str(exc)) from exc
