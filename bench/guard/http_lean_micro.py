"""Issue #19 (guardlean): the app's own CPU per guard request, in process, with no platform, no database
and no decision: a fake platform whose batcher answers at once with one fixed decision (bench only).

    PYTHONPATH=src python bench/guard/http_lean_micro.py [--requests 20000] [--rounds 5] [--profile out.pstats]

``create_app`` with a stand-in platform (a key cache with the real hashing, an audit log that keeps
nothing, a guard whose batcher hands back a finished future) and ``POST /api/v1/guard/events``
bodies of ``run.event_body``'s shape sent straight into the ASGI app, one after the other: what is
timed is the thread's CPU (``time.thread_time``) for the middleware, routing, key check, body read,
parsing, validation and encoding. Each round also times the parts alone (``parse_event``, the JSON
checks and parse, the answer's encoding). Prints one JSON line: the best and the median round,
microseconds a request. Compare two checkouts by alternating runs (``PYTHONPATH`` picks which).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any


def body(i: int, at: datetime, rng: random.Random) -> bytes:
    c = rng.randrange(500)
    return json.dumps(
        {
            "event_id": f"bench-{uuid.uuid4().hex}",
            "type": "transfer",
            "occurred_at": at.isoformat(),
            "customer_id": f"bc{c}",
            "channel": rng.choice(["mobile", "mobile", "web", "api"]),
            "account": f"6222{c:012d}",
            "amount": f"{rng.choice([50, 200, 800, 3000, 12000, 60000])}.{rng.randrange(100):02d}",
            "region": rng.choice(["CN-BJ", "CN-SH", "CN-GD", "HK"]),
            "device": f"dev-{rng.randrange(1000):06d}",
            "ip": f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(256)}",
            "payee": {"account": f"6228{rng.randrange(5000):012d}", "name": rng.choice(["Zhang San", "Li Si", "Wang Wu"])},
        }
    ).encode()


def fake_platform() -> tuple[Any, str, Any]:
    from finguard.access.model import Role
    from finguard.access.service.keys import ApiKey, KeyService, hash_key
    from finguard.core.settings import Settings
    from finguard.guard.model.decision import Decision, Outcome, Reason, ReasonKind

    now = datetime.now(UTC)
    secret = "fg_" + "x" * 43
    key = ApiKey("bench", Role("analyst"), secret[:8], now)
    keys = KeyService.__new__(KeyService)
    keys._cache = {hash_key(secret): (key, time.monotonic() + 1e9)}  # type: ignore[attr-defined]
    reasons = (Reason(ReasonKind.RULE, "r1", "a rule said so", None, 10.0, {"amount": "3000.00"}),)
    decision = Decision("d-1", "e-1", "bc1", "transfer", Outcome.ALLOW, 0.12, reasons, 3, 42, now, Outcome.ALLOW)

    def submit_async(event: Any, loop: Any) -> Any:
        f = loop.create_future()
        f.set_result(decision)
        return f

    guard = SimpleNamespace(clock=lambda: datetime.now(UTC), batcher=SimpleNamespace(submit_async=submit_async))
    platform = SimpleNamespace(
        settings=Settings(), keys=keys, audit=SimpleNamespace(record=lambda *a, **k: None), guard=guard, logs_behind=lambda: False
    )
    return platform, secret, decision


async def drive(app: Any, bodies: list[bytes], secret: str, statuses: dict[int, int]) -> None:
    for b in bodies:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 40000),
            "scheme": "http",
            "method": "POST",
            "root_path": "",
            "path": "/api/v1/guard/events",
            "raw_path": b"/api/v1/guard/events",
            "query_string": b"",
            "headers": [
                (b"host", b"127.0.0.1:8000"),
                (b"user-agent", b"loadgen"),
                (b"content-type", b"application/json"),
                (b"x-api-key", secret.encode()),
                (b"content-length", str(len(b)).encode()),
            ],
            "state": {},
        }
        sent = False

        async def receive(b: bytes = b) -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": b, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1

        await app(scope, receive, send)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--profile", default="")
    args = ap.parse_args()
    import finguard
    from finguard.app.http import create_app
    from finguard.core import jsonsafe
    from finguard.guard.http.schemas import adapt_decision
    from finguard.guard.model.events import parse_event

    platform, secret, decision = fake_platform()
    app = create_app(platform)
    app.state.platform = platform
    rng = random.Random(5)
    now = datetime.now(UTC)
    bodies = [body(i, now, rng) for i in range(args.requests)]
    statuses: dict[int, int] = {}
    asyncio.run(drive(app, bodies[:2000], secret, statuses))  # warm-up
    assert set(statuses) == {200}, statuses
    rounds: list[dict[str, float]] = []
    for _ in range(args.rounds):
        statuses.clear()
        prof = cProfile.Profile(time.thread_time) if args.profile else None
        t = time.thread_time()
        if prof:
            prof.enable()
        asyncio.run(drive(app, bodies, secret, statuses))
        if prof:
            prof.disable()
            prof.dump_stats(args.profile)
        app_us = (time.thread_time() - t) / len(bodies) * 1e6
        t = time.thread_time()
        for b in bodies:
            parse_event(jsonsafe.loads(b), now)
        parse_us = (time.thread_time() - t) / len(bodies) * 1e6
        t = time.thread_time()
        for b in bodies:
            jsonsafe.loads(b)
        json_us = (time.thread_time() - t) / len(bodies) * 1e6
        t = time.thread_time()
        for _b in bodies:
            adapt_decision(decision).model_dump_json()
        encode_us = (time.thread_time() - t) / len(bodies) * 1e6
        rounds.append({"app": app_us, "json_and_parse_event": parse_us, "json": json_us, "encode": encode_us})
    out: dict[str, Any] = {"requests": len(bodies), "rounds": args.rounds, "statuses": statuses}
    for k in rounds[0]:
        vals = [r[k] for r in rounds]
        out[f"{k}_us_min"] = round(min(vals), 1)
        out[f"{k}_us_median"] = round(statistics.median(vals), 1)
    with open("/proc/loadavg") as f:
        out["load"] = f.read().split()[:3]
    out["finguard"] = finguard.__file__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
