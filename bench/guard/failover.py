"""The guard's consumer group (``finguard guard consume --group``, #19): takeover time after a
kill -9, and the steady-state cost of the leases.

    PYTHONPATH=src .venv/bin/python bench/guard/failover.py --ttls 2,5,10 --rounds 5 --cost-seconds 30

**Takeover.** Two consumer processes (``tests/group_worker.py``: a guard on a SQLite file, velocity
in Redis) share P = 4 partitions with leases of TTL seconds. In each round one of them is killed
with SIGKILL and the clock runs until the survivor owns all four (its health, written every
50 ms, polled every 20 ms); the killed one is then started again and the round ends when both
own two. Expected: the victim's last renewal was 0 .. TTL/4 before the kill, its leases expire
TTL after it (plus the server's expiry timer), and the survivor sees them free at its next
renewal (0 .. TTL/4 later): so between 3/4 TTL and 5/4 TTL, plus the lag.

**Cost.** With no events, 30 s of each mode alternated (3 pairs): N = 2 consumers in group
mode (P = 4 and P = 16, TTL 10 s) against the same consumers in explicit mode (``--partition``,
no leases): requests to the lease bucket per second per consumer (counted by the consumer), and
CPU seconds per second of each consumer process and of the NATS server (from /proc).

Writes ``bench/results/issue19_guard_failover.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from finguard.core.db import make_engine, upgrade  # noqa: E402
from finguard.guard.service.leases import bucket_name  # noqa: E402
from finguard.guard.service.stream import StreamSettings, with_names  # noqa: E402
from tests.guard_helpers import T0  # noqa: E402

NATS_URL = os.environ.get("FINGUARD_BENCH_NATS_URL", "nats://127.0.0.1:4222")
REDIS_URL = os.environ.get("FINGUARD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def nats_pid() -> int | None:
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if (d / "comm").read_text().strip() == "nats-server":
                    return int(d.name)
            except OSError:
                continue
    return None


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Worker:
    def __init__(self, tmp: Path, name: str, db_url: str, prefix: str, settings: StreamSettings) -> None:
        self.state = tmp / f"{name}-{uuid.uuid4().hex[:6]}.json"
        spec = {"db_url": db_url, "redis_url": REDIS_URL, "redis_prefix": prefix, "now": T0.isoformat(), "settings": asdict(settings)}
        env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.group_worker", str(self.state)],
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
            env=env,
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(spec).encode())
        self.proc.stdin.close()

    def health(self) -> dict[str, Any]:
        try:
            body: dict[str, Any] = json.loads(self.state.read_text())
            return body
        except (OSError, ValueError):
            return {"owned": [], "lease_ops": 0, "cpu": 0.0, "healthy": False}

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(check: Any, timeout: float, poll: float = 0.02) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise TimeoutError
        time.sleep(poll)
    return time.monotonic() - start


async def _drop(settings: StreamSettings) -> None:
    import nats

    nc = await nats.connect(settings.url)
    try:
        j = nc.jetstream()
        for name in (settings.events_stream, settings.decisions_stream, f"KV_{bucket_name(settings.durable, settings.partitions)}"):
            try:
                await j.delete_stream(name)
            except Exception:
                pass
    finally:
        await nc.close()


def takeover(db_url: str, tmp: Path, ttl: float, rounds: int) -> dict[str, Any]:
    settings = with_names(
        StreamSettings(url=NATS_URL, partitions=4, group=True, lease_ttl=ttl, fetch_timeout=min(1.0, ttl / 4)), uuid.uuid4().hex[:10]
    )
    prefix = f"fgbench:{uuid.uuid4().hex[:8]}:"
    workers = [Worker(tmp, "a", db_url, prefix, settings), Worker(tmp, "b", db_url, prefix, settings)]
    times: list[float] = []
    loads: list[str] = []
    try:
        wait_for(lambda: sorted(len(w.health()["owned"]) for w in workers) == [2, 2], 60)
        for r in range(rounds):
            victim = workers[r % 2]
            survivor = workers[1 - r % 2]
            time.sleep(ttl / 4 * ((r * 0.37) % 1))  # kills spread over the renewal cycle
            start = time.monotonic()
            victim.kill()
            wait_for(lambda s=survivor: len(s.health()["owned"]) == 4, 10 * ttl)
            times.append(round(time.monotonic() - start, 3))
            loads.append(load())
            workers[r % 2] = Worker(tmp, f"r{r}", db_url, prefix, settings)
            wait_for(lambda: sorted(len(w.health()["owned"]) for w in workers) == [2, 2], 60)
    finally:
        for w in workers:
            w.stop()
        asyncio.run(_drop(settings))
    return {
        "ttl_s": ttl,
        "rounds": rounds,
        "takeover_s": times,
        "min": min(times),
        "median": statistics.median(times),
        "max": max(times),
        "over_ttl_max": round(max(times) / ttl, 2),
        "load": loads,
    }


def cost(db_url: str, tmp: Path, partitions: int, group: bool, seconds: float) -> dict[str, Any]:
    base = StreamSettings(url=NATS_URL, partitions=partitions, lease_ttl=10.0)
    settings = with_names(base, uuid.uuid4().hex[:10])
    prefix = f"fgbench:{uuid.uuid4().hex[:8]}:"
    if group:
        specs = [replace(settings, group=True)] * 2
    else:
        half = partitions // 2
        specs = [
            replace(settings, partition=0, also=tuple(range(1, half))),
            replace(settings, partition=half, also=tuple(range(half + 1, partitions))),
        ]
    workers = [Worker(tmp, f"c{i}", db_url, prefix, s) for i, s in enumerate(specs)]
    npid = nats_pid()
    try:
        if group:
            wait_for(lambda: sorted(len(w.health()["owned"]) for w in workers) == [partitions // 2] * 2, 60)
        else:
            wait_for(lambda: all(w.health()["healthy"] for w in workers), 60)
        time.sleep(2.0)
        before = [w.health() for w in workers]
        nats_before = proc_cpu(npid) if npid else 0.0
        t0 = time.monotonic()
        time.sleep(seconds)
        after = [w.health() for w in workers]
        elapsed = time.monotonic() - t0
        nats_after = proc_cpu(npid) if npid else 0.0
    finally:
        for w in workers:
            w.stop()
        asyncio.run(_drop(settings))
    return {
        "mode": "group" if group else "explicit",
        "partitions": partitions,
        "seconds": round(elapsed, 2),
        "lease_requests_per_s_per_consumer": [
            round((a["lease_ops"] - b["lease_ops"]) / elapsed, 2) for a, b in zip(after, before, strict=True)
        ],
        "consumer_cpu_ms_per_s": [round(1000 * (a["cpu"] - b["cpu"]) / elapsed, 2) for a, b in zip(after, before, strict=True)],
        "nats_cpu_ms_per_s": round(1000 * (nats_after - nats_before) / elapsed, 2) if npid else None,
        "load": load(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ttls", default="2,5,10")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cost-seconds", type=float, default=30.0)
    ap.add_argument("--cost-pairs", type=int, default=3)
    ap.add_argument("--skip-cost", action="store_true")
    ap.add_argument("--skip-takeover", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    out: dict[str, Any] = {"started_load": load(), "takeover": [], "cost": []}
    if not args.skip_takeover:
        for ttl in [float(t) for t in args.ttls.split(",")]:
            result = takeover(db_url, tmp, ttl, args.rounds)
            print(json.dumps(result), flush=True)
            out["takeover"].append(result)
    if not args.skip_cost:
        for _ in range(args.cost_pairs):
            for partitions in (4, 16):
                for group in (False, True):
                    result = cost(db_url, tmp, partitions, group, args.cost_seconds)
                    print(json.dumps(result), flush=True)
                    out["cost"].append(result)
    path = REPO / "bench" / "results" / "issue19_guard_failover.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
