"""What #18's authority costs: the hash-chained change log on imports, the audit record on every
staff call, and how fast `audit verify` walks a chain.

Each figure is measured twice in the same run, on the same machine: with this branch's code and
with the code before it (``--baseline-src``, e.g. a worktree of the commit before #18, put first on
``sys.path`` of a child process). Prints a table and writes ``bench/results/authority.json``.

    git worktree add /tmp/before <commit before #18>
    python bench/authority/run.py --baseline-src /tmp/before/src [--checks 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

CHILD = r'''
import json, sys, time, tempfile
from pathlib import Path
from fastapi.testclient import TestClient
from finguard.app.http import create_app
from finguard.app.platform import Platform
from finguard.core.settings import Settings
import finguard

n_checks = int(sys.argv[1])
tmp = Path(tempfile.mkdtemp())
s = Settings(database_url=f"sqlite:///{tmp / 'b.db'}", demo_on_first_start=False, index_dir=tmp / "index", delta_screening=False)
out = {"code": str(Path(finguard.__file__).parent)}
with Platform(s, follow=False) as p:
    data = Path(finguard.__file__).parent / "data"
    p.lists.create_list("ofac-sdn", "OFAC", "sanctions", "OFAC", "critical")
    t = time.perf_counter()
    r = p.import_file("ofac-sdn", "ofac", data / "ofac-sdn" / "sdn.csv", actor="bench", skip_bad_rows=True)
    out["import_seconds"] = time.perf_counter() - t
    out["import_rows"] = r.added
    if hasattr(p, "verify_logs"):
        t = time.perf_counter()
        rep = p.verify_logs()[0]
        out["verify_rows_per_s"] = rep.rows / (time.perf_counter() - t)
with Platform(s) as p:
    try:
        secret = p.keys.create("bench", "analyst", actor="bench")[1]
    except TypeError:
        secret = p.keys.create("bench", "analyst")[1]
    with TestClient(create_app(p)) as c:
        h = {"X-API-Key": secret}
        for _ in range(200):
            c.post("/api/v1/check", json={"account": "6222000011112222999"}, headers=h)
        cpu, t = time.thread_time(), time.perf_counter()
        for i in range(n_checks):
            c.post("/api/v1/check", json={"account": f"62220000111122{i % 100000:05d}"}, headers=h)
        out["check_us"] = (time.perf_counter() - t) / n_checks * 1e6
        out["check_cpu_us"] = (time.thread_time() - cpu) / n_checks * 1e6
print(json.dumps(out))
'''


def run(src: Path | None, n_checks: int) -> dict[str, float]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    done = subprocess.run([sys.executable, "-c", CHILD, str(n_checks)], env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checks", type=int, default=3000)
    ap.add_argument("--baseline-src", type=Path, required=True, help="src/ of a checkout of the code before #18")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    base = run(args.baseline_src, args.checks)
    mine = run(REPO / "src", args.checks)
    rows = [
        ("OFAC SDN import (s)", base["import_seconds"], mine["import_seconds"]),
        ("staff check via TestClient, wall (µs)", base["check_us"], mine["check_us"]),
        ("staff check, CPU of the calling thread (µs)", base["check_cpu_us"], mine["check_cpu_us"]),
    ]
    print(f"load average at start: {load:.2f}; {mine['import_rows']} entries imported; {args.checks} staff checks")
    print(f"{'figure':48} {'before #18':>12} {'#18':>12} {'change':>8}")
    for name, b, m in rows:
        print(f"{name:48} {b:12.1f} {m:12.1f} {100 * (m - b) / b:+7.1f}%")
    print(f"{'audit verify of the change log (rows/s)':48} {'-':>12} {mine['verify_rows_per_s']:12.0f}")
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results = {"load_average": load, "checks": args.checks, "before": base, "after": mine, "at": at}
    out = REPO / "bench" / "results" / "authority.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
