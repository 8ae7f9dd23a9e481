"""Per-client token buckets for the public endpoints."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from finguard.core.errors import RateLimited


class RateLimiter:
    """``rate_per_minute`` tokens refill continuously; a client may burst up to ``burst``.

    Memory is bounded: the least recently seen clients are forgotten past ``max_clients``.
    """

    def __init__(self, rate_per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic, max_clients: int = 100_000) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(max(burst, 1))
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> None:
        """Spend one token or raise RateLimited."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[client] = (tokens, now)
                raise RateLimited("too many checks from this client; please wait a minute and try again")
            self._buckets[client] = (tokens - 1.0, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
