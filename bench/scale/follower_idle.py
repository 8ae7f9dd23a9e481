"""CPU an idle serving process spends keeping its lists current (the change follower), #19.

    python bench/scale/follower_idle.py LABEL URL [SECONDS]

Starts a ``Platform`` on URL (SQLite file or PostgreSQL; the bench list of ``bench/dataset.py``),
lets its follower run with no traffic and no list changes, and reports the process's CPU time
(every thread) per wall second, with the follower's read interval. Run it against an older tree
with ``PYTHONPATH=<old>/src`` to compare. Appends to ``bench/results/issue19_follower_idle.json``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from finguard.app.platform import Platform
from finguard.core.settings import Settings

OUT = Path(__file__).resolve().parents[1] / "results" / "issue19_follower_idle.json"


def main() -> None:
    label, url = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    p = Platform(Settings(database_url=url, demo_on_first_start=False))
    try:
        p.follower  # noqa: B018 - build and start following
        time.sleep(2)
        c0, w0 = time.process_time(), time.monotonic()
        time.sleep(seconds)
        c1, w1 = time.process_time(), time.monotonic()
        row = {
            "label": label,
            "db": "sqlite" if url.startswith("sqlite") else "postgresql",
            "waiter": type(p.follower.waiter).__name__,
            "read_interval_ms": round(p.follower.poll_seconds * 1000, 1),
            "cpu_percent_of_a_core": round(100 * (c1 - c0) / (w1 - w0), 2),
            "seconds": seconds,
            "load": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        p.close()
    rows = json.loads(OUT.read_text()) if OUT.exists() else []
    rows.append(row)
    OUT.write_text(json.dumps(rows, indent=1) + "\n")
    print(row)


if __name__ == "__main__":
    main()
