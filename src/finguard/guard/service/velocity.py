"""Velocity features: count, sum and distinct-count over sliding windows, keyed by account, payee, ...

Windows run on event time, never the wall clock, so replaying a stream gives the same values;
each event is counted once (the backend remembers event ids). Features include the event being
decided. Sums are in yuan: an amount in another currency is converted at its day's rate
(``service.fx``); one without a rate adds nothing (the engine flags the event). Memory per key
is bounded: windows up to an hour keep per-minute buckets, longer ones per-hour buckets (at
most 720 for 30 days), and a distinct count keeps at most :data:`MAX_MEMBERS` members per key.
A window's edges are therefore aligned to its bucket.

Two backends share :class:`VelocityBackend`: :class:`MemoryBackend` for the embedded mode and
``RedisBackend`` (``velocity_redis``) for several processes. When the backend fails, the
engine records an ``error`` reason and the decision is at least ``review``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Literal, NamedTuple, Protocol
from zoneinfo import ZoneInfo

from finguard.guard.model.controls import DEFAULT_TZ
from finguard.guard.model.events import OUTGOING, Event, EventType
from finguard.guard.service.fx import RULE_CURRENCY, Fx, default_fx

try:  # mypyc reads it (finguard.compiled); mypy-extensions is a build tool, not a runtime dependency
    from mypy_extensions import mypyc_attr
except ImportError:  # pragma: no cover - pure Python without the build tools: the decorator does nothing

    def mypyc_attr(*attrs: str, **kwattrs: object) -> Callable[[type], type]:  # type: ignore[misc]
        return lambda cls: cls


log = logging.getLogger(__name__)

MAX_MEMBERS = 1000
MAX_FIRST_SEEN = 2_000_000  # (customer, payee) pairs remembered in memory
MAX_SEEN_IDS = 2_000_000
DEDUP_TTL = int(timedelta(days=32).total_seconds())
_FIRST_TTL = int(timedelta(days=400).total_seconds())


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
    CUSTOMER_BAND = "customer_band"  # the customer in one 3-hour band of the local day
    MERCHANT = "merchant"
    WHERE = "where"  # the event's region (the merchant's for a card authorisation)


class Stage(StrEnum):
    ATTEMPT = "attempt"  # every event, whatever its outcome
    ALLOWED = "allowed"  # only events whose money moved (allow, review): money that really left


_LOCAL = ZoneInfo(DEFAULT_TZ)


def local_hour(event: Event) -> int:
    """The event's hour of the day where the bank is (Asia/Shanghai): habits are kept in it."""
    return event.occurred_at.astimezone(_LOCAL).hour


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
    if kind is KeyKind.CUSTOMER_BAND:
        return f"{event.customer_id}:{local_hour(event) // 3}"
    if kind is KeyKind.MERCHANT:
        return event.merchant.id if event.merchant else None
    if kind is KeyKind.WHERE:
        return event.where
    return f"{event.customer_id}:{event.channel}"


def country_of(event: Event) -> str | None:
    """The country the money goes to: the payee's for a remittance, else the event's region's."""
    if event.type is EventType.REMITTANCE and event.payee is not None and event.payee.country:
        return event.payee.country
    where = event.where
    return where[:2] if where else None


# :func:`key_of` per kind, without its chain of tests (#19): the same values.
_KEY_OF: dict[KeyKind, Callable[[Event], str | None]] = {
    KeyKind.ACCOUNT: lambda e: e.account,
    KeyKind.PAYEE: lambda e: e.payee.key if e.payee else None,
    KeyKind.DEVICE: lambda e: e.device,
    KeyKind.IP: lambda e: e.ip,
    KeyKind.CARD: lambda e: e.card,
    KeyKind.CUSTOMER: lambda e: e.customer_id,
    KeyKind.CUSTOMER_BAND: lambda e: f"{e.customer_id}:{local_hour(e) // 3}",
    KeyKind.MERCHANT: lambda e: e.merchant.id if e.merchant else None,
    KeyKind.WHERE: lambda e: e.where,
    KeyKind.CUSTOMER_CHANNEL: lambda e: f"{e.customer_id}:{e.channel}",
}


