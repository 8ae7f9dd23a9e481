"""Issue #4 benchmark: the transaction guard. One command; prints a Rich table, writes bench/results/issue4.json.

    .venv/bin/python bench/guard/run.py [--db sqlite|postgres] [--events 3000] [--http-rate 1000] [--http-seconds 5]

Set-up: the demo risk lists (list checks active), 50 rules (the starter pack + 41 generated),
the default velocity features, controls set for every bench customer, the shipped LightGBM
model. Figures:

* in-process decision latency p50 / p99 (``GuardService.decide_raw``, one thread), with the time
  split by part (store round trips, velocity, payee check, model, rules) to show what dominates;
* decisions per second through NATS JetStream end to end (publish N, consume until N decisions
  are in the decisions stream), on streams of its own deleted afterwards;
* HTTP decision latency at a fixed open-loop rate (``bench/loadgen.py`` in its own process,
  127.0.0.1 only, bounded in count and time);
* velocity state memory per active account (in-process: tracemalloc; Redis: MEMORY USAGE);
* rule evaluation time per rule (median over the 50 rules).

Payees (#19): ``--payees pool`` (the default) draws each transfer's payee from a seeded pool of
100,000 Faker names and accounts, most transfers going to a payee the customer paid before
(``payees.py``; ``--payee-pool``, ``--payee-repeat``, ``--payee-skew``); ``--payees fixed`` is the
earlier stream: 5,000 accounts named "Zhang San", "Li Si", "Wang Wu" or "Zhao Liu". The name
screener's cache hits and misses are reported beside every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
sys.path.append(str(BENCH))  # appended: bench/guard's own modules (run, payees) stay first
from procstat import server_command, server_cpu, server_pids  # noqa: E402  (bench/procstat.py)

WORK = BENCH / "work" / "guard"
RESULTS = BENCH / "results"
# Written by bench/guard/quality.py; none ships (#11). FINGUARD_BENCH_MODEL: another model file (A/B of two models).
MODEL = Path(os.environ.get("FINGUARD_BENCH_MODEL") or BENCH / "work" / "guard-quality" / "paysim" / "model.txt")
PG_URL = os.environ.get("FINGUARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NATS_URL = os.environ.get("FINGUARD_BENCH_NATS_URL", "nats://127.0.0.1:4222")
REDIS_URL = os.environ.get("FINGUARD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
console = Console()
CUSTOMERS = 500
PAYEES: Any = None  # a payees.PayeeStream (--payees pool), or None for the fixed four names


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


# -- the set-up ------------------------------------------------------------------------------------


def generated_rules() -> list[Any]:
    """41 rules over the event, velocity, payee and model, in the shapes operators write."""
    from finguard.guard.model.decision import Outcome
    from finguard.guard.model.events import EventType
    from finguard.guard.model.rules import Rule, RuleMode

    pay = (EventType.TRANSFER, EventType.REMITTANCE)
    rules = []
    for i in range(41):
        k = i % 7
        if k == 0:
            expr = f"event.amount >= {20000 + i * 1000} and vel.account_out_count_1h >= {2 + i % 4}"
        elif k == 1:
            expr = f"vel.account_out_sum_24h >= {100000 + i * 5000} and payee.is_first"
        elif k == 2:
            expr = f"event.channel in ['web', 'api'] and event.amount > {5000 + i * 100} and event.local_hour in [0, 1, 2, 3, 4]"
        elif k == 3:
            expr = f"vel.payee_senders_24h >= {3 + i % 5} or vel.device_customers_24h >= {4 + i % 3}"
        elif k == 4:
            expr = f"model.score is not None and model.score >= 0.{50 + i}"
        elif k == 5:
            expr = f"lower(event.payee.name) == 'mule {i}' or event.region not in ['CN', 'CN-BJ', 'CN-SH', 'CN-GD']"
        else:
            expr = f"vel.account_out_payees_24h >= {3 + i % 4} and event.amount >= {1000 + i * 10} and minutes_since(payee.first_seen) < 60"
        rules.append(
            Rule(
                f"gen.r{i:02d}",
                expr,
                f"generated rule {i}",
                score=10 + i % 30,
                outcome=Outcome.REVIEW if i % 10 == 0 else None,
                mode=RuleMode.SHADOW if i % 9 == 0 else RuleMode.ENFORCE,
                event_types=pay,
            )
        )
    return rules


def event_body(i: int, at: datetime, rng: random.Random) -> dict[str, Any]:
    c = rng.randrange(CUSTOMERS)
    return {
        "event_id": f"bench-{uuid.uuid4().hex}",
        "type": "transfer",
        "occurred_at": at.isoformat(),
        "customer_id": f"bc{c}",
        "channel": rng.choice(["mobile", "mobile", "web", "api"]),
        "account": f"6222{c:012d}",
        "amount": f"{rng.choice([50, 200, 800, 3000, 12000, 60000])}.{rng.randrange(100):02d}",
        "region": rng.choice(["CN-BJ", "CN-SH", "CN-GD", "HK"]),
        "device": f"dev-{rng.randrange(CUSTOMERS * 2):06d}",
        "ip": f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(256)}",
        "payee": (
            PAYEES.next(f"bc{c}")
            if PAYEES is not None
            else {"account": f"6228{rng.randrange(5000):012d}", "name": rng.choice(["Zhang San", "Li Si", "Wang Wu", "Zhao Liu"])}
        ),
    }


def add_payee_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--payees", choices=["pool", "fixed"], default="pool", help="payees.py's pool, or the earlier four names")
    ap.add_argument("--payee-pool", type=int, default=100_000)
    ap.add_argument("--payee-repeat", type=float, default=0.75)
    ap.add_argument("--payee-skew", type=float, default=0.8)
    ap.add_argument("--sanctions", action="store_true", help="load the shipped OFAC SDN and UN lists too")


def use_payees(args: argparse.Namespace) -> dict[str, Any]:
    """Set the payee stream of :func:`event_body` from the options; what it is, for the results."""
    global PAYEES
    if args.payees == "fixed":
        PAYEES = None
        return {"payees": "fixed: 5,000 accounts, 4 names"}
    import payees

    PAYEES = payees.PayeeStream(payees.make_pool(args.payee_pool), repeat=args.payee_repeat, skew=args.payee_skew)
    return {"payees": "pool", "pool": args.payee_pool, "repeat": args.payee_repeat, "skew": args.payee_skew}


def name_cache(platform: Any) -> dict[str, Any] | None:
    """The name screener's cache counters (None on code without the cache, for A/B runs)."""
    screener = platform.__dict__.get("screener")
    stats = getattr(screener, "match_cache_stats", None)
    return dict(stats()) if stats is not None else None


