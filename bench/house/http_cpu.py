"""Server CPU per HTTP payee check (#10 cross-check): less noisy than open-loop latency on a shared machine.

    cd <checkout> && PYTHONPATH=$PWD/src python /path/to/bench/house/http_cpu.py $PWD 3000

Starts uvicorn on the checkout's bench DB (``bench/work/bench-1000000.db``, built by ``bench/run.py
--scale 1000000``), creates an admin key, sends 500 warm-up then N sequential ``POST /api/v1/check``
on one keep-alive connection and prints the server process's CPU (utime + stime from /proc) per
request. Works on checkouts from before the move (``finguard.api.asgi``) and after (``finguard.app.asgi``).
"""

import inspect
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

checkout = Path(sys.argv[1])
n = int(sys.argv[2])
sys.path.insert(0, str(checkout / "bench"))
import dataset  # noqa: E402  (the checkout's own bench modules)
import run as bench  # noqa: E402

url = dataset.db_url(bench.WORK / "bench-1000000.db")
try:
    from finguard.access.service.keys import KeyService
    from finguard.access.store import SqlKeyStore
    from finguard.core.clock import utcnow
    from finguard.core.db import make_engine

    app, kw = "finguard.app.asgi:app", {"actor": "bench"}
except ImportError:
    from finguard.services.keys import KeyService
    from finguard.services.lists import utcnow
    from finguard.store.db import make_engine
    from finguard.store.misc_repo import SqlKeyStore

    app, kw = "finguard.api.asgi:app", {}
engine = make_engine(url)
kw = kw if "actor" in inspect.signature(KeyService.create).parameters else {}
_, secret = KeyService(SqlKeyStore(engine), utcnow).create(f"cpu-{uuid.uuid4().hex[:8]}", "admin", **kw)
engine.dispose()
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
env = dict(
    os.environ,
    FINGUARD_DATABASE_URL=url,
    FINGUARD_DEMO_ON_FIRST_START="false",
    FINGUARD_INDEX_DIR=str(bench.WORK / "index"),
    FINGUARD_LOG_LEVEL="WARNING",
)
server = subprocess.Popen(
    [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
    env=env,
    cwd=checkout,
)


def cpu() -> float:
    f = open(f"/proc/{server.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


try:
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    accounts, _, _ = bench.account_requests(1_000_000, n + 500, 0.01, seed=13)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-Key": secret}) as c:
        for a in accounts[:500]:
            r = c.post("/api/v1/check", json={"account": a})
            assert r.status_code == 200, r.text
        c0 = cpu()
        for a in accounts[500:]:
            r = c.post("/api/v1/check", json={"account": a})
            assert r.status_code == 200, r.text
        c1 = cpu()
    print(json.dumps({"checkout": checkout.name, "requests": n, "server_cpu_ms_per_request": round((c1 - c0) / n * 1000, 3)}))
finally:
    server.terminate()
    server.wait(30)