# What a customer may be seeing for the first time: feature name -> the value of the event.
FIRST_SEEN: dict[str, Callable[[Event], str | None]] = {
    "new_payee": lambda e: e.payee.key if e.is_outgoing and e.payee is not None else None,
    "new_merchant": lambda e: e.merchant.id if e.merchant is not None else None,
    "new_device": lambda e: e.device,
    "new_country": country_of,
    "new_region": lambda e: e.region,
}


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
    card_present: bool | None = None  # only card-present (True) or card-not-present (False) events
    resolution: int = field(init=False, repr=False, compare=False)  # seconds per bucket
    buckets: int = field(init=False, repr=False, compare=False)  # buckets per window

    def __post_init__(self) -> None:
        resolution = 60 if self.window <= timedelta(hours=1) else 3600
        object.__setattr__(self, "resolution", resolution)
        object.__setattr__(self, "buckets", int(self.window.total_seconds()) // resolution)
        if not timedelta(minutes=1) <= self.window <= timedelta(days=30):
            raise ValueError(f"{self.name}: a window runs from 1 minute to 30 days")
        if self.window.total_seconds() % self.resolution:
            raise ValueError(f"{self.name}: the window must be whole {'minutes' if self.resolution == 60 else 'hours'}")
        if (self.measure is Measure.DISTINCT) != (self.distinct_of is not None):
            raise ValueError(f"{self.name}: distinct_of goes with the distinct measure")

    def matches(self, event: Event) -> bool:
        if self.types and event.type not in self.types:
            return False
        if self.card_present is not None and event.card_present is not self.card_present:
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
    # Every outgoing event of the customer, card authorisations included (#11).
    FeatureSpec("account_out_count_24h", KeyKind.ACCOUNT, Measure.COUNT, _D, _PAY, "out"),
    FeatureSpec("customer_out_count_1h", KeyKind.CUSTOMER, Measure.COUNT, _H, OUTGOING, "out"),
    FeatureSpec("customer_out_count_24h", KeyKind.CUSTOMER, Measure.COUNT, _D, OUTGOING, "out"),
    FeatureSpec("customer_out_sum_24h", KeyKind.CUSTOMER, Measure.SUM, _D, OUTGOING, "out"),
    FeatureSpec("customer_out_count_30d", KeyKind.CUSTOMER, Measure.COUNT, 30 * _D, OUTGOING, "out"),
    FeatureSpec("customer_out_sum_30d", KeyKind.CUSTOMER, Measure.SUM, 30 * _D, OUTGOING, "out"),
    FeatureSpec("customer_count_30d", KeyKind.CUSTOMER, Measure.COUNT, 30 * _D),
    FeatureSpec("customer_band_count_30d", KeyKind.CUSTOMER_BAND, Measure.COUNT, 30 * _D),
    FeatureSpec("customer_payees_1h", KeyKind.CUSTOMER, Measure.DISTINCT, _H, _PAY, "out", KeyKind.PAYEE),
    FeatureSpec("customer_payees_24h", KeyKind.CUSTOMER, Measure.DISTINCT, _D, _PAY, "out", KeyKind.PAYEE),
    FeatureSpec("card_auth_count_1h", KeyKind.CARD, Measure.COUNT, _H, frozenset({EventType.CARD_AUTH})),
    FeatureSpec("card_auth_sum_24h", KeyKind.CARD, Measure.SUM, _D, frozenset({EventType.CARD_AUTH})),
    FeatureSpec(
        "card_cnp_count_10m", KeyKind.CARD, Measure.COUNT, timedelta(minutes=10), frozenset({EventType.CARD_AUTH}), card_present=False
    ),
    FeatureSpec("card_cnp_count_1h", KeyKind.CARD, Measure.COUNT, _H, frozenset({EventType.CARD_AUTH}), card_present=False),
    FeatureSpec("card_merchants_1h", KeyKind.CARD, Measure.DISTINCT, _H, frozenset({EventType.CARD_AUTH}), distinct_of=KeyKind.MERCHANT),
    FeatureSpec("card_regions_24h", KeyKind.CARD, Measure.DISTINCT, _D, frozenset({EventType.CARD_AUTH}), distinct_of=KeyKind.WHERE),
    FeatureSpec("merchant_count_1h", KeyKind.MERCHANT, Measure.COUNT, _H, frozenset({EventType.CARD_AUTH})),
    FeatureSpec("merchant_cards_24h", KeyKind.MERCHANT, Measure.DISTINCT, _D, frozenset({EventType.CARD_AUTH}), distinct_of=KeyKind.CARD),
    FeatureSpec("device_count_1h", KeyKind.DEVICE, Measure.COUNT, _H),
    FeatureSpec("ip_count_1h", KeyKind.IP, Measure.COUNT, _H),
    FeatureSpec("ip_customers_24h", KeyKind.IP, Measure.DISTINCT, _D, distinct_of=KeyKind.CUSTOMER),
    FeatureSpec("payee_in_count_1h", KeyKind.PAYEE, Measure.COUNT, _H, _PAY, "out"),
    FeatureSpec("payee_in_sum_24h", KeyKind.PAYEE, Measure.SUM, _D, _PAY, "out"),
    # The merchant's payments over the windows of its confirmed fraud (``model.merchant_risk``).
    FeatureSpec("merchant_count_24h", KeyKind.MERCHANT, Measure.COUNT, _D, frozenset({EventType.CARD_AUTH})),
    FeatureSpec("merchant_count_7d", KeyKind.MERCHANT, Measure.COUNT, 7 * _D, frozenset({EventType.CARD_AUTH})),
    FeatureSpec("merchant_count_30d", KeyKind.MERCHANT, Measure.COUNT, 30 * _D, frozenset({EventType.CARD_AUTH})),
)
DAILY_PAID = "channel_paid_24h"  # what the daily limit reads


