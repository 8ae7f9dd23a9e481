"""Open-loop HTTP load generator on raw asyncio sockets (run as its own process).

``single``: requests are *scheduled* at a constant rate (``--rate`` per second) and latency is
measured from the scheduled time, so a slow server cannot slow the generator down and hide its
own queueing (no coordinated omission). Requests go over a pool of keep-alive connections.
``batch``: back-to-back batch requests on one connection; reports items per second.
Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import resource
import time
from typing import Any


class Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Conn:
        reader, writer = await asyncio.open_connection(host, port, limit=2**24)
        return cls(reader, writer)

    async def post(self, host: str, path: str, body: bytes, key: str, stamps: list[float] | None = None) -> tuple[int, bytes]:
        """``stamps``: appended with the time the request was written, then the server's x-t-* headers
        (bench/scale/timed_asgi.py), in the order they came."""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"X-API-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.writer.write(head + body)
        await self.writer.drain()
        if stamps is not None:
            stamps.append(time.perf_counter())
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif stamps is not None and name.startswith(b"x-t-"):
                stamps.append(float(value))
        payload = await self.reader.readexactly(length)
        return status, payload


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def summary(
    total: int,
    errors: int,
    elapsed: float,
    latencies: list[float],
    admitted: list[float],
    refused: list[float],
    cpu_s: float,
    error_kinds: dict[str, int] | None = None,
    error_samples: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The figures both engines report (latencies in seconds from each request's scheduled time)."""
    ms = [x * 1000 for x in latencies]
    return {
        "requests": total,
        "errors": errors,
        # what the errors were: "status N" (an answer neither 200 nor 503), "lost in flight: ..." (the
        # connection closed with a request on it), "exception: ..." (streams engine)
        "error_kinds": dict(sorted((error_kinds or {}).items())),
        "error_samples": (error_samples or [])[:20],
        "seconds": round(elapsed, 2),
        "achieved_rate": round(len(ms) / elapsed, 1),
        "p50_ms": round(pct(ms, 50), 3),
        "p90_ms": round(pct(ms, 90), 3),
        "p99_ms": round(pct(ms, 99), 3),
        "max_ms": round(max(ms), 3) if ms else None,
        # Under overload: the requests served (200) and the ones refused at once (503), apart.
        "ok": len(admitted),
        "ok_per_second": round(len(admitted) / elapsed, 1),
        "ok_p50_ms": round(pct([x * 1000 for x in admitted], 50), 3),
        "ok_p99_ms": round(pct([x * 1000 for x in admitted], 99), 3),
        "refused_503": len(refused),
        "refused_p50_ms": round(pct([x * 1000 for x in refused], 50), 3),
        "refused_p99_ms": round(pct([x * 1000 for x in refused], 99), 3),
        # the generator's own CPU (it shares the machine with the server)
        "loadgen_cpu_s": round(cpu_s, 2),
    }


async def single(args: argparse.Namespace) -> dict[str, Any]:
    bodies = [json.dumps(b).encode() for b in json.loads(open(args.bodies).read())]
    idle: asyncio.Queue[Conn] = asyncio.Queue()
    for _ in range(args.connections):
        idle.put_nowait(await Conn.open(args.host, args.port))
    # warm-up (not recorded)
    for i in range(min(200, len(bodies))):
        c = await idle.get()
        await c.post(args.host, args.path, bodies[i], args.key)
        idle.put_nowait(c)
    latencies: list[float] = []
    timeline: list[tuple[float, float, int]] = []  # (scheduled offset s, latency ms, status) for --dump
    admitted: list[float] = []
    refused: list[float] = []
    errors = 0
    kinds: collections.Counter[str] = collections.Counter()
    total = int(args.rate * args.seconds)
    # --timeline: per request, offsets from its scheduled time (ms): connection free, written, then the
    # server's stamps (parsed, app called, response started), answer read; and the status.
    stamped: list[list[float]] = []

    async def one(i: int, scheduled: float) -> None:
        nonlocal errors
        started = time.perf_counter()
        c = await idle.get()
        stamps: list[float] | None = [started, time.perf_counter()] if args.timeline else None
        try:
            status, _ = await c.post(args.host, args.path, bodies[i % len(bodies)], args.key, stamps)
        except Exception as e:
            errors += 1
            kinds[f"exception: {type(e).__name__}"] += 1
            c = await Conn.open(args.host, args.port)
        else:
            took = time.perf_counter() - scheduled
            if status == 200:
                admitted.append(took)
            elif status == 503:
                refused.append(took)
            else:
                errors += 1
                kinds[f"status {status}"] += 1
            latencies.append(took)
            if stamps is not None:
                ms = [round((t - scheduled) * 1000, 3) for t in stamps]
                stamped.append([round(scheduled - start, 4), *ms, round(took * 1000, 3), status])
            timeline.append((round(scheduled - start, 4), round(took * 1000, 3), status))
        idle.put_nowait(c)

    tasks = []
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter() + 0.05
    start_wall = time.time() + 0.05
    for i in range(total):
        scheduled = start + i / args.rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    if args.timeline:
        cols = ["scheduled_s", "task_ms", "conn_ms", "written_ms", "parse_ms", "app_ms", "start_ms", "latency_ms", "status"]
        with open(args.timeline, "w") as f:
            json.dump({"columns": cols, "rows": sorted(stamped)}, f)
    if args.dump:
        with open(args.dump, "w") as f:
            json.dump({"start_wall": start_wall, "rows": sorted(timeline)}, f)
    cpu_s = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    return summary(total, errors, elapsed, latencies, admitted, refused, cpu_s, dict(kinds))


