"""Enumeration detection on the public check: someone mapping the lists, one value at a time.

Four signs, each counted over a window (``window`` seconds, in buckets so counts reset), in Redis
when configured (shared by every process) or in memory:

* **many values from one client**: distinct values checked by one client hash;
* **many values from one subnet**: the same over its /24 (IPv6 /48), for a client that rotates
  addresses;
* **a sequential sweep**: account numbers from one client that differ only in their last three
  digits (the set key is the hash of the other digits: no account number is stored);
* **many clients probing one value**: distinct clients that checked the same value (the owner of
  a listed account testing whether it is still listed, through many addresses).

Each sign raises one alert per subject and window into the shared alert table, and the client's
(or the subnet's) limit is tightened for a window. Values are stored as keyed hashes only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from finguard.core.identifiers import mask

log = logging.getLogger(__name__)


class AlertSink(Protocol):
    """Where alerts go: the shared alert table (``finguard.alerts.store.SqlAlertSink``), wired by the app."""

    def raise_alert(self, kind: str, subject: str, severity: str, summary: str, details: dict[str, Any]) -> None: ...


class Counters(Protocol):
    """The few shared-state operations the detector needs."""

    def distinct(self, key: str, member: str, ttl: int) -> int: ...
    def once(self, key: str, ttl: int) -> bool: ...
    def flag(self, key: str, ttl: int) -> None: ...
    def flagged(self, *keys: str) -> bool: ...


class MemoryCounters:
    """In-process counters (embedded mode), expiring lazily; bounded by ``max_keys``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 200_000) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._sets: dict[str, tuple[float, set[str]]] = {}
        self._flags: dict[str, float] = {}
        self._lock = threading.Lock()

    def _sweep(self, now: float) -> None:
        if len(self._sets) + len(self._flags) <= self.max_keys:
            return
        self._sets = {k: v for k, v in self._sets.items() if v[0] > now}
        self._flags = {k: v for k, v in self._flags.items() if v > now}
        while len(self._sets) > self.max_keys // 2:  # still full: forget the oldest
            self._sets.pop(next(iter(self._sets)))

    def distinct(self, key: str, member: str, ttl: int) -> int:
        now = self.clock()
        with self._lock:
            self._sweep(now)
            expires, members = self._sets.get(key, (0.0, set()))
            if expires <= now:
                members = set()
            members.add(member)
            self._sets[key] = (now + ttl, members)
            return len(members)

    def once(self, key: str, ttl: int) -> bool:
        now = self.clock()
        with self._lock:
            if self._flags.get(key, 0.0) > now:
                return False
            self._flags[key] = now + ttl
            return True

    def flag(self, key: str, ttl: int) -> None:
        with self._lock:
            self._flags[key] = self.clock() + ttl

    def flagged(self, *keys: str) -> bool:
        now = self.clock()
        return any(self._flags.get(k, 0.0) > now for k in keys)


class RedisCounters:
    """The same in Redis: a set per key (SADD, EXPIRE, SCARD in one round trip) and flags with TTLs."""

    def __init__(self, url: str, prefix: str = "finguard:enum:") -> None:
        import redis

        self.redis: Any = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix

    def distinct(self, key: str, member: str, ttl: int) -> int:
        k = self.prefix + key
        pipe = self.redis.pipeline()
        pipe.sadd(k, member)
        pipe.expire(k, ttl)
        pipe.scard(k)
        return int(pipe.execute()[2])

    def once(self, key: str, ttl: int) -> bool:
        return bool(self.redis.set(self.prefix + "once:" + key, b"1", nx=True, ex=ttl))

    def flag(self, key: str, ttl: int) -> None:
        self.redis.set(self.prefix + "flag:" + key, b"1", ex=ttl)

    def flagged(self, *keys: str) -> bool:
        return bool(self.redis.exists(*[self.prefix + "flag:" + k for k in keys]))