def cache_delta(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any] | None:
    """Hits and misses between two :func:`name_cache` readings, and the hit rate."""
    if before is None or after is None:
        return None
    hits, misses = after["hits"] - before["hits"], after["misses"] - before["misses"]
    return {"hits": hits, "misses": misses, "hit_rate": round(hits / max(hits + misses, 1), 4), "kept": after["kept"]}


def stream_stats() -> dict[str, Any] | None:
    return PAYEES.stats() if PAYEES is not None else None


def setup(url: str, sanctions: bool = False) -> Any:
    """A platform on a fresh database with lists, 50 rules and controls; returns (platform, guard).

    ``sanctions``: the shipped OFAC SDN and UN lists too (their names are what a payee's name is
    screened against in production; the demo lists alone have few names)."""
    from finguard.app.platform import Platform
    from finguard.core.settings import Settings
    from finguard.guard.model.controls import settings_from_dict
    from finguard.guard.provider import make_guard
    from finguard.guard.service.model import LightGBMScorer
    from finguard.guard.service.rule_pack import STARTER_PACK

    WORK.mkdir(parents=True, exist_ok=True)
    platform = Platform(Settings(database_url=url, demo_on_first_start=False, index_dir=WORK / "index"))
    platform.load_demo(sanctions=sanctions)
    guard = make_guard(
        platform.engine, platform.checker, clock=platform.guard.clock, model=LightGBMScorer(MODEL) if MODEL.is_file() else None
    )
    guard.rules.install([*STARTER_PACK, *generated_rules()], "bench")
    controls = settings_from_dict(
        {
            "night_lock": {"enabled": True, "start": "01:00", "end": "05:00", "mode": "cap", "cap": "5000"},
            "region_lock": {"enabled": True, "allowed": ["CN", "HK"]},
            "limits": {"channels": [{"channel": "mobile", "single": "50000", "daily": "200000"}]},
            "cooling_off": {"enabled": True, "hours": 24, "cap": "50000"},
        }
    )
    for c in range(CUSTOMERS):
        guard.controls.set(f"bc{c}", controls, actor="bench", channel="counter", at_branch=True)
    return platform, guard