class Update(NamedTuple):
    """Add to a bucket (``add``), see a member in a bucket (``member``) or keep a minimum (``first``).

    Immutable tuples: an event makes dozens, and a tuple is built in a third of a frozen
    dataclass's time (#19)."""

    slot: str
    op: Literal["add", "member", "first"]
    bucket: int
    value: int = 1
    member: str = ""
    keep_from: int = 0  # buckets before this are dropped
    keep: int = 0  # most buckets (add) or members (member) kept
    ttl: int = 0  # seconds a backend with expiry keeps an idle slot


class Read(NamedTuple):
    slot: str
    op: Literal["sum", "distinct", "first"]
    lo: int = 0
    hi: int = 0


# An Update or a Read made from all its fields at once, without the named tuple's own __new__ (a
# Python call with its defaults): the same tuple, ~0.3 us less each, ~60 a decision (#19, stop 25).
_new = tuple.__new__


class VelocityBackend(Protocol):
    def apply(self, dedup: str, updates: Sequence[Update], reads: Sequence[Read]) -> list[int]:
        """Apply ``updates`` unless ``dedup`` was seen before, then answer ``reads``; atomically.

        Raises :class:`VelocityUnavailable` when the store cannot be reached (an outage); anything
        else it raises is a fault."""
        ...


class VelocityUnavailable(Exception):
    """The velocity backend cannot be reached (the Redis backend maps its errors to this)."""


_SCAN_UP_TO = 8  # a slot with this many buckets or fewer is summed by reading them all


