"""Bench-only: every garbage collection of a server process, timed (issue #19, overload).

Put this folder first on a server's ``PYTHONPATH`` and set ``FINGUARD_BENCH_GC_DIR``: each Python
process started so (the uvicorn workers of ``finguard serve``) rewrites ``gc-<pid>.json`` in that
folder once a second with every collection of generation 2, and every collection of any
generation that took 5 ms or more, as ``[monotonic start, generation, milliseconds]``. Nothing
else is measured in the callback: it runs on the event loop, inside the pause it times.
``bench/scale/throughput.py --gc-probe`` reads them per overload round. Python imports
``sitecustomize`` at start-up by itself; without the variable this does nothing. Not for production.
"""

from __future__ import annotations

import os

_DIR = os.environ.get("FINGUARD_BENCH_GC_DIR")

if _DIR:
    import gc
    import json
    import threading
    import time
    from pathlib import Path
    from typing import Any

    _events: list[list[float]] = []
    _started = [0.0]
    _path = Path(_DIR) / f"gc-{os.getpid()}.json"

    # FINGUARD_BENCH_GC_TYPES=N: for the first N full collections, also what they found by type
    # (diagnosis only: counting the heap's objects stretches the pause it is inside).
    _types_left = [int(os.environ.get("FINGUARD_BENCH_GC_TYPES", "0") or 0)]
    _typed: list[dict[str, Any]] = []
    _old_after: list[Any] = [None]
    _pending: list[Any] = [None]

    def _by_type(generation: int | None = None) -> Any:
        from collections import Counter

        objs = gc.get_objects() if generation is None else gc.get_objects(generation)
        return Counter(type(o).__qualname__ for o in objs)

    def _top(counter: Any, n: int = 12) -> list[list[Any]]:
        return [[k, v] for k, v in counter.most_common(n) if v > 0]

    def _callback(phase: str, info: dict[str, Any]) -> None:
        generation = info.get("generation", 0)
        if phase == "start":
            if generation == 2 and _types_left[0] > 0:
                old = _by_type(2)
                _pending[0] = (old, _by_type(), gc.get_count())
            _started[0] = time.monotonic()
            return
        took = (time.monotonic() - _started[0]) * 1000
        if generation == 2 or took >= 5:
            _events.append([_started[0], generation, round(took, 3)])
        if generation == 2 and _pending[0] is not None:
            old, everything, counts = _pending[0]
            after = _by_type()
            promoted = old - _old_after[0] if _old_after[0] is not None else old
            _typed.append(
                {
                    "at": _started[0],
                    "ms": round(took, 3),
                    "old_before": sum(old.values()),
                    "all_before": sum(everything.values()),
                    "after": sum(after.values()),
                    "frozen": gc.get_freeze_count(),
                    "counts": counts,
                    "collected": info.get("collected"),
                    "promoted_top": _top(promoted),
                    "freed_top": _top(everything - after),
                }
            )
            _old_after[0] = after
            _pending[0] = None
            _types_left[0] -= 1

    def _writer() -> None:
        while True:
            time.sleep(1)
            tmp = _path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"pid": os.getpid(), "events": list(_events), "types": list(_typed)}))
            tmp.replace(_path)

    gc.callbacks.append(_callback)
    threading.Thread(target=_writer, name="bench-gc-probe", daemon=True).start()