def fresh_sqlite(name: str) -> str:
    """A new SQLite database ``name`` under :data:`WORK` (an old one and its WAL files removed): its URL."""
    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db}"


def fresh_setup(args: argparse.Namespace, name: str, sanctions: bool = False) -> Any:
    """The micro-benches' set-up: the payees of ``args`` (:func:`add_payee_args`), :func:`setup` on
    a new SQLite database ``name`` under :data:`WORK`; returns (platform, guard)."""
    use_payees(args)
    return setup(fresh_sqlite(name), sanctions)


def warm_up(guard: Any, n: int, now: datetime, rng: random.Random) -> None:
    """``n`` of :func:`event_body`'s events decided one each (untimed)."""
    for i in range(n):
        guard.decide_raw(event_body(i, now, rng))


# -- in-process latency ----------------------------------------------------------------------------


class Timers:
    """Wraps the guard's parts with timers, without changing what they do."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    def wrap(self, owner: Any, name: str, label: str) -> None:
        fn = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - t

        setattr(owner, name, timed)


def step_in_process(guard: Any, n: int) -> dict[str, Any]:
    import finguard.guard.service.engine as engine_module

    rng = random.Random(4)
    now = datetime.now(UTC)
    for i in range(300):  # warm-up: caches, compiled rules, connections
        guard.decide_raw(event_body(i, now, rng))
    bodies = [event_body(i, now, rng) for i in range(n)]
    latencies, moving = [], []
    for b in bodies:
        t = time.perf_counter()
        d = guard.decide_raw(b)
        latencies.append((time.perf_counter() - t) * 1000)
        if d.outcome.moves_money:  # the payment goes ahead (and is written to the fund-flow ledger)
            moving.append(latencies[-1])
    replay = []
    for b in bodies[:500]:
        t = time.perf_counter()
        guard.decide_raw(b)
        replay.append((time.perf_counter() - t) * 1000)

    timers = Timers()
    for name in ("find_decision", "record_decisions", "cached_conditions", "cached_controls", "conditions_for", "get_controls"):
        timers.wrap(guard.store, name, f"store.{name}")
    timers.wrap(guard.rules.store, "rules_version", "store.rules_version")
    timers.wrap(guard.velocity, "observe", "velocity.observe")
    # the engine counts a stored batch's allowed payments together (#19): timed under the old label
    timers.wrap(guard.velocity, "record_allowed_many", "velocity.record_allowed")
    timers.wrap(guard.checker, "check", "payee_check")
    # the engine asks a scorer to explain (#11); NoModel, the default without a trained file, has no score()
    timers.wrap(guard.model, "explain" if hasattr(guard.model, "explain") else "score", "model.score")
    timers.wrap(engine_module, "evaluate_rules", "rules.evaluate (50 rules)")
    m = min(n, 1000)
    more = [event_body(i, now, rng) for i in range(m)]
    t0 = time.perf_counter()
    for b in more:
        guard.decide_raw(b)
    total = time.perf_counter() - t0
    parts = {k: round(v / m * 1000, 3) for k, v in sorted(timers.spent.items(), key=lambda kv: -kv[1])}
    parts["other (parse, context, resolve, encode)"] = round((total - sum(timers.spent.values())) / m * 1000, 3)
    store_ms = sum(v for k, v in parts.items() if k.startswith("store."))
    return {
        "decisions": n,
        "p50_ms": round(pct(latencies, 50), 3),
        "p90_ms": round(pct(latencies, 90), 3),
        "p99_ms": round(pct(latencies, 99), 3),
        "moving_decisions": len(moving),
        "moving_p50_ms": round(pct(moving, 50), 3) if moving else None,
        "moving_p99_ms": round(pct(moving, 99), 3) if moving else None,
        "replay_p50_ms": round(pct(replay, 50), 3),
        "breakdown_ms_per_decision": parts,
        "store_share": round(store_ms / (total / m * 1000), 3),
        "load": load(),
    }


# -- rules -----------------------------------------------------------------------------------------


def step_rules(guard: Any) -> dict[str, Any]:
    from finguard.guard.model.context import rule_context
    from finguard.guard.model.events import parse_event
    from finguard.guard.model.rules import evaluate_rules

    rules = guard.rules.current().rules
    rng = random.Random(9)
    now = datetime.now(UTC)
    contexts = []
    for i in range(50):
        ev = parse_event(event_body(i, now, rng), None)
        feats = {s.name: rng.randrange(10) for s in guard.velocity.specs}
        contexts.append((ev, rule_context(ev, feats, now - timedelta(days=2), {"check": "pass"}, None, {"score": 0.3})))
    per_rule = []
    for cr in rules:
        reps = 200
        t = time.perf_counter()
        for _ in range(reps // len(contexts)):
            for ev, ctx in contexts:
                evaluate_rules([cr], ctx, ev.type)
        per_rule.append((time.perf_counter() - t) / reps * 1e6)
    return {
        "rules": len(rules),
        "median_us": round(statistics.median(per_rule), 2),
        "p90_us": round(pct(per_rule, 90), 2),
        "max_us": round(max(per_rule), 2),
        "all_50_us": round(sum(per_rule), 1),
    }


# -- velocity memory -------------------------------------------------------------------------------


def step_velocity_memory(accounts: int = 5000, events_each: int = 4) -> dict[str, Any]:
    from finguard.guard.model.events import parse_event
    from finguard.guard.service.velocity import MemoryBackend, Velocity
    from finguard.guard.service.velocity_redis import RedisBackend

    rng = random.Random(11)
    now = datetime.now(UTC)
    events = []
    for a in range(accounts):
        for j in range(events_each):
            body = event_body(a, now - timedelta(minutes=5 * j), rng)
            body.update(customer_id=f"mc{a}", account=f"6229{a:012d}")
            events.append(parse_event(body, None))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    velocity = Velocity(MemoryBackend())
    for ev in events:
        velocity.observe(ev)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    used = sum(s.size_diff for s in after.compare_to(before, "filename"))
    out: dict[str, Any] = {
        "accounts": accounts,
        "events_per_account": events_each,
        "features": len(velocity.specs),
        "memory_bytes_per_account": round(used / accounts),
        "note": "each account also brings its payee, device and IP keys; dedup ids are included",
    }
    prefix = f"fgbench:{uuid.uuid4().hex[:8]}:"
    try:
        backend = RedisBackend(REDIS_URL, prefix=prefix)
        redis_velocity = Velocity(backend)
        sample = events[: 1000 * events_each]
        for ev in sample:
            redis_velocity.observe(ev)
        client = backend.client
        total = 0
        keys = 0
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            total += int(client.memory_usage(key) or 0)
            keys += 1
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
        out["redis_bytes_per_account"] = round(total / 1000)
        out["redis_keys_per_account"] = round(keys / 1000, 1)
        backend.close()
    except Exception as exc:
        out["redis_error"] = str(exc)[:200]
    return out


# -- NATS ------------------------------------------------------------------------------------------


async def delete_streams(settings: Any) -> None:
    """Delete a bench run's own event and decision streams."""
    import nats

    nc = await nats.connect(settings.url)
    try:
        for name in (settings.events_stream, settings.decisions_stream):
            await nc.jetstream().delete_stream(name)
    finally:
        await nc.close()


