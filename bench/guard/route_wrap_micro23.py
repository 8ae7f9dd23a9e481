"""Issue #19, stop 23: the CPU Starlette's ``request_response`` wrapper adds to a request over calling the endpoint
directly (what a ``handle`` of the guard's ``_EventRoute`` without it would save; tried, ~2 us, not kept).

    python bench/guard/route_wrap_micro23.py

Both ways in one process on a trivial endpoint, alternated, 6 rounds of 20,000 calls; thread CPU us a call.
"""

import asyncio
import json
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


async def endpoint(request: Request) -> Response:
    return Response(b'{"outcome":"allow"}', media_type="application/json")


route = Route("/api/v1/guard/events", endpoint, methods=["POST"])


async def direct(scope, receive, send):
    response = await endpoint(Request(scope, receive, send))
    await response(scope, receive, send)


async def main():
    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        pass

    def scope():
        return {
            "type": "http",
            "method": "POST",
            "path": "/api/v1/guard/events",
            "headers": [],
            "query_string": b"",
            "starlette.exception_handlers": ({}, {}),
            "app": None,
        }

    out = {"wrapped_us": [], "direct_us": []}
    n = 20000
    for r in range(6):
        for name, fn in (
            (("wrapped_us", route.handle), ("direct_us", direct)) if r % 2 == 0 else (("direct_us", direct), ("wrapped_us", route.handle))
        ):
            t = time.thread_time()
            for _ in range(n):
                await fn(scope(), receive, send)
            out[name].append(round((time.thread_time() - t) / n * 1e6, 2))
    print(json.dumps(out))


asyncio.run(main())
