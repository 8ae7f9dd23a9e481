"""Issue #19, stop 23: the objects a guard keeps per decision after ``gc.freeze`` (what a server's full collections walk).

    PYTHONPATH=<checkout>/src:/tmp/faker_env python bench/guard/retained23.py LABEL

``run.setup`` on a fresh SQLite file, then the platform's own guard (no model, as ``http_ab.py``'s server has
unless ``FINGUARD_GUARD_MODEL_PATH`` is set; ``run.event_body``'s payees without the pool): 1,000 decisions in
batches of 64, ``gc.collect()`` and ``gc.freeze()`` (as ``finguard.app.http`` does at start-up), 4,000 more in
batches of 16; then the tracked objects still alive, by type, and the full collections run during the 4,000.
Counts, not times: load-independent, for A/B runs of two checkouts through PYTHONPATH. Prints one JSON line.
"""

from __future__ import annotations

import gc
import json
import random
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench


def main() -> None:
    label = sys.argv[1] if len(sys.argv) > 1 else "run"
    bench.MODEL = Path("/nonexistent")  # the harness's guard without a model too (it is not the one measured)
    work = bench.WORK / f"retained-{label}"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "r.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    platform, _ = bench.setup(f"sqlite:///{db}")
    guard = platform.guard
    from finguard.guard.model.events import parse_event

    rng = random.Random(4)
    now = datetime.now(UTC)

    def decide(n: int, batch: int) -> None:
        for s in range(0, n, batch):
            guard.decide_many([parse_event(bench.event_body(i, now, rng), guard.clock()) for i in range(s, min(n, s + batch))])

    decide(1000, 64)
    gc.collect()
    gc.freeze()
    full: list[int] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info["generation"] == 2:
            full.append(1)

    gc.callbacks.append(count)
    decide(4000, 16)
    gc.collect(0)
    gc.collect(1)
    objs = gc.get_objects()
    top = Counter(type(o).__qualname__ for o in objs).most_common(15)
    print(
        json.dumps(
            {
                "side": label,
                "tracked_after_freeze": len(objs),
                "per_decision": round(len(objs) / 4000, 1),
                "gen2_during": len(full),
                "top": top,
            }
        )
    )
    platform.close()


if __name__ == "__main__":
    main()
