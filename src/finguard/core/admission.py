"""Admission control: past a bound on work in flight, refuse at once instead of queueing.

A saturated server that queues answers every request late (p99 of 30 s was measured at five
times capacity), and a payment waiting 30 s for a check is as good as a failed one. This ASGI
middleware counts the requests a process is working on; past ``max_in_flight`` it answers
503 with ``Retry-After`` before reading the body or touching the database, so the requests it
admits keep their latency. Anonymous public traffic has its own, lower bound
(``max_public_in_flight``): under load the public check degrades before the staff check and
the guard. Health, readiness and metrics are never refused.

Counting in-flight requests does not see a queue that forms in front of the app: a route that
answers on the event loop itself (the payee check from memory) is never "in flight" for long,
and under overload requests wait for the loop, not for a slot. So the middleware also watches the
**event loop's lag** (:class:`LoopLag`: how late a 5 ms timer fires, i.e. how long a request that
arrives now waits for the loop). When a line has formed (lag past ``max_loop_lag``, half of it for
anonymous public traffic, *and* more than ``min_queue`` tasks waiting on the loop: one slow call
or a pause of the process is not a line) new requests are refused: a refusal costs a fraction of
an answer, so the line drains and the requests admitted keep their latency.

A process can also be behind where no line shows: its check log and audit log are written by
background threads, and past capacity the request path can outrun them. ``behind`` (the
platform's :meth:`~finguard.app.platform.Platform.logs_behind`) tells when they have more waiting
than ``FINGUARD_MAX_LOG_BACKLOG``; new requests are then refused until they have caught up, so no
check or staff call is ever answered without its record, and the backlog's memory stays bounded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PUBLIC_PREFIXES = ("/api/v1/public/", "/check")
NEVER_REFUSED = ("/healthz", "/readyz", "/metrics")


STATE_KEY = "finguard.admission"


def gate(app_state: MutableMapping[str, Any]) -> AdmissionControl | None:
    """The app's admission control, from the server's lifespan state (the middleware puts itself
    there at start-up), for :mod:`finguard.app.protocol`'s refusal at the protocol level; None
    when the server runs no lifespan."""
    found = app_state.get(STATE_KEY)
    return found if isinstance(found, AdmissionControl) else None


def is_public(path: str) -> bool:
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


class LoopLag:
    """How late the running event loop fires a timer (seconds): the wait a request arriving now has
    in front of it. A probe task sleeps ``interval`` again and again; its lateness rises at once
    and falls smoothly. While the probe is overdue, the time it is overdue counts: a loop stuck
    for 300 ms reads 300 ms before the probe can run again. Started on first use in each loop."""

    def __init__(self, interval: float = 0.005, count_every: float = 0.001) -> None:
        self.interval = interval
        self.count_every = count_every
        self.lag = 0.0
        self._due = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._waiting, self._counted_at = 0, float("-inf")
        self._counted_loop: asyncio.AbstractEventLoop | None = None

    def current(self) -> float:
        loop = asyncio.get_running_loop()
        if loop is not self._loop or self._task is None or self._task.done():
            self._loop, self.lag = loop, 0.0
            self._due = loop.time() + self.interval
            self._task = loop.create_task(self._probe(loop))
            return 0.0
        return max(self.lag, loop.time() - self._due)

    async def _probe(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            start = loop.time()
            self._due = start + self.interval
            await asyncio.sleep(self.interval)
            late = max(0.0, loop.time() - self._due)
            self.lag = late if late > self.lag else 0.7 * self.lag + 0.3 * late

    def waiting(self) -> int:
        """Tasks on the running loop (requests waiting, mostly); counted only when the loop lags, and
        at most once every ``count_every`` seconds: counting walks every task (measured with uvloop:
        44 us with 300 tasks, 138 us with 1,000, against ~75 us of CPU for a whole refusal at the
        protocol level), and under overload every refusal asked."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now - self._counted_at >= self.count_every or loop is not self._counted_loop:
            self._waiting, self._counted_at, self._counted_loop = len(asyncio.all_tasks(loop)), now, loop
        return self._waiting


class AdmissionControl:
    """Counts requests in flight in this process (the event loop is single-threaded, so plain
    integers suffice) and refuses past the bounds. ``refused`` counts refusals for /metrics."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_in_flight: int,
        max_public_in_flight: int,
        retry_after_seconds: int = 1,
        max_loop_lag: float = 0.0,
        min_queue: int = 16,
        behind: Callable[[], bool] | None = None,
    ) -> None:
        self.app = app
        self.behind = behind
        self.min_queue = min_queue
        self.max_in_flight = max_in_flight
        self.max_loop_lag = max_loop_lag
        self.loop_lag = LoopLag()
        self.max_public_in_flight = min(max_public_in_flight, max_in_flight)
        self.retry_after = str(retry_after_seconds)
        self.in_flight = 0
        self.public_in_flight = 0
        self.refused = 0
        self._refusal_body, self._refusal_headers = self._refusal()

    def refuses(self, scope: Scope) -> bool:
        """Whether a request arriving now is refused (counted in ``refused`` if so). The middleware asks
        when the request's task runs; :mod:`finguard.app.protocol` asks earlier, as uvicorn parses it."""
        if scope["type"] != "http" or scope["path"].startswith(NEVER_REFUSED) or self.max_in_flight <= 0:
            return False
        public = is_public(scope["path"])
        lagging = False
        if self.max_loop_lag > 0:
            lag = self.loop_lag.current()
            limit, queue = (self.max_loop_lag / 2, self.min_queue / 2) if public else (self.max_loop_lag, self.min_queue)
            lagging = lag > limit and self.loop_lag.waiting() > queue
        if (
            lagging
            or self.in_flight >= self.max_in_flight
            or (public and self.public_in_flight >= self.max_public_in_flight)
            or (self.behind is not None and self.behind())
        ):
            self.refused += 1
            return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and isinstance(scope.get("state"), MutableMapping):
            # The server's state, shared with its protocols: how the protocol finds this gate.
            scope["state"][STATE_KEY] = self
        if scope["type"] != "http" or scope["path"].startswith(NEVER_REFUSED) or self.max_in_flight <= 0:
            await self.app(scope, receive, send)
            return
        if self.refuses(scope):
            await self._refuse(send)
            return
        public = is_public(scope["path"])
        self.in_flight += 1
        self.public_in_flight += public
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self.public_in_flight -= public

    def refusal(self) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        """The 503's body and headers (the same for every refusal)."""
        return self._refusal_body, self._refusal_headers

    async def _refuse(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": self._refusal_headers})
        await send({"type": "http.response.body", "body": self._refusal_body})

    def _refusal(self) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        body = json.dumps(
            {
                "error": {
                    "status": 503,
                    "code": "overloaded",
                    "message": "the service is at capacity; retry after the time in Retry-After",
                    "problems": [],
                }
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"retry-after", self.retry_after.encode()),
            (b"cache-control", b"no-store"),
            (b"content-length", str(len(body)).encode()),
        ]
        return body, headers
