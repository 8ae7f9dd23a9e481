"""How evenly two worker processes share the payee-check load (issue #19): ``finguard serve --workers 2``
(a listening socket per worker) against ``uvicorn --workers 2`` (one socket shared by the workers).

    PYTHONPATH=src python bench/scale/worker_balance.py [--servers 2] [--rate 1000] [--seconds 6]

For each kind of server, alternated, ``--servers`` fresh servers on the bench's 1 M-identifier SQLite
database; on each, three runs of ``bench/loadgen.py`` (64, 64 and 256 keep-alive connections, each
run a new generator process opening its connections anew): every worker's CPU seconds over the run
(from ``/proc``) and the p99. Writes ``bench/results/issue19_worker_balance.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import run as bench_run  # noqa: E402  (bench/run.py)
import throughput as tp  # noqa: E402  (bench/scale/throughput.py)
from procstat import server_cpu, server_pids  # noqa: E402

KINDS = {"finguard serve": "serve", "uvicorn --workers": "finguard.app.asgi:app"}


def workers_of(pid: int) -> list[int]:
    """The serving workers (multiprocessing's resource tracker left out)."""
    return [p for p in server_pids(pid)[1:] if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--servers", type=int, default=2)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--seconds", type=float, default=6)
    args = ap.parse_args()
    path, _ = bench_run.step_dataset(1_000_000, 2)
    accounts, _, _ = bench_run.account_requests(1_000_000, 20_000, 0.01, seed=13)
    bodies = bench_run.WORK / "throughput-bodies.json"
    bodies.write_text(json.dumps([{"account": a} for a in accounts]))
    runs: list[dict[str, object]] = []
    for n in range(args.servers):
        for kind, app in KINDS.items():
            server, port, secret = tp.start_server(f"sqlite:///{path}", 2, {}, app, ["--http=finguard.app.protocol:AdmissionHttpTools"])
            try:
                time.sleep(2)
                for conns in (64, 64, 256):
                    pids = workers_of(server.pid)
                    before = {p: server_cpu(p) for p in pids}
                    r = tp.drive(port, secret, bodies, args.rate, args.seconds, conns)
                    cpu = [round(server_cpu(p) - before[p], 2) for p in pids]
                    share = round(max(cpu) / sum(cpu), 3) if sum(cpu) else None
                    run = {"server": n + 1, "kind": kind, "connections": conns, "worker_cpu_s": cpu, "busier_share": share,
                           "p99_ms": r["p99_ms"], "load": os.getloadavg()[0]}  # fmt: skip
                    print(json.dumps(run), flush=True)
                    runs.append(run)
            finally:
                server.terminate()
                server.wait(timeout=30)
    out = HERE.parent / "results" / "issue19_worker_balance.json"
    out.write_text(json.dumps({"rate": args.rate, "seconds": args.seconds, "runs": runs}, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
