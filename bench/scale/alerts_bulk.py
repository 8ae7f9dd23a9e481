"""Alerts stored in bulk on PostgreSQL (issue #19): ``add_alerts`` of N screening alerts, 1,000 a call.

    PYTHONPATH=src python bench/scale/alerts_bulk.py --alerts 20000 [--label main]

A throw-away schema (``bench/pgstore.py``); prints one JSON line (seconds, client CPU, the server
backend's CPU, load) and appends it to ``bench/results/issue19_alerts_bulk.json``. ``finguard`` is
imported from PYTHONPATH, so an A/B run points PYTHONPATH at the other tree and sets ``--label``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pgstore import BackendCpu, throwaway_store  # noqa: E402  (bench/pgstore.py)

from finguard.alerts.model import AlertDraft  # noqa: E402
from finguard.core.clock import utcnow  # noqa: E402
from finguard.core.db import make_engine, upgrade  # noqa: E402
from finguard.screening.store import SqlDiligenceStore  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=20_000)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    n = args.alerts
    drafts = [
        AlertDraft("screening_hit", f"party:{i}", "high", f"Party {i} matches a listed name 名单", {"entry": i, "zh": "命中"})
        for i in range(n)
    ]
    with throwaway_store("postgres") as url:
        engine = make_engine(url)
        upgrade(engine)
        cpu = BackendCpu(engine)
        engine.dispose()  # every later connection is seen
        store = SqlDiligenceStore(engine)
        store.add_alerts(drafts[:10], utcnow())  # warm-up
        load0 = os.getloadavg()[0]
        cpu.start()
        c, t = time.process_time(), time.perf_counter()
        for i in range(0, n, 1000):
            store.add_alerts(drafts[i : i + 1000], utcnow())
        out = {
            "label": args.label,
            "alerts": n,
            "seconds": round(time.perf_counter() - t, 2),
            "client_cpu_s": round(time.process_time() - c, 2),
            **cpu.read(),
            "load_1min_before_after": [round(load0, 2), round(os.getloadavg()[0], 2)],
        }
        engine.dispose()
    print(json.dumps(out))
    path = HERE.parent / "results" / "issue19_alerts_bulk.json"
    runs = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps([*runs, out], indent=1) + "\n")


if __name__ == "__main__":
    main()
