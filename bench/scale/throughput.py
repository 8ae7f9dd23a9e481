"""Payee-check throughput and overload over HTTP, one process and several (issue #19).

Builds (or reuses) the synthetic list database of ``bench/run.py`` (``--scale`` identifiers, SQLite
or a PostgreSQL URL), starts ``finguard serve``'s ASGI app under uvicorn with ``--workers N``,
and drives ``POST /api/v1/check`` with ``bench/loadgen.py`` (open loop, latency from each
request's scheduled time) on the same 2-core machine:

* a rate ladder (``--rates``): achieved rate, p50 / p99 of every request;
* capacity = the highest rate of the ladder served with p99 <= ``--p99-target`` ms (else the
  achieved rate of the lowest step);
* overload: ``--overload`` x capacity for ``--overload-seconds``: requests served (200) and refused
  (503) apart, each with its latency. The bar: admitted p99 <= 50 ms and every refusal fast.

Writes ``bench/results/issue19_throughput_<db>_w<N>.json`` and prints a table. Timings are of
this machine, with the load generator sharing its cores; the load average is printed with each step.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
sys.path.insert(0, str(BENCH))

import run as bench_run  # noqa: E402  (bench/run.py: the dataset and the request mix)
from procstat import server_command, server_cpu, server_pids  # noqa: E402


def load() -> str:
    a, b, _ = os.getloadavg()
    return f"load {a:.2f} / {b:.2f}"


def start_server(
    url: str, workers: int, env_extra: dict[str, str], app: str = "finguard.app.asgi:app", extra: list[str] | None = None
) -> tuple[subprocess.Popen[bytes], int, str]:
    from finguard.access.service.keys import KeyService
    from finguard.access.store import SqlKeyStore
    from finguard.core.clock import utcnow
    from finguard.core.db import make_engine

    engine = make_engine(url)
    _, secret = KeyService(SqlKeyStore(engine), utcnow).create(f"bench-{uuid.uuid4().hex[:8]}", "admin", actor="bench")
    engine.dispose()
    port = bench_run.free_port()
    env = dict(
        os.environ,
        FINGUARD_DATABASE_URL=url,
        FINGUARD_DEMO_ON_FIRST_START="false",
        FINGUARD_INDEX_DIR=str(bench_run.WORK / "index"),
        FINGUARD_LOG_LEVEL="WARNING",
        **env_extra,
    )
    # bench/scale on the path for the timed entry point (timed_asgi:app)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH", ""), str(HERE)) if p)
    cmd = server_command(app, port, workers, extra)
    server = subprocess.Popen(cmd, env=env, cwd=BENCH.parent)
    import httpx

    deadline = time.time() + 600
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError("uvicorn exited during start-up")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                # every worker must be ready: ask a few times
                if all(httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200 for _ in range(8)):
                    return server, port, secret
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("server not ready in 600 s")


def drive(
    port: int, secret: str, bodies: Path, rate: float, seconds: float, connections: int, timeline: str = "", engine: str = "streams"
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(BENCH / "loadgen.py"),
        "single",
        "--port",
        str(port),
        "--key",
        secret,
        "--path",
        "/api/v1/check",
        "--bodies",
        str(bodies),
        "--rate",
        str(rate),
        "--seconds",
        str(seconds),
        "--connections",
        str(connections),
        "--engine",
        engine,
    ]
    out = subprocess.run([*cmd, *(["--timeline", timeline] if timeline else [])], check=True, capture_output=True, text=True)
    res: dict[str, Any] = json.loads(out.stdout)
    res["offered_rate"] = rate
    res["load"] = load()
    return res


def log_backlog(port: int) -> dict[str, float]:
    """``finguard_log_backlog`` from /metrics (one worker's, with several), right after a round."""
    import httpx

    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return {}
    found = {}
    for line in text.splitlines():
        if line.startswith("finguard_log_backlog{"):
            name = line.split('log="', 1)[1].split('"', 1)[0]
            found[name] = float(line.rsplit(" ", 1)[1])
    return found


def gc_report(folder: Path, began: float, ended: float) -> dict[str, Any]:
    """Full (generation 2) collections in the servers between ``began`` and ``ended``, and any
    collection of 5 ms or more (``bench/scale/gcprobe``)."""
    full: list[float] = []
    slow = 0
    threads: dict[str, list[float]] = {}
    stalls: list[list[float]] = []
    for path in folder.glob("gc-*.json"):
        try:
            data = json.loads(path.read_text())
            events = data["events"]
        except (OSError, ValueError, KeyError):
            continue
        # each thread's CPU and run-queue wait over the round: the last sample before it, the first after
        samples = data.get("threads", [])
        before = [s for s in samples if s[0] <= began]
        after = [s for s in samples if s[0] >= ended]
        if before and after:
            a, b = before[-1][1], after[0][1]
            for name, (cpu, wait, _) in b.items():
                acc = threads.setdefault(name, [0.0, 0.0])
                acc[0] += cpu - a.get(name, [0.0, 0.0])[0]
                acc[1] += wait - a.get(name, [0.0, 0.0])[1]
        stalls += [x for x in data.get("stalls", []) if began <= x[0] <= ended]
        for at, generation, ms in events:
            if began <= at <= ended:
                slow += ms >= 5
                if generation == 2:
                    full.append(ms)
    full.sort()
    out: dict[str, Any] = {}
    if stalls:
        # the loop's stalls of 10 ms or more (FINGUARD_BENCH_STALLS=1): how many, how long, and their
        # time split into the loop's thread running, waiting for a core, and asleep (the GIL)
        long = sorted((x for x in stalls if x[1] >= 10), key=lambda x: x[1])
        total = sum(x[1] for x in long) or 1.0
        ran, queued = sum(x[2] for x in long), sum(x[3] for x in long)
        out["loop_stalls"] = {
            "5ms_or_more": len(stalls),
            "10ms_or_more": len(long),
            "ms_p50_p99_max": [long[len(long) // 2][1], long[min(len(long) - 1, round(0.99 * (len(long) - 1)))][1], long[-1][1]]
            if long
            else [],
            "10ms_or_more_total_ms": round(total, 1),
            "share_running_waiting_for_a_core_asleep": [
                round(ran / total, 3),
                round(queued / total, 3),
                round(1 - (ran + queued) / total, 3),
            ],
            "longest": [x[1:] for x in long[-5:]],
        }
    return {
        **out,
        "full_collections": len(full),
        "full_ms_median": full[len(full) // 2] if full else 0.0,
        "full_ms_max": full[-1] if full else 0.0,
        "collections_5ms_or_more": slow,
        # seconds of CPU, and of waiting runnable for a core, in the round, by the servers' thread names
        "threads_cpu_s_wait_s": {k: [round(v[0], 3), round(v[1], 3)] for k, v in sorted(threads.items(), key=lambda kv: -kv[1][0])},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=1_000_000)
    ap.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL (the list must already be loaded there)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--rates", default="250,500,1000,1500,2000")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--p99-target", type=float, default=10.0)
    ap.add_argument("--overload", type=float, default=5.0)
    ap.add_argument("--overload-seconds", type=float, default=30)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--capacity", type=float, default=0, help="skip the ladder: overload at --overload x this rate")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server (e.g. FINGUARD_MAX_IN_FLIGHT=16)")
    ap.add_argument("--tag", default="", help="suffix of the result file")
    ap.add_argument(
        "--app", default="finguard.app.asgi:app",
        help="the ASGI entry point run by uvicorn (timed_asgi:app: a timeline per request), or 'serve': `finguard serve` itself",
    )  # fmt: skip
    ap.add_argument("--uvicorn", action="append", default=[], help="an extra uvicorn option, e.g. --uvicorn=--backlog=64")
    ap.add_argument("--rounds", type=int, default=1, help="overload runs against the one server (TIMELINE-<i>.json each)")
    ap.add_argument("--timeline", default="", help="the overload step's per-request timeline goes to this file")
    ap.add_argument(
        "--engine", choices=["streams", "protocol"], default="streams",
        help="bench/loadgen.py's engine: streams (as every run before stop 17) or protocol (less of the generator's CPU)",
    )  # fmt: skip
    ap.add_argument(
        "--gc-probe", action="store_true",
        help="time every full garbage collection in the servers (bench/scale/gcprobe) and report them per overload round",
    )  # fmt: skip
    args = ap.parse_args()
    if args.timeline and args.engine != "streams":
        ap.error("--timeline needs --engine streams")

    if args.db == "sqlite":
        path, _ = bench_run.step_dataset(args.scale, 2)
        url, label = f"sqlite:///{path}", "sqlite"
    else:
        url, label = args.db, "postgresql"
    accounts, _, _ = bench_run.account_requests(args.scale, 20_000, 0.01, seed=13)
    bodies = bench_run.WORK / "throughput-bodies.json"
    bodies.write_text(json.dumps([{"account": a} for a in accounts]))

    server_env = dict(kv.split("=", 1) for kv in args.env)
    gc_dir = None
    if args.gc_probe:
        import tempfile

        gc_dir = Path(tempfile.mkdtemp(prefix="finguard-gc-"))
        server_env["FINGUARD_BENCH_GC_DIR"] = str(gc_dir)
        server_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE / "gcprobe"), os.environ.get("PYTHONPATH", "")) if p)
    server, port, secret = start_server(url, args.workers, server_env, args.app, args.uvicorn)
    result: dict[str, Any] = {
        "db": label,
        "workers": args.workers,
        "scale": args.scale,
        "cpus": os.cpu_count(),
        "server_env": server_env,
        "app": args.app,
        "uvicorn": args.uvicorn,
        "engine": args.engine,
        "ladder": [],
    }
    try:
        for rate in [] if args.capacity else [float(r) for r in args.rates.split(",")]:
            print(f"{label} w{args.workers}: {rate:.0f}/s for {args.seconds:.0f} s ({load()})", flush=True)
            cpu = sum(server_cpu(pid) for pid in server_pids(server.pid))
            r = drive(port, secret, bodies, rate, args.seconds, args.connections, engine=args.engine)
            cpu = sum(server_cpu(pid) for pid in server_pids(server.pid)) - cpu
            r["server_cpu_ms_per_request"] = round(cpu / max(r["requests"], 1) * 1000, 3)
            print(f"  server CPU {r['server_cpu_ms_per_request']} ms/request", flush=True)
            print(
                f"  achieved {r['achieved_rate']}/s ok {r['ok_per_second']}/s p50 {r['p50_ms']} p99 {r['p99_ms']} ms "
                f"503 {r['refused_503']} errors {r['errors']}",
                flush=True,
            )
            result["ladder"].append(r)
        good = [r for r in result["ladder"] if r["p99_ms"] <= args.p99_target and r["refused_503"] == 0 and r["errors"] == 0]
        capacity = args.capacity or max((r["offered_rate"] for r in good), default=result["ladder"][0]["ok_per_second"])
        result["capacity_at_p99_target"] = capacity
        rate = capacity * args.overload
        print(f"overload: {rate:.0f}/s ({args.overload}x {capacity:.0f}) for {args.overload_seconds:.0f} s ({load()})", flush=True)
        result["overload_rounds"] = []
        for i in range(args.rounds):
            timeline = f"{args.timeline}-{i + 1}.json" if args.timeline and args.rounds > 1 else args.timeline
            cpu = sum(server_cpu(pid) for pid in server_pids(server.pid))
            began = time.monotonic()
            r = drive(port, secret, bodies, rate, args.overload_seconds, max(args.connections, 256), timeline, args.engine)
            ended = time.monotonic()
            cpu = sum(server_cpu(pid) for pid in server_pids(server.pid)) - cpu
            r["log_backlog_after"] = log_backlog(port)
            if gc_dir is not None:
                time.sleep(1.2)  # the probe writes once a second
                r["gc"] = gc_report(gc_dir, began, ended)
                print(f"  full collections during the round: {r['gc']}", flush=True)
            r["server_cpu_ms_per_request"] = round(cpu / max(r["requests"], 1) * 1000, 3)
            print(
                f"  ok {r['ok']} ({r['ok_per_second']}/s) p99 {r['ok_p99_ms']} ms; 503 {r['refused_503']} p99 {r['refused_p99_ms']} ms; "
                f"errors {r['errors']} {r.get('error_kinds', '')}; "
                f"server CPU {r['server_cpu_ms_per_request']} ms/request ({r['load']})",
                flush=True,
            )
            result["overload_rounds"].append(r)
            time.sleep(3)
        result["overload"] = result["overload_rounds"][0]
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    out = bench_run.RESULTS / f"issue19_throughput_{label}_w{args.workers}{args.tag}.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