@dataclass(frozen=True, slots=True)
class Thresholds:
    window: int = 3600
    per_client: int = 40
    per_subnet: int = 150
    sweep: int = 12
    clients_per_value: int = 25


@dataclass(frozen=True, slots=True)
class Probe:
    """One value a public check asked about: its field, its normalised value."""

    field: str
    value: str


class EnumerationDetector:
    def __init__(
        self,
        counters: Counters,
        alerts: AlertSink,
        hash_value: Callable[[str], str],
        thresholds: Thresholds = Thresholds(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.counters = counters
        self.alerts = alerts
        self.hash_value = hash_value
        self.t = thresholds
        self.clock = clock
        self.raised = 0

    def tightened(self, client: str, subnet: str) -> bool:
        """Whether this client (or its subnet) was flagged: its limit is tightened."""
        try:
            return self.counters.flagged(f"c:{client}", f"n:{subnet}")
        except Exception as exc:  # shared state down: no tightening, the base limit still holds
            log.warning("enumeration detector unavailable: %s", type(exc).__name__)
            return False

    def observe(self, client: str, subnet: str, probes: Sequence[Probe]) -> None:
        """Count a public check's values; raise alerts and tighten limits past the thresholds."""
        try:
            self._observe(client, subnet, probes)
        except Exception as exc:  # detection must never turn an answer into an error
            log.warning("enumeration detector unavailable: %s", type(exc).__name__)

    def _observe(self, client: str, subnet: str, probes: Sequence[Probe]) -> None:
        t = self.t
        bucket = int(self.clock() // t.window)
        ttl = 2 * t.window
        for probe in probes:
            value = self.hash_value(f"{probe.field}:{probe.value}")
            n = self.counters.distinct(f"vc:{bucket}:{client}", value, ttl)
            if n >= t.per_client:
                self._alert("client", client, f"c:{client}", {"distinct_values": n, "client": client, "subnet": subnet})
            n = self.counters.distinct(f"vn:{bucket}:{subnet}", value, ttl)
            if n >= t.per_subnet:
                self._alert("subnet", subnet, f"n:{subnet}", {"distinct_values": n, "subnet": subnet, "last_client": client})
            n = self.counters.distinct(f"cv:{bucket}:{value}", client, ttl)
            if n >= t.clients_per_value:
                shown = mask(probe.field, probe.value) if probe.field in ("account", "card", "phone") else "***"
                self._alert("value", value, None, {"distinct_clients": n, "field": probe.field, "value": shown})
            if probe.field in ("account", "card") and probe.value.isdigit() and len(probe.value) > 6:
                group = self.hash_value(f"sweep:{probe.field}:{probe.value[:-3]}")
                n = self.counters.distinct(f"sw:{bucket}:{client}:{group}", value, ttl)
                if n >= t.sweep:
                    self._alert("sweep", client, f"c:{client}", {"sequential_values": n, "field": probe.field, "client": client})

    def _alert(self, sign: str, subject: str, tighten: str | None, details: dict[str, Any]) -> None:
        if tighten is not None:
            self.counters.flag(tighten, self.t.window)
        if not self.counters.once(f"alert:{sign}:{subject}", self.t.window):
            return
        self.raised += 1
        details = {**details, "window_seconds": self.t.window, "sign": sign}
        summaries = {
            "client": "One client checked many distinct values on the public check / 单一客户端查询大量不同号码",
            "subnet": "One subnet checked many distinct values on the public check / 同一网段查询大量不同号码",
            "sweep": "Sequential sweep of account numbers on the public check / 公开核验出现顺序号码扫描",
            "value": "Many clients probed the same value on the public check / 大量客户端查询同一号码",
        }
        log.warning("public check enumeration (%s) by %s: %s", sign, subject, {k: v for k, v in details.items() if k != "value"})
        self.alerts.raise_alert(f"public_enumeration_{sign}", subject, "high", summaries[sign], details)