class _Wire(asyncio.Protocol):
    """One keep-alive connection of the ``protocol`` engine: writes a request, parses its answer from
    the bytes as they arrive (status line, Content-Length, body), no task or stream per request."""

    def __init__(self, done: Any) -> None:
        self.done = done  # called with (self, status) once an answer is complete
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.scheduled = 0.0  # the scheduled time of the request in flight on this connection
        self.answered = time.perf_counter()  # when its last answer was read (or it was opened)
        self.sent = 0.0  # when the request in flight was written
        self.requests = 0  # requests written on this connection
        self.lost: Exception | None = None  # why it closed, if it did

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports are not asyncio.Transport subclasses

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc
        self.buf = b""
        self.done(self, -1 if self.scheduled else -2)  # -1: lost with a request in flight, -2: while idle

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].lower() + b"\r\n"
            at = head.find(b"\r\ncontent-length:")
            length = int(head[at + 17 : head.find(b"\r\n", at + 2)]) if at >= 0 else 0
            total = end + 4 + length
            if len(self.buf) < total:
                return
            status = int(self.buf[9:12])
            self.buf = self.buf[total:]
            self.done(self, status)
            self.answered = time.perf_counter()


async def single_protocol(args: argparse.Namespace) -> dict[str, Any]:
    """``--engine protocol``: the same open-loop schedule and figures as :func:`single` (latency from
    each request's scheduled time, including any wait for a free connection), on asyncio protocols
    instead of streams and tasks: about two thirds of the generator's CPU per request (measured at
    3,000/s: 42 against 64 us), which on a shared machine is CPU the server under test gets back.
    Requests fall due on a 1 ms tick (uvloop's timer resolution), so a request may be written up to
    1 ms after its scheduled time; that wait is counted in its latency. No ``--timeline``."""
    loop = asyncio.get_running_loop()
    clock = time.perf_counter  # uvloop's loop.time() moves in whole milliseconds
    heads = [
        (
            f"POST {args.path} HTTP/1.1\r\nHost: {args.host}\r\nContent-Type: application/json\r\n"
            f"X-API-Key: {args.key}\r\nContent-Length: {len(b)}\r\n\r\n"
        ).encode()
        + b
        for b in (json.dumps(x).encode() for x in json.loads(open(args.bodies).read()))
    ]
    total = int(args.rate * args.seconds)
    waiting: collections.deque[tuple[int, float]] = collections.deque()  # due, no free connection yet
    idle: list[_Wire] = []
    replacing: set[asyncio.Task[None]] = set()  # connections being reopened (a reference keeps each task alive)
    admitted: list[float] = []
    refused: list[float] = []
    latencies: list[float] = []
    timeline: list[tuple[float, float, int]] = []
    state = {"errors": 0, "answered": 0, "start": 0.0, "record": False}
    kinds: collections.Counter[str] = collections.Counter()
    samples: list[dict[str, Any]] = []
    finished = loop.create_future()

    def send(w: _Wire, i: int, scheduled: float) -> None:
        w.scheduled = scheduled
        w.sent = clock()
        w.requests += 1
        assert w.transport is not None
        w.transport.write(heads[i % len(heads)])

    def done(w: _Wire, status: int) -> None:
        if status == -2:  # closed while idle: replace it
            if w in idle:
                idle.remove(w)
            replacing.add(loop.create_task(replace()))
            return
        scheduled, w.scheduled = w.scheduled, 0.0
        took = clock() - scheduled
        if state["record"]:
            state["answered"] += 1
            if status == 200:
                admitted.append(took)
            elif status == 503:
                refused.append(took)
            else:
                state["errors"] += 1
                kind = (
                    f"status {status}" if status > 0 else f"lost in flight: {type(w.lost).__name__ if w.lost else 'closed by the server'}"
                )
                kinds[kind] += 1
                if len(samples) < 20:
                    now = clock()
                    samples.append({
                        "kind": kind, "at_s": round(scheduled - state["start"], 3), "latency_ms": round(took * 1000, 1),
                        "written_ms_before": round((now - w.sent) * 1000, 1),
                        "connection_idle_ms_before_write": round((w.sent - w.answered) * 1000, 1),
                        "connection_requests": w.requests,
                    })  # fmt: skip
            if status > 0:
                latencies.append(took)
                timeline.append((round(scheduled - state["start"], 4), round(took * 1000, 3), status))
            if state["answered"] >= total and not finished.done():
                finished.set_result(None)
        if status < 0:
            replacing.add(loop.create_task(replace()))
            return
        if waiting:
            send(w, *waiting.popleft())
        else:
            idle.append(w)

    async def replace() -> None:
        _, w = await loop.create_connection(lambda: _Wire(done), args.host, args.port)
        if waiting:
            send(w, *waiting.popleft())  # type: ignore[arg-type]
        else:
            idle.append(w)  # type: ignore[arg-type]

    for _ in range(args.connections):
        _, w = await loop.create_connection(lambda: _Wire(done), args.host, args.port)
        idle.append(w)  # type: ignore[arg-type]
    # warm-up (not recorded): 200 requests, one per free connection, until all are answered
    for i in range(min(200, len(heads))):
        while not idle:
            await asyncio.sleep(0.001)
        send(idle.pop(), i, clock())
    while len(idle) < args.connections:
        await asyncio.sleep(0.001)
    state["record"] = True
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start = clock() + 0.05
    state["start"] = start
    start_wall = time.time() + 0.05
    step = 1.0 / args.rate
    nxt = 0

    def tick() -> None:
        # every millisecond (the loop's timer resolution), send what has fallen due since the last tick
        nonlocal nxt
        now = clock()
        while nxt < total and start + nxt * step <= now:
            scheduled = start + nxt * step
            if idle:
                send(idle.pop(), nxt, scheduled)
            else:
                waiting.append((nxt, scheduled))
            nxt += 1
        if nxt < total:
            # (a shorter delay rounds to 0 in uvloop and spins the loop until the next request is due)
            loop.call_later(0.001, tick)

    loop.call_later(0.05, tick)
    await finished
    elapsed = clock() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    if args.dump:
        with open(args.dump, "w") as f:
            json.dump({"start_wall": start_wall, "rows": sorted(timeline)}, f)
    cpu_s = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    return {"engine": "protocol", **summary(total, state["errors"], elapsed, latencies, admitted, refused, cpu_s, dict(kinds), samples)}


