"""A bare ASGI app for ``bench/scale/throughput.py --app bare_asgi:app`` (#19): it reads the body and
answers a fixed JSON of the payee check's size, so the server CPU it costs per request is uvicorn's,
the event loop's and the socket's alone, the floor under the payee check's figure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

BODY = (
    b'{"outcome":"pass","risk_level":null,"hits":[],"checked":["account"],"list_seq":1000000,'
    b'"fresh":true,"request_id":"0123456789abcdef"}'
)
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]], send: Callable[[Any], Awaitable[None]]) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
