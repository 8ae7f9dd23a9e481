"""CPU a command costs a user (#10): `finguard` commands timed as child processes.

Runs each command several times against one database that holds the demo lists (OFAC SDN + UN +
the synthetic Chinese lists: 27,002 listed names) and records the CPU seconds (user + system)
each run took, which depend far less on other load than wall time. Give the `finguard`
executable of the checkout to measure and a folder for its data::

    python bench/house/commands.py --finguard /tmp/before/.venv/bin/finguard --home /tmp/before-home --label before
    python bench/house/commands.py --finguard .venv/bin/finguard --home /tmp/after-home --label after

Both FINGUARD_HOME and FINGUARD_DATABASE_URL are set, so versions before the move (which know
only the URL) use the same layout. Results go to bench/results/issue10_commands_<label>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import time
from pathlib import Path

COMMANDS = {
    "finguard --help": ["--help"],
    "keys create": ["keys", "create", "{n}", "--role", "analyst"],
    "lists create": ["lists", "create", "tmp{n}", "--name", "t", "--kind", "internal", "--owner", "bank", "--level", "high"],
    "guard controls set": ["guard", "controls", "set", "C{n}", '{{"night_lock": {{"enabled": true}}}}'],
    "check (input error)": ["check", "--account", "not-an-account"],
    "check by account": ["check", "--account", "6222021001122334455"],
    "check by name": ["check", "--name", "Nicolas Maduro Moros"],
}


def run(finguard: str, args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([finguard, *args], env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--finguard", required=True)
    ap.add_argument("--home", required=True, type=Path)
    ap.add_argument("--label", required=True)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    a.home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "FINGUARD_HOME": str(a.home), "FINGUARD_DATABASE_URL": f"sqlite:///{a.home / 'finguard.db'}"}
    env["FINGUARD_INDEX_DIR"] = str(a.home / "index")
    if not (a.home / "finguard.db").exists():
        subprocess.run([a.finguard, "demo"], env=env, capture_output=True, check=True)
    results = {}
    n = int(time.time())
    for label, template in COMMANDS.items():
        cpus, walls, codes = [], [], []
        for i in range(a.runs):
            args = [t.format(n=f"{n}{i}") for t in template]
            cpu, wall, code = run(a.finguard, args, env)
            cpus.append(cpu)
            walls.append(wall)
            codes.append(code)
        results[label] = {"cpu_s_median": round(statistics.median(cpus), 2), "cpu_s": [round(c, 2) for c in cpus],
                          "wall_s_median": round(statistics.median(walls), 2), "exit_codes": codes}
        print(f"{label:24s} cpu {statistics.median(cpus):6.2f} s   wall {statistics.median(walls):6.2f} s   exit {codes}")
    out = Path(__file__).resolve().parents[1] / "results" / f"issue10_commands_{a.label}.json"
    out.write_text(json.dumps({"label": a.label, "finguard": a.finguard, "load_average": os.getloadavg(), "runs": a.runs,
                               "results": results}, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