async def decisions_published(settings: Any) -> int:
    """How many decisions the guard has published on ``settings``' decisions stream so far."""
    import nats

    nc = await nats.connect(settings.url)
    try:
        return int((await nc.jetstream().stream_info(settings.decisions_stream)).state.messages)
    finally:
        await nc.close()


def step_nats(guard: Any, n: int) -> dict[str, Any]:

    from finguard.guard.service.stream import ConsumerThread, GuardConsumer, StreamSettings, publish_events, with_names

    settings = with_names(StreamSettings(url=NATS_URL, batch=200), uuid.uuid4().hex[:10])
    rng = random.Random(5)
    now = datetime.now(UTC)
    bodies = [event_body(i, now, rng) for i in range(n)]

    def count() -> Any:
        return decisions_published(settings)

    try:
        t = time.perf_counter()
        published, _ = asyncio.run(publish_events(bodies, settings))
        publish_s = time.perf_counter() - t
        runner = ConsumerThread(GuardConsumer(guard, settings))
        t = time.perf_counter()
        cpu = time.process_time()  # this process's CPU (all threads): the consumer, and the polling below
        runner.start()
        deadline = t + max(120.0, n / 20)
        done = 0
        while time.perf_counter() < deadline:
            done = asyncio.run(count())
            if done >= n:
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - t
        cpu = time.process_time() - cpu
        runner.stop()
        return {
            # CPU per decision: comparable across runs on a shared machine, where wall rates follow the load
            "cpu_ms_per_decision": round(cpu / max(done, 1) * 1000, 3),
            "events": n,
            "published_per_s": round(published / publish_s),
            "decided": done,
            "seconds": round(elapsed, 2),
            "decisions_per_s": round(done / elapsed, 1),
            "load": load(),
        }
    finally:
        try:
            asyncio.run(delete_streams(settings))
        except Exception as exc:
            console.print(f"[yellow]could not delete the bench streams: {exc}")


