"""Bench-only entry point: the finguard app with a timeline per request (issue #19, overload).

    python -m uvicorn bench.scale.timed_asgi:app ...   (cwd: the checkout; PYTHONPATH=src:bench/scale)

Every response carries, as headers, CLOCK_MONOTONIC stamps (``time.monotonic()``, the same clock as
the load generator's ``time.perf_counter()`` on Linux, so the two processes' stamps compare):
``x-t-parse`` when uvicorn's parser began the request (the event loop read its bytes),
``x-t-app`` when the ASGI app (outermost: before admission control) was called, ``x-t-start`` when the
response started. ``bench/loadgen.py --timeline`` reads them. Not for production: it patches uvicorn.
"""

from __future__ import annotations

import time
from typing import Any

from uvicorn.protocols.http import httptools_impl

from finguard.app.asgi import app as inner

_begin = httptools_impl.HttpToolsProtocol.on_message_begin


def _on_message_begin(self: Any) -> None:
    _begin(self)
    self.scope["bench_t_parse"] = time.monotonic()


httptools_impl.HttpToolsProtocol.on_message_begin = _on_message_begin  # type: ignore[method-assign]


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        await inner(scope, receive, send)
        return
    t_app = time.monotonic()
    t_parse = scope.get("bench_t_parse", 0.0)

    async def timed_send(message: Any) -> None:
        if message["type"] == "http.response.start":
            stamps = [
                (b"x-t-parse", f"{t_parse:.6f}".encode()),
                (b"x-t-app", f"{t_app:.6f}".encode()),
                (b"x-t-start", f"{time.monotonic():.6f}".encode()),
            ]
            message = {**message, "headers": [*message.get("headers", []), *stamps]}
        await send(message)

    await inner(scope, receive, timed_send)
