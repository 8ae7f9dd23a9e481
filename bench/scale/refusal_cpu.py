"""CPU per refusal (issue #19): refused by the middleware vs by the protocol (``finguard.app.protocol``).

    PYTHONPATH=src python bench/scale/refusal_cpu.py --old /tmp/x-old/src --rounds 2 --out bench/results/x.json

Every anonymous public check is refused (``FINGUARD_MAX_PUBLIC_IN_FLIGHT=0``): one uvicorn process
on a fresh SQLite database without lists, ``POST /api/v1/public/check`` at ``--rate`` for
``--seconds`` (plus the load generator's 200 warm-up requests, refused too), and the server's CPU
(``/proc``) over the run divided by the requests. ``old``: the checkout at ``--old`` with plain
uvicorn (the middleware refuses); ``new``: this checkout with ``--http
finguard.app.protocol:AdmissionHttpTools`` (the protocol refuses). Rounds alternate old and new.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import run as bench_run  # noqa: E402
from throughput import server_cpu, server_pids  # noqa: E402


def one(src: str, http: str | None, rate: float, seconds: float) -> dict[str, Any]:
    d = tempfile.mkdtemp(prefix="refusal-cpu-")
    port = bench_run.free_port()
    env = dict(
        os.environ,
        PYTHONPATH=src,
        FINGUARD_DATABASE_URL=f"sqlite:///{d}/f.db",
        FINGUARD_DEMO_ON_FIRST_START="false",
        FINGUARD_INDEX_DIR=f"{d}/index",
        FINGUARD_LOG_LEVEL="WARNING",
        FINGUARD_MAX_PUBLIC_IN_FLIGHT="0",
    )
    cmd = [sys.executable, "-m", "uvicorn", "finguard.app.asgi:app", "--port", str(port), "--no-access-log", "--log-level", "warning"]
    server = subprocess.Popen([*cmd, *(["--http", http] if http else [])], env=env)
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        bodies = Path(d) / "bodies.json"
        bodies.write_text(json.dumps([{"account": f"6222{i:012d}"} for i in range(1000)]))
        pids = server_pids(server.pid)
        cpu = sum(server_cpu(p) for p in pids)
        gen = [
            sys.executable,
            str(HERE.parent / "loadgen.py"),
            "single",
            "--port",
            str(port),
            "--key",
            "x",
            "--path",
            "/api/v1/public/check",
        ]
        gen += ["--bodies", str(bodies), "--rate", str(rate), "--seconds", str(seconds), "--connections", "64"]
        out = subprocess.run(gen, check=True, capture_output=True, text=True)
        cpu = sum(server_cpu(p) for p in pids) - cpu
        r = json.loads(out.stdout)
        return {
            "refused": r["refused_503"],
            "ok": r["ok"],
            "server_cpu_ms_per_refusal": round(cpu / (r["requests"] + 200) * 1000, 4),
            "refused_p50_ms": r["refused_p50_ms"],
            "refused_p99_ms": r["refused_p99_ms"],
            "load": Path("/proc/loadavg").read_text().split()[:3],
        }
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, help="the src/ folder of the checkout to compare with")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    new = str(HERE.parents[1] / "src")
    runs = []
    for i in range(args.rounds):
        for code, src, http in (("old", args.old, None), ("new", new, "finguard.app.protocol:AdmissionHttpTools")):
            r = one(src, http, args.rate, args.seconds) | {"code": code, "round": i + 1}
            print(json.dumps(r), flush=True)
            runs.append(r)
    Path(args.out).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
