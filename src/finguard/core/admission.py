"""Admission control: past a bound on work in flight, refuse at once instead of queueing.

A saturated server that queues answers every request late (p99 of 30 s was measured at five
times capacity), and a payment waiting 30 s for a check is as good as a failed one. This ASGI
middleware counts the requests a process is working on; past ``max_in_flight`` it answers
503 with ``Retry-After`` before reading the body or touching the database, so the requests it
admits keep their latency. Anonymous public traffic has its own, lower bound
(``max_public_in_flight``): under load the public check degrades before the staff check and
the guard. Health, readiness and metrics are never refused.
"""

from __future__ import annotations

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


def is_public(path: str) -> bool:
    return path == "/" or path.startswith(PUBLIC_PREFIXES)


class AdmissionControl:
    """Counts requests in flight in this process (the event loop is single-threaded, so plain
    integers suffice) and refuses past the bounds. ``refused`` counts refusals for /metrics."""

    def __init__(self, app: ASGIApp, *, max_in_flight: int, max_public_in_flight: int, retry_after_seconds: int = 1) -> None:
        self.app = app
        self.max_in_flight = max_in_flight
        self.max_public_in_flight = min(max_public_in_flight, max_in_flight)
        self.retry_after = str(retry_after_seconds)
        self.in_flight = 0
        self.public_in_flight = 0
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NEVER_REFUSED) or self.max_in_flight <= 0:
            await self.app(scope, receive, send)
            return
        public = is_public(scope["path"])
        if self.in_flight >= self.max_in_flight or (public and self.public_in_flight >= self.max_public_in_flight):
            self.refused += 1
            await self._refuse(send)
            return
        self.in_flight += 1
        self.public_in_flight += public
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            self.public_in_flight -= public

    async def _refuse(self, send: Send) -> None:
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
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