class _Buckets(dict[int, int]):
    """One slot's buckets (bucket -> value) with the total of all of them, so that a sum over a
    window that holds most of them is read without visiting each (#19: a 30-day window keeps up to
    721). ``ordered``: the buckets were added in increasing order (the usual case, events arriving
    about in time order), so those outside a window are at the ends; ``top`` is the largest."""

    __slots__ = ("ordered", "top", "total")

    def __init__(self) -> None:
        super().__init__()
        self.total = self.top = 0
        self.ordered = True

    @classmethod
    def first(cls, bucket: int, value: int) -> _Buckets:
        """A slot's buckets, holding ``value`` in ``bucket``."""
        new = cls()
        new[bucket] = new.total = value
        new.top = bucket
        return new

    def add(self, bucket: int, value: int, keep_from: int, keep: int) -> None:
        """Add ``value`` to ``bucket``; beyond ``keep`` buckets, drop those before ``keep_from``."""
        old = self.get(bucket)
        if old is None:
            if not self or bucket > self.top:
                self.top = bucket
            else:
                self.ordered = False
            self[bucket] = value
        else:
            self[bucket] = old + value
        self.total += value
        if len(self) > keep:
            self.prune(keep_from)

    def prune(self, keep_from: int) -> None:
        """Drop the buckets before ``keep_from`` (and put the rest back in order)."""
        for b in [b for b in self if b < keep_from]:
            self.total -= self.pop(b)
        if not self.ordered:  # in order again while they are few
            kept = sorted(self.items())
            self.clear()
            self.update(kept)
            self.ordered = True

    def sum(self, lo: int, hi: int) -> int:
        """The sum of the buckets from ``lo`` to ``hi`` (both included)."""
        if len(self) <= _SCAN_UP_TO or not self.ordered:
            total = 0
            for b, v in self.items():
                if lo <= b <= hi:
                    total += v
            return total
        if lo > hi:
            return 0
        total = self.total
        if self.top > hi:
            for b, v in reversed(self.items()):
                if b <= hi:
                    break
                total -= v
        for b, v in self.items():
            if b >= lo:
                break
            total -= v
        return total