async def batch(args: argparse.Namespace) -> dict[str, Any]:
    body = json.dumps(json.loads(open(args.bodies).read())).encode()
    items = len(json.loads(body)["items"])
    c = await Conn.open(args.host, args.port)
    status, _ = await c.post(args.host, args.path, body, args.key)  # warm-up
    if status != 200:
        return {"error": f"status {status}"}
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < args.seconds or len(times) < 3:
        t = time.perf_counter()
        status, payload = await c.post(args.host, args.path, body, args.key)
        if status != 200:
            return {"error": f"status {status}: {payload[:200]!r}"}
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - start
    return {
        "requests": len(times),
        "items_per_request": items,
        "seconds": round(total, 2),
        "items_per_second": round(items * len(times) / total),
        "request_ms_p50": round(pct([x * 1000 for x in times], 50), 1),
        "response_bytes": len(payload),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["single", "batch"])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--bodies", required=True, help="JSON file: a list of bodies (single) or one body (batch)")
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument(
        "--engine", choices=["streams", "protocol"], default="streams",
        help="single: streams (a task and a stream reader per request; --timeline) or protocol (about 2/3 of the CPU)",
    )  # fmt: skip
    ap.add_argument("--dump", default="", help="single: write every request's (scheduled offset s, latency ms, status) here")
    ap.add_argument("--timeline", default="", help="single: write each request's timeline here (server stamps: bench/scale/timed_asgi.py)")
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    if args.mode == "single" and args.engine == "protocol" and args.timeline:
        ap.error("--timeline needs --engine streams")
    run = (single_protocol if args.engine == "protocol" else single) if args.mode == "single" else batch
    result = asyncio.run(run(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
