"""Issue #19 stop 27: CPU per bank-mix guard decision, two checkouts alternated (the guard's hot path compiled or not).

    FINGUARD_BENCH_MODEL=/path/model.txt python bench/guard/guardmypyc_ab.py \\
        --side base=/work/wt/base/src --side mypyc=src [--rounds 3] [--events 1000] [--warmup 500] [--batch 64] \\
        --out bench/results/guardmypyc_ab.jsonl

Each round runs one ``profile_decide.py --cpu --mix bank`` process per side, the order of the sides
flipping every round: a fresh SQLite database with the bench's set-up, ``--warmup`` untimed
decisions, ``--events`` decisions one ``decide_raw`` each, then ``--events`` through ``decide_many``
in batches of ``--batch``; CPU is the deciding thread's (``time.thread_time``). Each checkout runs
what its own ``var/compiled`` holds (``finguard.compiled``): the line records which modules ran
compiled, and the load average (``os.getloadavg``) before each process. One JSON line per process
appended to ``--out``; the medians per side printed at the end. Faker (the payee pool) from ``--extra-path``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROBE = "import finguard.compiled as c, finguard.guard.service.velocity, finguard.screening.model.names; print(c.status)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", action="append", required=True, help="name=path of a checkout's src")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=500)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--extra-path", default="/tmp/faker_env")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    sides = [tuple(s.split("=", 1)) for s in args.side]
    runs: list[dict[str, object]] = []
    for r in range(args.rounds):
        for name, path in sides if r % 2 == 0 else sides[::-1]:
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(Path(path).resolve()), args.extra_path) if p)}
            status = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True).stdout.strip()
            cmd = [sys.executable, str(HERE / "profile_decide.py"), "--cpu", "--mix", "bank", "--events", str(args.events)]
            cmd += ["--warmup", str(args.warmup), "--batch", str(args.batch)]
            load = os.getloadavg()
            line = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
            found = json.loads(line)
            if not found["decide"]["model_scored"]:  # a model file without its sidecar is unavailable: no scoring at all
                sys.exit(f"{name}: no decision scored by the model (FINGUARD_BENCH_MODEL names a model with its .json sidecar?)")
            run = {
                "round": r,
                "side": name,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "load_before": [round(x, 2) for x in load],
                "compiled": status,
                "decide_ms": found["decide"]["thread_cpu_ms"],
                "decide_many_ms": found[f"decide_many_{args.batch}"]["thread_cpu_ms"],
                "result": found,
            }
            runs.append(run)
            with open(args.out, "a", encoding="utf-8") as f:
                f.write(json.dumps(run, ensure_ascii=False) + "\n")
            many = f"decide_many({args.batch}) {run['decide_many_ms']:.3f} ms"
            print(f"round {r} {name:>6}: decide {run['decide_ms']:.3f} ms, {many}, load {run['load_before']}", flush=True)
    for name, _ in sides:
        mine = [x for x in runs if x["side"] == name]
        print(
            json.dumps(
                {
                    "side": name,
                    "decide_median_ms": statistics.median(float(x["decide_ms"]) for x in mine),  # type: ignore[arg-type]
                    "decide_many_median_ms": statistics.median(float(x["decide_many_ms"]) for x in mine),
                }
            )
        )  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
