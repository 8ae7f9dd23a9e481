"""Issue #19 (guardhttp7): the guard over HTTP, two sides alternated, each a checkout and an environment.

    python bench/guard/guardhttp7_ab.py --side base=/work/wt/base --side branch=/work/wt/guardhttp7 \\
        --rounds 2 --rates 500,1000 --out bench/results/guardhttp7_ab.jsonl
    ... --side compiled=/work/wt/guardhttp7 --side pure=/work/wt/guardhttp7:FINGUARD_PURE_PYTHON=1

Each run is that checkout's own ``bench/guard/http_ab.py`` (``--db sqlite --model --mix bank``,
``finguard serve`` with the protocol load generator, ``--warmup-seconds 5``), its PYTHONPATH the
checkout's ``src`` (and ``/tmp/faker_env``), the PaySim model of ``FINGUARD_BENCH_MODEL``
(``/work/wt/model/model.txt`` by default). The order of the sides flips every round. One JSON line
a run: side, round, ``uptime`` before and after, and the rates' results as ``http_ab`` wrote them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", action="append", required=True, help="label=checkout[:VAR=value...]")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--rates", default="500,1000")
    ap.add_argument("--seconds", default="10")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    sides = []
    for spec in args.side:
        label, rest = spec.split("=", 1)
        tree, *assigns = rest.split(":")
        sides.append((label, tree, dict(a.split("=", 1) for a in assigns)))
    python = os.environ.get("FINGUARD_BENCH_PYTHON", "/work/main/.venv/bin/python")
    for rnd in range(1, args.rounds + 1):
        order = sides if rnd % 2 else list(reversed(sides))
        for label, tree, extra in order:
            env = dict(os.environ)
            env.update(
                FINGUARD_BENCH_MODEL=os.environ.get("FINGUARD_BENCH_MODEL", "/work/wt/model/model.txt"),
                FINGUARD_BENCH_LOADGEN="protocol",
                FINGUARD_BENCH_APP="serve",
                PYTHONPATH=f"{tree}/src:/tmp/faker_env",
            )
            env.pop("FINGUARD_PURE_PYTHON", None)
            env.update(extra)
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                before = uptime()
                cmd = [python, f"{tree}/bench/guard/http_ab.py", "--db", "sqlite", "--model", "--mix", "bank"]
                cmd += ["--rates", args.rates, "--seconds", args.seconds, "--warmup-seconds", "5", "--out", out.name]
                subprocess.run(cmd, env=env, cwd=tree, check=True, capture_output=True)
                result = json.loads(Path(out.name).read_text())
            line = {"side": label, "round": rnd, "tree": tree, "env": extra, "uptime_before": before}
            line.update(uptime_after=uptime(), result=result)
            with open(args.out, "a") as f:
                f.write(json.dumps(line) + "\n")
            print(json.dumps({k: line[k] for k in ("side", "round", "uptime_before")}), flush=True)


if __name__ == "__main__":
    main()
