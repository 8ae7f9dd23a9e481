"""How long a list write through one API process takes to be enforced by another (issue #19).

Starts two ``uvicorn finguard.app.asgi:app`` processes on a fresh PostgreSQL schema, then N
times: add an entry through A, and check the same account on B at once and again until it
answers ``block``. Prints the share of B's very first checks that already blocked and the lag
(from A's 201 to B's first ``block``), and writes bench/results/scale_propagation.json.

    python bench/scale/propagation.py --n 50
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from finguard.app.platform import Platform
from finguard.core.settings import Settings

REPO = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("FINGUARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    args = ap.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as home:
            with Platform(Settings(database_url=url, home=Path(home), demo_on_first_start=False), follow=False) as p:
                key = p.keys.create("bench", "admin", actor="bench")[1]
            env = {
                **os.environ,
                "PYTHONPATH": str(REPO / "src"),
                "FINGUARD_DATABASE_URL": url,
                "FINGUARD_HOME": home,
                "FINGUARD_DEMO_ON_FIRST_START": "false",
                "FINGUARD_DELTA_SCREENING": "false",
            }
            ports = [_port(), _port()]
            for port in ports:
                cmd = [sys.executable, "-m", "uvicorn", "finguard.app.asgi:app", "--port", str(port), "--log-level", "warning"]
                procs.append(subprocess.Popen(cmd, env=env, cwd=REPO))
            a, b = (httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": key}) for port in ports)
            for c in (a, b):
                for _ in range(600):
                    try:
                        if c.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    time.sleep(0.1)
            body = {"code": "bench", "name": "Bench", "kind": "internal", "owner": "bank", "default_level": "critical"}
            assert a.post("/api/v1/lists", json=body).status_code == 201
            first_ok, lags = 0, []
            for i in range(args.n):
                account = f"62220210{i:011d}"
                entry = {"key": f"k{i}", "identifiers": [{"type": "account", "value": account}], "reason": "bench"}
                assert a.post("/api/v1/lists/bench/entries", json=entry).status_code == 201
                written = time.perf_counter()
                tries = 0
                while b.post("/api/v1/check", json={"account": account}).json()["outcome"] != "block":
                    tries += 1
                first_ok += tries == 0
                lags.append((time.perf_counter() - written) * 1000)
            lags.sort()
            result = {
                "n": args.n,
                "first_check_blocked": first_ok,
                "lag_ms_p50": round(statistics.median(lags), 2),
                "lag_ms_p99": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 2),
                "lag_ms_max": round(lags[-1], 2),
                "load": os.getloadavg()[0],
            }
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    print("writes  B's first check blocked  lag p50 ms  lag p99 ms  lag max ms  load")
    print(
        f"{result['n']:>6}  {result['first_check_blocked']:>24}  {result['lag_ms_p50']:>10}  {result['lag_ms_p99']:>10}  "
        f"{result['lag_ms_max']:>10}  {result['load']:.1f}"
    )
    out = REPO / "bench" / "results" / "scale_propagation.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
