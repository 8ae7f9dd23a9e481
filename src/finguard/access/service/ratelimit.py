"""Public rate limits shared by every process, and every refusal recorded.

Limits are moving windows of the :mod:`limits` library: in Redis when one is configured (all
API processes spend from one window per client), in process memory otherwise (embedded mode).
``burst`` checks may come at once; the window that holds them is sized so the long-run rate is
``rate_per_minute``. A client flagged by the enumeration detector is also held to a tightened
rate. Each refusal is counted and logged with the client's keyed hash (never its address).

If Redis fails, the limiter falls back to its in-process window for that call and logs it: a
broken Redis never lets a client through unlimited, and never turns a check into a 500.
"""

from __future__ import annotations

import logging
import math
import threading

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from finguard.core import metrics
from finguard.core.errors import RateLimited

log = logging.getLogger(__name__)


class RateLimiter:
    def __init__(
        self,
        rate_per_minute: int,
        burst: int,
        *,
        redis_url: str | None = None,
        prefix: str = "finguard:rl",
        tightened_per_minute: int = 3,
    ) -> None:
        rate = max(rate_per_minute, 1)
        burst = max(burst, 1)
        self.item: RateLimitItem = RateLimitItemPerSecond(burst, max(1, math.ceil(burst * 60 / rate)))
        self.tight: RateLimitItem = RateLimitItemPerMinute(max(tightened_per_minute, 1))
        self.shared = redis_url is not None
        storage: Storage = MemoryStorage()
        if redis_url:
            storage = RedisStorage(redis_url, key_prefix=prefix, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._limiter = MovingWindowRateLimiter(storage)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._lock = threading.Lock()
        self.refused = 0

    def _hit(self, item: RateLimitItem, *keys: str) -> bool:
        try:
            return self._limiter.hit(item, *keys)
        except Exception as exc:  # Redis down: limit locally rather than not at all
            log.warning("shared rate limit unavailable, limiting in process: %s", type(exc).__name__)
            return self._local.hit(item, *keys)

    def take(self, client: str, *, tightened: bool = False) -> None:
        """Spend one check for ``client`` (a keyed hash) or raise RateLimited, recorded."""
        allowed = self._hit(self.item, "public", client)
        if allowed and tightened:
            allowed = self._hit(self.tight, "tight", client)
        if not allowed:
            with self._lock:
                self.refused += 1
            metrics.observe_refusal(tightened)
            log.warning("public rate limit refused client %s%s", client, " (tightened: enumeration)" if tightened else "")
            raise RateLimited("too many checks from this client; please wait a minute and try again")