# compiled, a class Python code may still subclass (a test double, a backend of one's own), as when pure
@mypyc_attr(allow_interpreted_subclasses=True)
class MemoryBackend:
    """The in-process backend (embedded mode). Thread-safe; bounded per key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, _Buckets] = {}
        self._members: dict[str, dict[str, int]] = {}
        self._first: dict[str, int] = {}
        self._seen: dict[str, None] = {}

    def apply(self, dedup: str, updates: Sequence[Update], reads: Sequence[Read]) -> list[int]:
        # :meth:`_update` and :meth:`_read` written out in the loops (one call and the tuples'
        # fields by unpacking instead of by name, ~60 a decision: #19); the same steps, except
        # that a slot's sum comes from its running total (:class:`_Buckets`), the same number.
        with self._lock:
            if dedup not in self._seen:
                self._seen[dedup] = None
                if len(self._seen) > MAX_SEEN_IDS:
                    del self._seen[next(iter(self._seen))]
                all_buckets = self._buckets
                for u in updates:
                    if u[1] == "add":
                        slot, _, bucket, value, _, keep_from, keep, _ = u
                        buckets = all_buckets.get(slot)
                        if buckets is None:
                            buckets = all_buckets[slot] = _Buckets.first(bucket, value)
                            if keep < 1:
                                buckets.prune(keep_from)
                            continue
                        old = buckets.get(bucket)  # _Buckets.add written out
                        if old is None:
                            if not buckets or bucket > buckets.top:
                                buckets.top = bucket
                            else:
                                buckets.ordered = False
                            buckets[bucket] = value
                        else:
                            buckets[bucket] = old + value
                        buckets.total += value
                        if len(buckets) > keep:
                            buckets.prune(keep_from)
                    else:
                        self._update(u)
            out: list[int] = []
            all_buckets, all_members, first = self._buckets, self._members, self._first
            for slot, op, lo, hi in reads:
                total = 0
                if op == "sum":
                    buckets = all_buckets.get(slot)
                    if buckets:
                        if len(buckets) <= _SCAN_UP_TO:
                            for b, v in buckets.items():
                                if lo <= b <= hi:
                                    total += v
                        else:
                            total = buckets.sum(lo, hi)
                elif op == "distinct":
                    members = all_members.get(slot)
                    if members:
                        for b in members.values():
                            if lo <= b <= hi:
                                total += 1
                else:
                    total = first.get(slot, -1)
                out.append(total)
            return out

    def _update(self, u: Update) -> None:
        if u.op == "add":
            buckets = self._buckets.get(u.slot)
            if buckets is None:
                buckets = self._buckets[u.slot] = _Buckets.first(u.bucket, u.value)
                if u.keep < 1:
                    buckets.prune(u.keep_from)
            else:
                buckets.add(u.bucket, u.value, u.keep_from, u.keep)
        elif u.op == "member":
            members = self._members.get(u.slot)
            if members is None:
                members = self._members[u.slot] = {}
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
        """One read, every bucket of the slot visited (the reference :class:`_Buckets.sum` keeps to)."""
        op, lo, hi = r.op, r.lo, r.hi
        total = 0
        if op == "sum":
            buckets = self._buckets.get(r.slot)
            if buckets:
                for b, v in buckets.items():
                    if lo <= b <= hi:
                        total += v
            return total
        if op == "distinct":
            members = self._members.get(r.slot)
            if members:
                for b in members.values():
                    if lo <= b <= hi:
                        total += 1
            return total
        return self._first.get(r.slot, -1)

    def slot_count(self) -> int:
        """How many keyed slots are held (for memory reports)."""
        with self._lock:
            return len(self._buckets) + len(self._members) + len(self._first)


FeatureValue = int | Decimal | None


@dataclass(frozen=True, slots=True)
class Features:
    """Counts by window (the spec names) and the first-seen flags (``new_payee``... 1 first time,
    0 seen before, None when the event has no such value)."""

    values: dict[str, FeatureValue]
    payee_first_seen: datetime | None  # when this customer first paid this payee (this event included)


def _fen(amount: Decimal | None) -> int:
    return int((amount or Decimal(0)) * 100)


_CENT = Decimal("0.01")
_EXACT = 10**26  # fen below this scale to yuan exactly (28 digits of decimal precision)


def _yuan_of(fen: int) -> Decimal:
    """A sum read in fen as yuan with two places: ``(Decimal(fen) / 100).quantize(0.01)``, shifted."""
    if -_EXACT < fen < _EXACT:
        return Decimal(fen).scaleb(-2)
    return (Decimal(fen) / 100).quantize(_CENT)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What :class:`Velocity` needs of a spec on every event, worked out once (#19)."""

    spec: FeatureSpec
    prefix: str  # the slot is prefix + key
    key: KeyKind
    distinct_of: KeyKind | None
    count: bool
    sum: bool
    resolution: int
    buckets: int
    ttl: int
    allowed: bool  # Stage.ALLOWED