# -- HTTP ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def step_http(
    platform: Any,
    url: str,
    rate: float,
    seconds: float,
    dump: str = "",
    warmup_seconds: float = 0,
    workers: int = 1,
    env_extra: dict[str, str] | None = None,
    connections: int = 32,
    uvicorn_args: list[str] | None = None,
    bodies_of: Callable[[int, int], tuple[list[dict[str, Any]], list[dict[str, Any]]]] | None = None,
    history: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``warmup_seconds``: first send that long of other events at the same rate, not measured, so the
    measured run starts with the caches of a process that has been serving (0: only the 200 requests).
    ``workers``: uvicorn worker processes (as ``finguard serve --workers N``); ``env_extra``: more of the
    server's settings (FINGUARD_REDIS_URL for velocity across workers); ``uvicorn_args``: more uvicorn
    options (``--http finguard.app.protocol:AdmissionHttpTools``, as ``finguard serve`` runs).
    ``bodies_of(warm, timed)``: the warm-up's and the measured run's events (default
    :func:`event_body`'s; ``mix.py``'s bank mix); ``history``: events sent first, one at a time and
    untimed (the bank mix's regular payees, :meth:`mix.Events.history_bodies`)."""
    import httpx

    _, secret = platform.keys.create(f"bench-{uuid.uuid4().hex[:8]}", "analyst", actor="bench")
    port = free_port()
    env = dict(
        os.environ,
        FINGUARD_DATABASE_URL=url,
        FINGUARD_DEMO_ON_FIRST_START="false",
        FINGUARD_INDEX_DIR=str(WORK / "index"),
        FINGUARD_LOG_LEVEL="WARNING",
        **(env_extra or {}),
    )
    app = os.environ.get("FINGUARD_BENCH_APP", "finguard.app.asgi:app")  # an experiment's own entry point
    cmd = server_command(app, port, workers, uvicorn_args)
    server = subprocess.Popen(cmd, env=env, cwd=BENCH.parent)
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            try:
                # every worker must be ready: ask a few times
                if all(httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200 for _ in range(4 * workers)):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        history_refused = 0
        if history:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": secret}, timeout=30) as client:
                history_refused = sum(client.post("/api/v1/guard/events", json=b).status_code != 200 for b in history)
        rng = random.Random(21)
        now = datetime.now(UTC)
        total = int(rate * seconds)
        n_warm = int(rate * warmup_seconds) + 200 if warmup_seconds > 0 else 0
        if bodies_of is None:
            timed_bodies = [event_body(i, now, rng) for i in range(total + 200)]
            warm_rng = random.Random(22)
            warm_bodies = [event_body(i, now, warm_rng) for i in range(n_warm)]
        else:
            warm_bodies, timed_bodies = bodies_of(n_warm, total + 200)
        bodies = WORK / "http-bodies.json"
        bodies.write_text(json.dumps(timed_bodies))
        gen = [sys.executable, str(BENCH / "loadgen.py"), "single", "--port", str(port), "--key", secret]
        # FINGUARD_BENCH_LOADGEN=protocol: bench/loadgen.py's leaner engine (the default, streams, as before)
        gen += ["--engine", os.environ.get("FINGUARD_BENCH_LOADGEN", "streams")]
        if warmup_seconds > 0:
            warm = WORK / "http-warmup-bodies.json"
            warm.write_text(json.dumps(warm_bodies))
            warm_gen = [*gen, "--path", "/api/v1/guard/events", "--bodies", str(warm), "--rate", str(rate)]
            subprocess.run([*warm_gen, "--seconds", str(warmup_seconds)], check=True, capture_output=True, timeout=600)
        gen += ["--path", "/api/v1/guard/events", "--bodies", str(bodies), "--rate", str(rate), "--seconds", str(seconds)]
        gen += ["--connections", str(connections)]
        if dump:
            gen += ["--dump", dump]
        pids = server_pids(server.pid)
        cpu = sum(server_cpu(pid) for pid in pids)
        out = subprocess.run(gen, check=True, capture_output=True, text=True, timeout=600)
        cpu = sum(server_cpu(pid) for pid in pids) - cpu
        res: dict[str, Any] = json.loads(out.stdout)
        # the server's CPU per answered request: comparable across runs on a shared machine
        res["server_cpu_ms_per_request"] = round(cpu / max(int(res.get("requests") or 0), 1) * 1000, 3)
        res["load"] = load()
        res["note"] = "the first 200 requests repeat the warm-up's events (idempotent replays)"
        res["warmup_seconds"] = warmup_seconds
        if history:
            res["history"], res["history_refused"] = len(history), history_refused
        return res
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


# -- main ------------------------------------------------------------------------------------------


def timed(label: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    console.print(f"[bold]{label}[/] ({load()})")
    t = time.perf_counter()
    try:
        res = fn()
    except Exception as exc:
        console.print(f"[red]{label} failed: {exc}")
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}
    res["step_seconds"] = round(time.perf_counter() - t, 1)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--events", type=int, default=3000, help="decisions timed in process")
    ap.add_argument("--nats-events", type=int, default=3000)
    ap.add_argument("--http-rate", type=float, default=1000)
    ap.add_argument("--http-seconds", type=float, default=5)
    ap.add_argument("--skip", nargs="*", default=[], choices=["nats", "http", "memory"])
    add_payee_args(ap)
    args = ap.parse_args()
    payee_setup = use_payees(args)
    WORK.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        db = WORK / "guard-bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    else:
        url = PG_URL
    console.print(f"issue #4 guard bench on {args.db} ({load()}, {os.cpu_count()} cores)")
    platform, guard = setup(url, args.sanctions)
    results: dict[str, Any] = {
        "issue": 4,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "db": args.db,
        "cpu_count": os.cpu_count(),
        "setup": {
            "rules": len(guard.rules.current().rules),
            "velocity_features": len(guard.velocity.specs),
            "customers_with_controls": CUSTOMERS,
            "model": guard.model.name,
            "lists": "demo lists + OFAC SDN + UN" if args.sanctions else "demo lists (no sanctions)",
            **payee_setup,
            "rules_check_seconds": guard.rules.check_seconds,
            "cache_check_seconds": guard.store._cache.check_seconds,
        },
    }
    try:
        before = name_cache(platform)
        results["in_process"] = timed("in-process decisions", lambda: step_in_process(guard, args.events))
        results["in_process"]["name_cache"] = cache_delta(before, name_cache(platform))
        results["rules"] = timed("rule evaluation", lambda: step_rules(guard))
        if "memory" not in args.skip:
            results["velocity_memory"] = timed("velocity memory", step_velocity_memory)
        if "nats" not in args.skip:
            before = name_cache(platform)
            results["nats"] = timed("NATS JetStream end to end", lambda: step_nats(guard, args.nats_events))
            results["nats"]["name_cache"] = cache_delta(before, name_cache(platform))
        if "http" not in args.skip:
            results["http"] = timed("HTTP open loop", lambda: step_http(platform, url, args.http_rate, args.http_seconds))
    finally:
        platform.close()
    results["payee_stream"] = stream_stats()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "issue4.json").write_text(json.dumps(results, indent=2) + "\n")
    report(results, args)


