"""Issue #19: the HTTP guard path (``POST /api/v1/guard/events``) of one checkout at several offered rates.

    PYTHONPATH=src:/tmp/faker_env python bench/guard/http_ab.py --rates 250,500,1000 --seconds 10 --out x.json
    ... --db postgres --workers 2 --redis redis://127.0.0.1:6379/13 --out y.json

The bench's set-up (``run.setup``: demo lists, 50 rules, controls for 500 customers, realistic
payees) on a fresh database (``--db sqlite``: a new file; ``--db postgres``: a throw-away schema in
``FINGUARD_BENCH_PG_URL``, dropped after), then for each rate ``run.step_http``: uvicorn with
``--workers`` processes started fresh (their name caches empty; as ``finguard serve --workers N``),
``bench/loadgen.py single`` at the offered rate (open loop, latency from the scheduled time), the
server's CPU (all its processes) per answered request. ``--redis URL``: the guard's velocity in
that Redis database (flushed before each rate), as the deploy guide has it for several workers;
without it each process counts its own decisions in memory. Which checkout runs is
PYTHONPATH's (the server inherits it). The server's guard has a model only with ``--model`` (the
harness's ``run.MODEL``) or ``FINGUARD_GUARD_MODEL_PATH`` in the environment: the output's
``server_model`` says which. ``--spy FILE``: py-spy records the server at the last rate.
``--mix bank`` (``mix.py``; default ``bench``, ``run.py``'s events): a bank's traffic, mostly
ordinary payments allowed; the regular payees are chosen in process before the first rate and sent
through each fresh server first, one at a time and untimed (with several workers and no
``--redis`` each worker learns only those it answered). Prints and writes one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mix
import run as bench


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rates", default="250,500,1000")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--spy", default="", help="py-spy raw output for the server at the last rate")
    ap.add_argument("--out", required=True)
    ap.add_argument("--warmup-seconds", type=float, default=0, help="other events at the rate first, not measured")
    ap.add_argument("--dump", default="", help="write each rate's per-request timeline to DUMP-<rate>.json")
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--redis", default="", help="Redis URL for the guard's velocity (its database is flushed before each rate)")
    ap.add_argument("--connections", type=int, default=32, help="the load generator's keep-alive connections")
    ap.add_argument("--uvicorn", action="append", default=[], help="an extra uvicorn option (--uvicorn=--http=...)")
    ap.add_argument(
        "--model",
        action="store_true",
        help="the server's guard scores with run.MODEL (FINGUARD_GUARD_MODEL_PATH); without it, only a FINGUARD_GUARD_MODEL_PATH "
        "already in the environment gives the server a model (run.setup's model is the harness's own guard's)",
    )
    bench.add_payee_args(ap)
    mix.add_mix_args(ap)
    args = ap.parse_args()
    import finguard

    payees = bench.use_payees(args)
    bench.WORK.mkdir(parents=True, exist_ok=True)
    schema = ""
    if args.db == "sqlite":
        db = bench.WORK / "guard-http-ab.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    else:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with create_engine(bench.PG_URL).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{bench.PG_URL}{'&' if '?' in bench.PG_URL else '?'}options=-csearch_path%3D{schema}"
    env_extra = {"FINGUARD_REDIS_URL": args.redis} if args.redis else {}
    if args.model:
        if not bench.MODEL.is_file():
            raise SystemExit(f"--model: no model at {bench.MODEL} (bench/guard/quality.py writes it)")
        env_extra["FINGUARD_GUARD_MODEL_PATH"] = str(bench.MODEL)
    server_model = env_extra.get("FINGUARD_GUARD_MODEL_PATH") or os.environ.get("FINGUARD_GUARD_MODEL_PATH") or None
    platform, guard = bench.setup(url, args.sanctions)
    chosen = mix.Events(args.mix, args.risky, datetime.now(UTC), random.Random(4), 0)
    chosen.history(guard)  # the bank mix's regular payees (none on the demo lists)
    kinds: dict[str, dict[str, int]] = {}

    def bodies_of(n_warm: int, n_timed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        # A seed of its own per rate: one seed for every rate gave the second rate the first's event ids with
        # other bodies (the store keeps the first rate's decisions), so ~1,000 of its requests were 409s.
        seed = 21 + rates.index(current)
        events = mix.Events(args.mix, args.risky, datetime.now(UTC), random.Random(seed), n_warm + n_timed)
        warm = [events.body(i) for i in range(n_warm)]
        timed = [events.body(n_warm + i) for i in range(n_timed)]
        kinds[str(int(current))] = dict(events.kinds)
        return warm, timed

    rates = [float(r) for r in args.rates.split(",")]
    out: dict[str, Any] = {
        "finguard": str(Path(finguard.__file__).parents[1]),
        "seconds": args.seconds,
        "db": args.db,
        "workers": args.workers,
        "velocity": "redis" if args.redis else "in process",
        "connections": args.connections,
        "uvicorn": args.uvicorn,
        "server_model": server_model,  # the model the server's guard scores with (None: no model)
        "cpus": os.cpu_count(),
        **payees,
        "mix": args.mix,
        **({"risky": args.risky, "regular_payees_replaced": chosen.replaced} if args.mix == "bank" else {}),
        "rates": {},
    }
    spy: subprocess.Popen[bytes] | None = None
    original = subprocess.Popen

    def popen(cmd: Any, *a: Any, **kw: Any) -> Any:  # start py-spy on the server of the last rate
        nonlocal spy
        proc = original(cmd, *a, **kw)
        if args.spy and current == rates[-1] and "uvicorn" in cmd:
            spy_cmd = ["/tmp/pyspy/bin/py-spy", "record", "-r", "200", "--threads", "-f", "raw", "-o", args.spy]
            spy = original([*spy_cmd, "--pid", str(proc.pid)])
        return proc

    try:
        for current in rates:
            subprocess.Popen = popen  # type: ignore[misc]
            try:
                dump = f"{args.dump}-{int(current)}.json" if args.dump else ""
                if args.redis:
                    import redis

                    redis.Redis.from_url(args.redis).flushdb()
                bank = args.mix == "bank"
                res = bench.step_http(
                    *(platform, url, current, args.seconds, dump, args.warmup_seconds, args.workers, env_extra, args.connections),
                    args.uvicorn,
                    bodies_of if bank else None,
                    chosen.history_bodies() if bank else None,
                )
            finally:
                subprocess.Popen = original  # type: ignore[misc]
            keep = (
                *("achieved_rate", "ok_per_second", "requests", "ok", "refused_503", "errors", "warmup_seconds"),
                *("p50_ms", "p90_ms", "p99_ms", "max_ms", "server_cpu_ms_per_request", "load"),
            )
            if args.mix == "bank":
                res["events"] = kinds.get(str(int(current)))
                keep = (*keep, "history_refused")
            out["rates"][str(int(current))] = {k: res.get(k) for k in keep} | {"raw": res}
            print(f"{current:.0f}/s: {json.dumps({k: res.get(k) for k in keep})}", flush=True)
            if spy is not None:
                spy.wait(timeout=60)
                spy = None
    finally:
        platform.close()
        if schema:
            with create_engine(bench.PG_URL).begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    Path(args.out).write_text(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
