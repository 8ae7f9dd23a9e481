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

    def _callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            _started[0] = time.monotonic()
            return
        took = (time.monotonic() - _started[0]) * 1000
        generation = info.get("generation", 0)
        if generation == 2 or took >= 5:
            _events.append([_started[0], generation, round(took, 3)])

    def _writer() -> None:
        while True:
            time.sleep(1)
            tmp = _path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"pid": os.getpid(), "events": list(_events)}))
            tmp.replace(_path)

    gc.callbacks.append(_callback)
    threading.Thread(target=_writer, name="bench-gc-probe", daemon=True).start()