def report(r: dict[str, Any], args: argparse.Namespace) -> None:
    def get(*path: str) -> Any:
        cur: Any = r
        for p in path:
            cur = cur.get(p) if isinstance(cur, dict) else None
        return cur

    def verdict(value: Any, ok: Callable[[Any], bool]) -> str:
        if value is None:
            return "[yellow]n/a[/]"
        return "[green]met[/]" if ok(value) else "[red]missed[/]"

    t = Table("figure", "target", "measured", "", title=f"issue #4 guard bench ({r['db']}, {r['cpu_count']} cores)")
    p50, p99 = get("in_process", "p50_ms"), get("in_process", "p99_ms")
    t.add_row("in-process decision p50 / p99", "<= 1 ms / <= 5 ms", f"{p50} / {p99} ms", verdict(p50, lambda _: p50 <= 1 and p99 <= 5))
    rate = get("nats", "decisions_per_s")
    t.add_row("decisions/s through NATS JetStream", ">= 3,000", f"{rate}", verdict(rate, lambda v: v >= 3000))
    hp99 = get("http", "p99_ms")
    achieved = get("http", "achieved_rate")
    t.add_row(
        f"HTTP decision p99 at {args.http_rate:.0f}/s", "<= 10 ms", f"{hp99} ms (achieved {achieved}/s)", verdict(hp99, lambda v: v <= 10)
    )
    mem = get("velocity_memory", "memory_bytes_per_account")
    redis_mem = get("velocity_memory", "redis_bytes_per_account")
    t.add_row("velocity state per active account", "report", f"{mem} B in process, {redis_mem} B in Redis", "")
    t.add_row(
        "rule evaluation per rule, median", "report", f"{get('rules', 'median_us')} µs (50 rules: {get('rules', 'all_50_us')} µs)", ""
    )
    console.print(t)
    parts = get("in_process", "breakdown_ms_per_decision") or {}
    b = Table("part", "ms per decision", title=f"where a decision's time goes (store share {get('in_process', 'store_share')})")
    for k, v in parts.items():
        b.add_row(k, f"{v:.3f}")
    console.print(b)


if __name__ == "__main__":
    main()
