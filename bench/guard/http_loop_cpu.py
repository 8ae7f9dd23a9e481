"""Issue #19: the event loop's CPU per guard request, in process, without a network or a server.

    PYTHONPATH=src:/tmp/faker_env python bench/guard/http_loop_cpu.py --requests 2000 [--profile out.pstats]

The bench's set-up (``run.setup``: demo lists, 50 rules, controls for 500 customers, realistic
payees) on a fresh SQLite file, the app of ``finguard.app.http.create_app`` started through its
lifespan, then ``POST /api/v1/guard/events`` requests sent one after the other straight into the
ASGI app (what uvicorn would hand it: the same scope, headers, one body message); ``--mix bank``: a
bank's traffic (``mix.py``) instead of ``run.py``'s events. The app's guard has a model only with
``FINGUARD_GUARD_MODEL_PATH`` in the environment. Each request's
decision is made by the guard's batcher thread as in a server; what is timed is the **event
loop's thread** (``time.thread_time``): middleware, routing, the key check and its audit record,
reading and parsing the body, the hand-off to the batcher and back, encoding the answer (``process_cpu_us_per_request``: every
thread's, the batcher's decisions too; ``--concurrency N``: N requests at once). uvicorn's
own parsing and the socket are not in it. ``--warmup`` requests first, not timed. ``--profile``:
cProfile of the loop's thread over the timed requests. ``--responses FILE``: every answer (status,
headers, body), to compare two checkouts' answers. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench
from mix import Events, add_mix_args


async def drive(
    app: Any, bodies: list[bytes], key: str, warmup: int, profile: str, responses: list[Any] | None = None, concurrency: int = 1
) -> dict[str, Any]:
    sent: list[dict[str, Any]] = []
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    state: dict[str, Any] = {}

    async def lifespan_receive() -> dict[str, Any]:
        return await inbox.get()

    async def lifespan_send(message: dict[str, Any]) -> None:
        sent.append(message)

    life = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": state}, lifespan_receive, lifespan_send))
    await inbox.put({"type": "lifespan.startup"})
    while not any(m["type"].startswith("lifespan.startup.") for m in sent):
        await asyncio.sleep(0.01)
    statuses: dict[int, int] = {}

    async def one(body: bytes) -> None:
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
                (b"content-type", b"application/json"),
                (b"x-api-key", key.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
            "state": dict(state),
        }
        done = False
        answer: dict[str, Any] = {"body": b""}

        async def receive() -> dict[str, Any]:
            nonlocal done
            if done:
                await asyncio.sleep(3600)
            done = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1
                answer["status"] = message["status"]
                answer["headers"] = sorted((k.decode(), v.decode()) for k, v in message.get("headers", ()))
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await app(scope, receive, send)
        if responses is not None:
            responses.append({**answer, "body": answer["body"].decode()})

    for body in bodies[:warmup]:
        await one(body)
    statuses.clear()
    prof = cProfile.Profile(time.thread_time) if profile else None
    cpu, wall, process = time.thread_time(), time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    timed = bodies[warmup:]
    for start in range(0, len(timed), concurrency):
        if concurrency == 1:
            await one(timed[start])
        else:  # this many requests at once, as a server's loop would have them in flight together
            await asyncio.gather(*(one(b) for b in timed[start : start + concurrency]))
    if prof:
        prof.disable()
        prof.dump_stats(profile)
    cpu, wall, process = time.thread_time() - cpu, time.perf_counter() - wall, time.process_time() - process
    n = len(bodies) - warmup
    await inbox.put({"type": "lifespan.shutdown"})
    await life
    return {
        "requests": n,
        "statuses": statuses,
        "loop_cpu_us_per_request": round(cpu / n * 1e6, 1),
        "process_cpu_us_per_request": round(process / n * 1e6, 1),  # every thread's: the batcher's too
        "wall_ms_per_request": round(wall / n * 1000, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--profile", default="")
    ap.add_argument("--concurrency", type=int, default=1, help="requests sent at once (each group awaited before the next)")
    ap.add_argument("--responses", default="", help="write every response (status, headers, body) to this JSON file")
    ap.add_argument(
        "--stub", action="store_true", help="answer every event with one decision made before, at once (no batcher): the app's own CPU"
    )
    bench.add_payee_args(ap)
    add_mix_args(ap)
    args = ap.parse_args()
    import finguard
    from finguard.app.http import create_app

    payees = bench.use_payees(args)
    bench.WORK.mkdir(parents=True, exist_ok=True)
    db = bench.WORK / "guard-loop-cpu.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    platform, _guard = bench.setup(f"sqlite:///{db}", args.sanctions)
    _, key = platform.keys.create("bench-loop", "analyst", actor="bench")
    rng = random.Random(21)
    now = datetime.now(UTC)
    if args.mix == "bank":  # a bank's traffic (mix.py), its regular payees paid before through the app's guard
        events = Events(args.mix, args.risky, now, rng, args.warmup + args.requests)
        events.history(platform.guard)
        bodies = [json.dumps(events.body(i)).encode() for i in range(args.warmup + args.requests)]
    else:
        bodies = [json.dumps(bench.event_body(i, now, rng)).encode() for i in range(args.warmup + args.requests)]
    app = create_app(platform)
    if args.stub:  # every request answered with one decision, made once before: no batcher, no waiting
        from finguard.guard.model.events import parse_event

        decision = platform.guard.decide(parse_event(json.loads(bodies[0]), None))
        batcher = platform.guard.batcher

        def answer(event: Any, loop: Any = None) -> Any:
            future = (loop or asyncio.get_running_loop()).create_future()
            future.set_result(decision)
            return future

        for name in ("submit_async", "submit"):
            if hasattr(batcher, name):
                setattr(batcher, name, answer)
        if not hasattr(batcher, "submit_async"):  # an older checkout: post_event wraps submit's future
            asyncio.wrap_future = lambda f, **kw: f  # type: ignore[assignment]
    responses: list[Any] | None = [] if args.responses else None
    res = asyncio.run(drive(app, bodies, key, args.warmup, args.profile, responses, args.concurrency))
    if responses is not None:
        Path(args.responses).write_text(json.dumps(responses))
    res.update(finguard=str(Path(finguard.__file__).parents[1]), load=bench.load(), **payees)
    print(json.dumps(res))
    platform.close()


if __name__ == "__main__":
    main()
