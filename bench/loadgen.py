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
        except Exception:
            errors += 1
            c = await Conn.open(args.host, args.port)
        else:
            took = time.perf_counter() - scheduled
            if status == 200:
                admitted.append(took)
            elif status == 503:
                refused.append(took)
            else:
                errors += 1
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
    ms = [x * 1000 for x in latencies]
    if args.timeline:
        cols = ["scheduled_s", "task_ms", "conn_ms", "written_ms", "parse_ms", "app_ms", "start_ms", "latency_ms", "status"]
        with open(args.timeline, "w") as f:
            json.dump({"columns": cols, "rows": sorted(stamped)}, f)
    if args.dump:
        with open(args.dump, "w") as f:
            json.dump({"start_wall": start_wall, "rows": sorted(timeline)}, f)
    return {
        "requests": total,
        "errors": errors,
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
        "loadgen_cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 2),
    }


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
    ap.add_argument("--dump", default="", help="single: write every request's (scheduled offset s, latency ms, status) here")
    ap.add_argument("--timeline", default="", help="single: write each request's timeline here (server stamps: bench/scale/timed_asgi.py)")
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(single(args) if args.mode == "single" else batch(args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