@mypyc_attr(allow_interpreted_subclasses=True)  # the same (FailingVelocity in the tests)
class Velocity:
    """Turns events into backend updates and reads for a set of feature specs."""

    def __init__(self, backend: VelocityBackend, specs: Sequence[FeatureSpec] = DEFAULT_FEATURES, fx: Fx | None = None) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError("feature names must be unique")
        self.backend = backend
        self.specs = tuple(specs)
        self.fx = fx or default_fx()  # sums are in yuan: an amount in another currency is converted
        self._plans = tuple(
            _Plan(
                s,
                f"{s.name}|",
                s.key,
                s.distinct_of,
                s.measure is Measure.COUNT,
                s.measure is Measure.SUM,
                s.resolution,
                s.buckets,
                int(s.window.total_seconds()) * 2 + 86400,
                s.stage is Stage.ALLOWED,
            )
            for s in self.specs
        )
        self._kinds = tuple(dict.fromkeys([*(s.key for s in self.specs), *(s.distinct_of for s in self.specs if s.distinct_of)]))
        self._names = (*(s.name for s in self.specs), *(n for n in FIRST_SEEN if n not in names))
        self._clash = tuple(n for n in FIRST_SEEN if n in names)  # a spec named like a first-seen flag reads None
        allowed = [p for p in self._plans if p.allowed]
        self._allowed_kinds = tuple(dict.fromkeys([*(p.key for p in allowed), *(p.distinct_of for p in allowed if p.distinct_of)]))
        # Which specs an event matches depends on its type, card presence and direction only
        # (FeatureSpec.matches): worked out once per combination, as the plans of each stage it updates.
        self._matching: dict[tuple[EventType, bool | None, str], tuple[tuple[_Plan, ...], tuple[_Plan, ...]]] = {}
        # Per such combination, for each plan in order: whether the event updates it at the attempt stage.
        self._attempt: dict[tuple[EventType, bool | None, str], tuple[bool, ...]] = {}
        self._getters = tuple((kind, _KEY_OF[kind]) for kind in self._kinds)

    def _keys(self, event: Event, kinds: Sequence[KeyKind] | None = None) -> dict[KeyKind, str | None]:
        if kinds is None:
            return {kind: get(event) for kind, get in self._getters}
        return {kind: _KEY_OF[kind](event) for kind in kinds}

    def _matches(self, event: Event) -> tuple[tuple[_Plan, ...], tuple[_Plan, ...]]:
        """The plans this event updates at the attempt stage, and at the allowed stage, in spec order."""
        sig = (event.type, event.card_present, event.direction)
        found = self._matching.get(sig)
        if found is None:
            matching = [p for p in self._plans if p.spec.matches(event)]
            found = self._matching[sig] = (tuple(p for p in matching if not p.allowed), tuple(p for p in matching if p.allowed))
        return found

    def _yuan(self, event: Event) -> Decimal | None:
        """The amount the sums add: in yuan; None (adds nothing) when it has no rate."""
        if event.amount is None or event.currency == RULE_CURRENCY:
            return event.amount
        return self.fx.in_yuan(event).amount

    def _updates(self, event: Event, stage: Stage, keys: dict[KeyKind, str | None] | None = None) -> list[Update]:
        t = int(event.occurred_at.timestamp())
        allowed = stage is Stage.ALLOWED
        keys = keys if keys is not None else self._keys(event, self._allowed_kinds if allowed else None)
        out: list[Update] = []
        fen: int | None = None  # the amount in yuan (fen), converted once, for the first sum
        for p in self._matches(event)[1 if allowed else 0]:
            key = keys[p.key]
            if key is None:
                continue
            bucket = t // p.resolution
            keep_from = bucket - p.buckets + 1
            if p.distinct_of is not None:
                member = keys[p.distinct_of]
                if member is not None:
                    out.append(_new(Update, (p.prefix + key, "member", bucket, 1, member, keep_from, MAX_MEMBERS, p.ttl)))
            else:
                if p.count:
                    value = 1
                else:
                    if fen is None:
                        fen = _fen(self._yuan(event))
                    value = fen
                out.append(_new(Update, (p.prefix + key, "add", bucket, value, "", keep_from, p.buckets + 1, p.ttl)))
        return out

    def observe(self, event: Event) -> Features:
        """Count the event once (by its id) and read every feature as of its time."""
        t = int(event.occurred_at.timestamp())
        keys = self._keys(event)
        sig = (event.type, event.card_present, event.direction)
        attempt = self._attempt.get(sig)
        if attempt is None:
            updating = self._matches(event)[0]
            attempt = self._attempt[sig] = tuple(any(p is u for u in updating) for p in self._plans)
        # One pass over the plans (#19): each slot's name and bucket made once for its update
        # and its read; the updates (the attempt stage's, in spec order) and the reads (every
        # plan's, in spec order) as :meth:`_updates` and the reads were made before.
        updates: list[Update] = []
        reads: list[Read] = []
        slots: list[_Plan] = []
        fen: int | None = None  # the amount in yuan (fen), converted once, for the first sum
        for p, update in zip(self._plans, attempt, strict=True):
            key = keys[p.key]
            if key is None:
                continue
            slot = p.prefix + key
            bucket = t // p.resolution
            keep_from = bucket - p.buckets + 1
            if p.distinct_of is not None:
                if update:
                    member = keys[p.distinct_of]
                    if member is not None:
                        updates.append(_new(Update, (slot, "member", bucket, 1, member, keep_from, MAX_MEMBERS, p.ttl)))
                reads.append(_new(Read, (slot, "distinct", keep_from, bucket)))
            else:
                if update:
                    if p.count:
                        value = 1
                    else:
                        if fen is None:
                            fen = _fen(self._yuan(event))
                        value = fen
                    updates.append(_new(Update, (slot, "add", bucket, value, "", keep_from, p.buckets + 1, p.ttl)))
                reads.append(_new(Read, (slot, "sum", keep_from, bucket)))
            slots.append(p)
        firsts: list[str] = []
        for name, value_of in FIRST_SEEN.items():
            seen_value = value_of(event)
            if seen_value is None:
                continue
            # The payee's slot keeps the name it had before #11, so stored state stays valid.
            slot = f"first|{event.customer_id}|{seen_value}" if name == "new_payee" else f"{name}|{event.customer_id}|{seen_value}"
            updates.append(Update(slot, "first", 0, t, ttl=_FIRST_TTL))
            reads.append(Read(slot, "first"))
            firsts.append(name)
        try:
            raw = self.backend.apply(event.event_id, updates, reads)
        except VelocityUnavailable:
            raise
        except Exception as exc:
            # Not an outage but a fault in a backend: the decision still says "velocity unavailable"
            # (never a silent pass), and the fault is logged loudly with its traceback, not hidden.
            log.exception("velocity backend fault (not an outage) for event %s", event.event_id)
            raise VelocityUnavailable(f"backend fault: {type(exc).__name__}: {exc}") from exc
        values: dict[str, FeatureValue] = dict.fromkeys(self._names)
        for p, value in zip(slots, raw, strict=False):
            values[p.spec.name] = _yuan_of(value) if p.sum else int(value)
        for name in self._clash:
            values[name] = None
        first: datetime | None = None
        for name, seen in zip(firsts, raw[len(slots) :], strict=True):
            values[name] = 1 if seen < 0 or seen >= t else 0
            if name == "new_payee" and seen >= 0:
                first = datetime.fromtimestamp(seen, UTC)
        return Features(values, first)

    def record_allowed_many(self, events: Sequence[Event]) -> list[tuple[Event, VelocityUnavailable]]:
        """:meth:`record_allowed` each event in order; the events not counted, with why.

        A backend with ``apply_many`` (Redis) takes them all in one call (one round trip, #19): when
        it fails, none is counted. Otherwise they are recorded one by one, as before. Only an outage
        (:class:`VelocityUnavailable`) is answered as events not counted: any other exception is a
        fault in this code, and propagates (the caller logs it loudly)."""
        many = getattr(self.backend, "apply_many", None)
        if many is None:
            failed: list[tuple[Event, VelocityUnavailable]] = []
            for event in events:
                try:
                    self.record_allowed(event)
                except VelocityUnavailable as exc:
                    failed.append((event, exc))
            return failed
        counted: list[Event] = []
        items: list[tuple[str, Sequence[Update], Sequence[Read]]] = []
        for event in events:
            updates = self._updates(event, Stage.ALLOWED)
            if updates:
                counted.append(event)
                items.append((f"{event.event_id}#allowed", updates, ()))
        if not items:
            return []
        try:
            if len(items) == 1:  # alone: the plain call, a little cheaper
                self.backend.apply(*items[0])
            else:
                many(items)
        except VelocityUnavailable as exc:
            return [(event, exc) for event in counted]
        return []

    def record_allowed(self, event: Event) -> None:
        """Count an allowed event in the allowed-stage features (once, by its id).

        Raises :class:`VelocityUnavailable` when the store cannot be reached; a fault (TypeError ...)
        propagates as itself, never disguised as an outage."""
        updates = self._updates(event, Stage.ALLOWED)
        if updates:
            self.backend.apply(f"{event.event_id}#allowed", updates, [])
