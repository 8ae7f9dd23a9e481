"""Issue #19: CPU per guard decision of two checkouts, alternated on one machine.

    python bench/guard/cpu_ab.py --side main=/tmp/old/src --side branch=src \\
        [--rounds 3] [--batches 64,200] [--events 3000] [--warmup 1000] --out bench/results/issue19_guard_cpu_ab.json

Each round runs, for every batch size and every side in turn (the order of the sides flips every
round), one ``profile_decide.py --cpu`` process: a fresh SQLite database with the bench's set-up,
``--warmup`` untimed decisions, then ``--events`` decisions one ``decide_raw`` each and ``--events``
through ``decide_many`` in batches of the size (``parse_event`` included). CPU is the deciding
thread's (``time.thread_time``). The same seeded payees on both sides; the load average before and
after each process is recorded. Extra ``PYTHONPATH`` entries (Faker for the payee pool) come from
``--extra-path``.
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", action="append", required=True, help="name=path of a checkout's src")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batches", default="64,200")
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=1000)
    ap.add_argument("--extra-path", default="/tmp/faker_env")
    ap.add_argument("--sanctions", action="store_true")
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    sides = [tuple(s.split("=", 1)) for s in args.side]
    batches = [int(b) for b in args.batches.split(",")]
    runs: list[dict[str, object]] = []
    for r in range(args.rounds):
        order = sides if r % 2 == 0 else sides[::-1]
        for batch in batches:
            for name, path in order:
                env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(Path(path).resolve()), args.extra_path) if p)}
                cmd = [sys.executable, str(HERE / "profile_decide.py"), "--cpu", "--events", str(args.events), "--warmup", str(args.warmup)]
                cmd += ["--batch", str(batch), "--db", args.db] + (["--sanctions"] if args.sanctions else [])
                line = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
                found = json.loads(line)
                run = {"round": r, "side": name, "batch": batch, **found}
                runs.append(run)
                many = found[f"decide_many_{batch}"]
                print(
                    f"round {r} batch {batch:>3} {name:>8}: decide {found['decide']['thread_cpu_ms']:.3f} ms, "
                    f"decide_many {many['thread_cpu_ms']:.3f} ms ({found['load_start']})",
                    flush=True,
                )
    summary: dict[str, dict[str, object]] = {}
    for name, _ in sides:
        mine = [x for x in runs if x["side"] == name]
        entry: dict[str, object] = {"decide_thread_cpu_ms": sorted(x["decide"]["thread_cpu_ms"] for x in mine)}  # type: ignore[index]
        for batch in batches:
            vals = sorted(x[f"decide_many_{batch}"]["thread_cpu_ms"] for x in mine if x["batch"] == batch)  # type: ignore[index]
            entry[f"decide_many_{batch}_thread_cpu_ms"] = vals
            entry[f"decide_many_{batch}_median"] = statistics.median(vals)
        entry["decide_median"] = statistics.median(entry["decide_thread_cpu_ms"])  # type: ignore[arg-type]
        summary[name] = entry
    doc = {
        "what": "CPU per guard decision (thread_time of the deciding thread), profile_decide.py --cpu, alternated",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "events": args.events,
        "db": args.db,
        "warmup": args.warmup,
        "sides": dict(sides),
        "summary": summary,
        "runs": runs,
    }
    Path(args.out).write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
