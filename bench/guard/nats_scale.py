"""Guard decisions through NATS JetStream with one consumer process and several (issue #19).

    PYTHONPATH=src:/tmp/faker_env .venv/bin/python bench/guard/nats_scale.py --db postgres --consumers 1,2 --events 6000

For each count of consumers (``--partitioned``: one consumer per partition by customer, the
publisher partitioning to match; else one shared pull): a fresh database set up as ``bench/guard/run.py`` sets it up (demo
lists, the starter pack and 50 generated rules, controls for 500 customers, the realistic payee
pool), streams of their own on the local NATS server, N consumer **processes** (each its own
platform, guard, engine and caches, sharing one durable pull consumer, as ``finguard guard
consume`` runs in production), started and ready **before** the events are published. Then
``--events`` events are published at once and the clock runs until the decisions stream holds
them all. Reported: decisions / s (wall), each consumer's CPU ms per decision (its process CPU
between the publish and the end, over the decisions it made; and of that, the deciding thread's CPU
inside ``decide_batch``: parsing and ``decide_many``), and the load average.

``--mix bank`` (``mix.py``; default ``bench``, ``run.py``'s events): a bank's traffic, mostly
ordinary payments allowed; the regular payees are chosen in process at the set-up and published
first, untimed, before the clock starts (with a shared pull each consumer learns only those it
decided; ``--partitioned`` sends each customer's to its own consumer).

The load generator (the publisher and the poller), the NATS server and the database share the
same 2 cores as the consumers. Writes ``bench/results/issue19_guard_nats_scale_<db>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import mix  # noqa: E402  (bench/guard/mix.py: --mix)
import run as guard_bench  # noqa: E402  (bench/guard/run.py: the set-up and the events)
from pgstore import throwaway_store  # noqa: E402  (bench/pgstore.py)


def thread_cpu() -> dict[str, float]:
    """CPU seconds (user + system) of each thread of this process by its name (Linux /proc),
    threads of the same name summed: the consumer's split between its event loop (NATS, encoding,
    publishing, acknowledging), the deciding thread (``asyncio.to_thread``'s pool) and the rest."""
    import threading

    tick = os.sysconf("SC_CLK_TCK")
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(task.name), "other (native)")
        name = "asyncio_pool" if name.startswith("asyncio_") else name.split(" ")[0]
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def worker(url: str, suffix: str, partitions: int, partition: int | None, profile: str | None = None) -> None:
    """One consumer process: says 'ready' once healthy, its CPU seconds at 'go' and at 'stop'
    (read from stdin), each with the count of decisions it made and its threads' CPU seconds.
    ``profile``: cProfile of the deciding thread inside ``decide_batch`` written there (pstats)."""
    import cProfile

    from finguard.app.platform import Platform
    from finguard.core.settings import Settings
    from finguard.guard.provider import make_guard
    from finguard.guard.service.model import LightGBMScorer
    from finguard.guard.service.stream import ConsumerThread, GuardConsumer, StreamSettings, with_names

    settings = with_names(StreamSettings(url=guard_bench.NATS_URL, batch=200, partitions=partitions, partition=partition), suffix)
    with Platform(Settings(database_url=url, demo_on_first_start=False, index_dir=Path(tempfile.mkdtemp()) / "index")) as platform:
        model = LightGBMScorer(guard_bench.MODEL) if guard_bench.MODEL.is_file() else None
        guard = make_guard(platform.engine, platform.checker, clock=platform.guard.clock, model=model)
        consumer = GuardConsumer(guard, settings)
        decided = [0]
        deciding = [0.0]  # CPU of the deciding thread inside decide_batch (parse + decide_many)
        walls = {"decide_batch": 0.0, "handle": 0.0}  # wall s inside decide_batch and inside _handle (decide + publish + ack)
        inner = consumer.decide_batch
        handle = consumer._handle

        async def timed_handle(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return await handle(*a, **k)
            finally:
                walls["handle"] += time.perf_counter() - t
        prof = cProfile.Profile() if profile else None

        def counted(messages: Any) -> Any:
            t, w = time.thread_time(), time.perf_counter()
            if prof is not None:
                prof.enable()
            out = inner(messages)
            if prof is not None:
                prof.disable()
            deciding[0] += time.thread_time() - t
            walls["decide_batch"] += time.perf_counter() - w
            decided[0] += len(out)
            return out

        consumer.decide_batch = counted  # type: ignore[method-assign]
        consumer._handle = timed_handle  # type: ignore[method-assign]
        loop_prof = cProfile.Profile(time.thread_time) if profile else None  # the event loop's thread, its CPU
        if loop_prof is not None:
            run = consumer.run

            async def profiled_run(*a: Any, **k: Any) -> None:
                loop_prof.enable()
                try:
                    await run(*a, **k)
                finally:
                    loop_prof.disable()

            consumer.run = profiled_run  # type: ignore[method-assign]
        runner = ConsumerThread(consumer).start()
        deadline = time.time() + 60
        while not consumer.health.healthy and time.time() < deadline:
            time.sleep(0.05)
        print(json.dumps({"ready": consumer.health.healthy}), flush=True)
        for line in sys.stdin:
            word = line.strip()
            said = {word: time.process_time(), "decided": decided[0], "deciding": deciding[0], "cache": guard_bench.name_cache(platform),
                    "threads": thread_cpu(), "walls": dict(walls), "wall": time.perf_counter()}  # fmt: skip
            print(json.dumps(said), flush=True)
            if word == "stop":
                break
        runner.stop()
        if prof is not None and profile:
            prof.dump_stats(profile)
        if loop_prof is not None:
            loop_prof.dump_stats(f"{profile}.loop")


def cpu_by_process(ours: dict[int, str]) -> dict[str, float]:
    """CPU seconds (user + system) of every process on the machine, by name (Linux /proc): this
    bench's own (``ours``: the publisher and poller, the consumers) under their role, the rest
    under their command name (``postgres``, ``nats-server``; other people's processes too)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            head, rest = (proc / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        fields = rest.split()
        name = ours.get(int(proc.name)) or head.split("(", 1)[1]
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def wall_share(g: dict[str, Any], s: dict[str, Any]) -> dict[str, float]:
    total = max(s["wall"] - g["wall"], 1e-9)
    decide = s["walls"]["decide_batch"] - g["walls"]["decide_batch"]
    handle = s["walls"]["handle"] - g["walls"]["handle"]
    return {"seconds": round(total, 2), "decide_batch": round(decide / total, 3), "publish_ack": round((handle - decide) / total, 3),
            "fetch_idle": round((total - handle) / total, 3)}  # fmt: skip


def run_once(
    url: str,
    consumers: int,
    events: int,
    rng: random.Random,
    partitioned: bool,
    chosen: mix.Events,
    risky: float,
    profile: str | None = None,
) -> dict[str, Any]:

    from finguard.guard.service.stream import StreamSettings, publish_events, with_names

    suffix = uuid.uuid4().hex[:10]
    partitions = consumers if partitioned else 1
    settings = with_names(StreamSettings(url=guard_bench.NATS_URL, batch=200, partitions=partitions), suffix)
    now = datetime.now(UTC)
    if chosen.mix == "bank":
        source = mix.Events("bank", risky, now, rng, events)
        bodies = [source.body(i) for i in range(events)]
        history = chosen.history_bodies()
    else:
        bodies, history = [guard_bench.event_body(i, now, rng) for i in range(events)], []
    # the streams exist before the consumers start (a publish of nothing creates them)
    asyncio.run(publish_events([], settings))
    env = dict(os.environ, FINGUARD_LOG_LEVEL="WARNING")
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", "--url", url, "--suffix", suffix, "--partitions", str(partitions)]
            + (["--partition", str(k)] if partitioned else [])
            + (["--profile", f"{profile}.c{consumers}.p{k}"] if profile else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for k in range(consumers)
    ]

    def ask(p: subprocess.Popen[str], word: str | None) -> dict[str, Any]:
        if word is not None:
            assert p.stdin is not None
            p.stdin.write(word + "\n")
            p.stdin.flush()
        assert p.stdout is not None
        return dict(json.loads(p.stdout.readline()))

    def count() -> Any:
        return guard_bench.decisions_published(settings)

    try:
        ready = [ask(p, None) for p in procs]
        assert all(r["ready"] for r in ready), ready
        if history:  # untimed: the regular payees' first payments
            asyncio.run(publish_events(history, settings))
            t_history = time.perf_counter()
            while (seen := asyncio.run(count())) < len(history):
                if time.perf_counter() - t_history > max(600.0, len(history) / 2):
                    raise RuntimeError(f"the history was not decided in time: {seen} of {len(history)}")
                time.sleep(0.05)
        load_before = os.getloadavg()
        ours = {os.getpid(): "bench (publisher, poller)"} | {p.pid: "consumers" for p in procs}
        go = [ask(p, "go") for p in procs]
        machine_before = cpu_by_process(ours)
        t0 = time.perf_counter()
        published, _ = asyncio.run(publish_events(bodies, settings))
        done = 0
        while time.perf_counter() - t0 < max(120.0, events / 20):
            done = asyncio.run(count()) - len(history)
            if done >= events:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
        machine_after = cpu_by_process(ours)
        stop = [ask(p, "stop") for p in procs]
        # the machine's CPU a decision by process, between the publish and the last decision seen
        machine = {k: round((v - machine_before.get(k, 0.0)) / max(done, 1) * 1000, 3) for k, v in machine_after.items()}
        machine = dict(sorted(((k, v) for k, v in machine.items() if v >= 0.005), key=lambda kv: -kv[1]))
        per = [
            {"decided": s["decided"] - g["decided"], "cpu_s": round(s["stop"] - g["go"], 2),
             "cpu_ms_per_decision": round((s["stop"] - g["go"]) / max(s["decided"] - g["decided"], 1) * 1000, 3),
             "deciding_thread_cpu_ms_per_decision": round((s["deciding"] - g["deciding"]) / max(s["decided"] - g["decided"], 1) * 1000, 3),
             "name_cache": guard_bench.cache_delta(g["cache"], s["cache"]),
             # where the consumer's wall time went between go and stop: inside decide_batch (the
             # deciding thread), the rest of _handle (hand-over, publishing the decisions and
             # awaiting their PubAcks, acknowledging), and outside _handle (fetching, waiting for events)
             "wall_share": wall_share(g, s),
             "thread_cpu_ms_per_decision": {
                 k: round((v - g["threads"].get(k, 0.0)) / max(s["decided"] - g["decided"], 1) * 1000, 3)
                 for k, v in sorted(s["threads"].items()) if v - g["threads"].get(k, 0.0) > 0}}
            for g, s in zip(go, stop, strict=True)
        ]  # fmt: skip
        return {
            "mix": chosen.mix,
            **({"history": len(history), "events_by_kind": dict(source.kinds)} if history else {}),
            "consumers": consumers,
            "partitioned": partitioned,
            "events": events,
            "published": published,
            "decided": done,
            "seconds": round(elapsed, 2),
            "decisions_per_s": round(done / elapsed, 1),
            "consumer_cpu_ms_per_decision": round(sum(p["cpu_s"] for p in per) / max(done, 1) * 1000, 3),
            "per_consumer": per,
            "machine_cpu_ms_per_decision": machine,
            "machine_cpu_ms_per_decision_total": round(sum(machine.values()), 3),
            "load_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        }
    finally:
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()

        asyncio.run(guard_bench.delete_streams(settings))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--suffix", help=argparse.SUPPRESS)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--consumers", default="1,2")
    ap.add_argument("--events", type=int, default=6000)
    ap.add_argument("--partitions", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--partition", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--partitioned", action="store_true", help="one consumer per partition (by customer) instead of one shared pull")
    ap.add_argument("--profile", help="cProfiles of each consumer: deciding thread <this>.c<N>.p<k>, event loop (CPU) <...>.loop")
    ap.add_argument("--out", help="the result file (default bench/results/issue19_guard_nats_scale_<db>[_partitioned].json)")
    guard_bench.add_payee_args(ap)
    mix.add_mix_args(ap)
    args = ap.parse_args()
    if args.worker:
        worker(args.url, args.suffix, args.partitions, args.partition, args.profile)
        return
    payees = guard_bench.use_payees(args)
    results: list[dict[str, Any]] = []
    for n in [int(x) for x in args.consumers.split(",")]:
        with throwaway_store(args.db, Path(tempfile.mkdtemp())) as url:
            platform, guard = guard_bench.setup(url, sanctions=args.sanctions)
            chosen = mix.Events(args.mix, args.risky, datetime.now(UTC), random.Random(4), 0)
            chosen.history(guard)  # the bank mix's regular payees (none on the demo lists)
            platform.close()
            result = run_once(url, n, args.events, random.Random(5), args.partitioned and n > 1, chosen, args.risky, args.profile)
            print(json.dumps(result), flush=True)
            results.append(result)
    at = datetime.now(UTC).isoformat(timespec="seconds")
    out = {"issue": 19, "at": at, "db": args.db, "cores": os.cpu_count(), **payees, "mix": args.mix, "runs": results}
    tag = ("_partitioned" if args.partitioned else "") + ("_bank" if args.mix == "bank" else "")
    path = Path(args.out) if args.out else HERE.parent / "results" / f"issue19_guard_nats_scale_{args.db}{tag}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
