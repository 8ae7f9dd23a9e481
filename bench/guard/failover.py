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

**Under load** (``--load-ttls 2,5,10``): 100 events/s for 30 s over 16 customers, the consumer
owning partition 0 killed a third of the way in; per partition, the longest time between two
published decisions, and whether every event was decided exactly once (decisions published =
stored = events). Writes ``bench/results/issue19_guard_failover_load.json``.

Writes ``bench/results/issue19_guard_failover.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from procstat import server_cpu as proc_cpu  # noqa: E402  (bench/procstat.py)

from finguard.core.db import make_engine, upgrade  # noqa: E402
from finguard.guard.service.leases import bucket_name  # noqa: E402
from finguard.guard.service.stream import StreamSettings, with_names  # noqa: E402
from tests.group_worker import Worker  # noqa: E402
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


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def spawn(tmp: Path, name: str, db_url: str, prefix: str, settings: StreamSettings) -> Worker:
    """A consumer process in group mode (``tests.group_worker``) on the shared Redis."""
    return Worker(tmp, name, db_url, REDIS_URL, prefix, T0, settings, quiet=True)


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
    workers = [spawn(tmp, "a", db_url, prefix, settings), spawn(tmp, "b", db_url, prefix, settings)]
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
            workers[r % 2] = spawn(tmp, f"r{r}", db_url, prefix, settings)
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


def _decisions(settings: StreamSettings) -> list[tuple[float, str]]:
    """(server time, customer) of every message of the decisions stream, in order."""

    async def read() -> list[tuple[float, str]]:
        import nats

        nc = await nats.connect(settings.url)
        try:
            j = nc.jetstream()
            info = await j.stream_info(settings.decisions_stream)
            out = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                m = await j.get_msg(settings.decisions_stream, seq)
                assert m.time is not None and m.data is not None
                out.append((m.time.timestamp(), json.loads(m.data)["customer_id"]))
            return out
        finally:
            await nc.close()

    return asyncio.run(read())


def under_load(db_url: str, tmp: Path, ttl: float, rate: int, seconds: float) -> dict[str, Any]:
    """Events published at ``rate``/s for ``seconds`` over 16 customers; a third of the way in, the
    consumer owning partition 0 is killed. Per partition: the longest time between two decisions
    published (the victim's partitions: the outage its customers saw), and exactly-once."""
    from finguard.guard.service.stream import partition_of, publish_events
    from tests.guard_helpers import transfer

    settings = with_names(
        StreamSettings(url=NATS_URL, partitions=4, group=True, lease_ttl=ttl, fetch_timeout=min(1.0, ttl / 4), batch=50),
        uuid.uuid4().hex[:10],
    )
    prefix = f"fgbench:{uuid.uuid4().hex[:8]}:"
    customers = [f"lc{i}" for i in range(16)]
    part = {c: partition_of(c, 4) for c in customers}
    workers = [spawn(tmp, "la", db_url, prefix, settings), spawn(tmp, "lb", db_url, prefix, settings)]
    published = 0
    try:
        wait_for(lambda: sorted(len(w.health()["owned"]) for w in workers) == [2, 2], 60)
        victim = next(w for w in workers if 0 in w.health()["owned"])
        survivor = next(w for w in workers if w is not victim)
        theirs = sorted(victim.health()["owned"])
        killed_at = 0.0

        async def publish() -> int:
            nonlocal killed_at
            sent, start, tick = 0, time.monotonic(), 0
            while time.monotonic() - start < seconds:
                batch = []
                for _ in range(max(1, rate // 10)):
                    c = customers[sent % len(customers)]
                    i = sent // len(customers)
                    batch.append(transfer(f"{c}-{i}", at=T0, customer_id=c, account=f"6222{customers.index(c):012d}", amount="1.00"))
                    sent += 1
                await publish_events(batch, settings)
                tick += 1
                if not killed_at and time.monotonic() - start >= seconds / 3:
                    victim.kill()
                    killed_at = time.time()
                await asyncio.sleep(max(0.0, start + tick * 0.1 - time.monotonic()))
            return sent

        published = asyncio.run(publish())
        wait_for(lambda: _count(settings) >= published, 180, poll=0.5)
        rewound = survivor.health().get("rewound", 0)
    finally:
        for w in workers:
            w.stop()
    decisions = _decisions(settings)
    engine = make_engine(db_url)
    from sqlalchemy import func, select

    from finguard.guard.store.tables import guard_decision

    with engine.connect() as conn:
        stored = int(
            conn.execute(select(func.count()).select_from(guard_decision).where(guard_decision.c.event_id.like("lc%"))).scalar_one()
        )
    engine.dispose()
    asyncio.run(_drop(settings))
    gaps: dict[int, float] = {}
    last: dict[int, float] = {}
    for at, customer in decisions:
        k = part[customer]
        if k in last:
            gaps[k] = max(gaps.get(k, 0.0), at - last[k])
        last[k] = at
    first_after = min((at for at, c in decisions if part[c] in theirs and at > killed_at), default=None)
    return {
        "ttl_s": ttl,
        "rate_per_s": rate,
        "published": published,
        "decisions_published": len(decisions),
        "decisions_stored": stored,
        "exactly_once": len(decisions) == published == stored,
        "victim_partitions": theirs,
        "first_decision_of_victims_partitions_after_kill_s": round(first_after - killed_at, 3) if first_after else None,
        "longest_gap_s_victim_partitions": round(max(gaps[k] for k in theirs), 3),
        "longest_gap_s_survivor_partitions": round(max(v for k, v in gaps.items() if k not in theirs), 3),
        "rewound_by_survivor": rewound,
        "load": load(),
    }


def _count(settings: StreamSettings) -> int:
    async def count() -> int:
        import nats

        nc = await nats.connect(settings.url)
        try:
            return int((await nc.jetstream().stream_info(settings.decisions_stream)).state.messages)
        finally:
            await nc.close()

    return asyncio.run(count())


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
    workers = [spawn(tmp, f"c{i}", db_url, prefix, s) for i, s in enumerate(specs)]
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
    ap.add_argument("--load-ttls", default="", help="also: a kill under a stream of events, per TTL (e.g. 5,10)")
    ap.add_argument("--load-rate", type=int, default=100)
    ap.add_argument("--load-seconds", type=float, default=30.0)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    out: dict[str, Any] = {"started_load": load(), "takeover": [], "cost": [], "under_load": []}
    for ttl in [float(t) for t in args.load_ttls.split(",") if t]:
        result = under_load(db_url, tmp, ttl, args.load_rate, args.load_seconds)
        print(json.dumps(result), flush=True)
        out["under_load"].append(result)
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
    path = REPO / "bench" / "results" / ("issue19_guard_failover.json" if not args.load_ttls else "issue19_guard_failover_load.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
