"""Issue #19: CPU per ``POST /api/v1/check`` through the whole ASGI app, in process (no socket).

    PYTHONPATH=src python bench/scale/check_asgi_cpu.py            # N=3000 checks x 3 rounds
    PYTHONPATH=/tmp/old-src/src python bench/scale/check_asgi_cpu.py  # another checkout, for an A/B

A fresh SQLite database with the demo lists, the app as ``create_app`` builds it (middleware,
admission control, the fast route when the checkout has one), an admin key; each request is
driven by calling the app with an ASGI scope, so only the app's own CPU is counted (not uvicorn's
parsing, nor the socket). Prints the process CPU per request of each round and the minimum.
Run the two checkouts alternately, at the same load, and compare the minima.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.settings import Settings


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(database_url=f"sqlite:///{tmp}/db.sqlite", demo_on_first_start=True, index_dir=tmp / "index")
    platform = Platform(settings)
    app = create_app(platform)
    secret = platform.keys.create("bench", "admin", actor="bench")[1]
    bodies = [json.dumps({"account": f"6222{n:015d}"}).encode() for n in range(200)] + [b'{"phone": "13800138000"}']

    async def call(body: bytes) -> tuple[int, bytes]:
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": "/api/v1/check", "raw_path": b"/api/v1/check", "root_path": "", "query_string": b"",
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), (b"x-api-key", secret.encode()),
                        (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {},
        }  # fmt: skip
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(10)
            return {"type": "http.disconnect"}

        out: dict[str, Any] = {"body": b""}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                out["status"] = message["status"]
            elif message["type"] == "http.response.body":
                out["body"] += message.get("body", b"")

        await app(scope, receive, send)
        return out["status"], out["body"]

    async def run() -> None:
        async with app.router.lifespan_context(app):
            for b in bodies[:50]:
                status, answer = await call(b)
            assert status == 200, answer
            n = int(os.environ.get("N", 3000))
            rounds = []
            for _ in range(3):
                cpu = time.process_time()
                for i in range(n):
                    await call(bodies[i % len(bodies)])
                rounds.append((time.process_time() - cpu) / n * 1e6)
            print("cpu µs/request:", [round(x, 1) for x in rounds], "min", round(min(rounds), 1), "load", os.getloadavg()[0])

    asyncio.run(run())
    platform.close()


if __name__ == "__main__":
    main()
