"""Bench-only: every garbage collection of a server process, timed (issue #19, overload).

Put this folder first on a server's ``PYTHONPATH`` and set ``FINGUARD_BENCH_GC_DIR``: each Python
process started so (the uvicorn workers of ``finguard serve``) rewrites ``gc-<pid>.json`` in that
folder once a second with every collection of generation 2, and every collection of any
generation that took 5 ms or more, as ``[monotonic start, generation, milliseconds]``. Nothing
else is measured in the callback: it runs on the event loop, inside the pause it times.
``bench/scale/throughput.py --gc-probe`` reads them per overload round. Python imports
``sitecustomize`` at start-up by itself; without the variable this does nothing. Not for production.

It also samples, once a second, every thread's CPU and its wait for a CPU (``/proc/self/task/<tid>/
schedstat``: time run, time runnable but not running) under the thread's Python name (the event
loop's thread is ``MainThread``; worker threads ``AnyIO worker thread``), as ``threads``: a list of
``[monotonic, {name: [cpu s, run-queue wait s, threads of that name]}]``: where a loaded server's
CPU goes, and how long its loop waited for the machine's cores.

With ``FINGUARD_BENCH_STALLS=1`` it also times the event loop's stalls: a 1 ms timer on every
uvloop loop the process makes, and each time it fires 5 ms or more late, ``[monotonic, ms late,
ms the loop's thread ran, ms it waited runnable for a core]`` over the stall (its ``schedstat``
before and after); the rest of a stall is time the thread slept off the run queue: waiting for the
GIL, with the loop's timer due. As ``stalls``. It costs the loop ~1,000 short callbacks a second.
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

    _threads: list[Any] = []

    def _thread_sample() -> None:
        by_name: dict[str, list[float]] = {}
        for t in threading.enumerate():
            try:
                run_ns, wait_ns, _ = Path(f"/proc/self/task/{t.native_id}/schedstat").read_text().split()
            except (OSError, ValueError):
                continue
            # a numbered thread name (a worker's, a robot's) counts under its stem
            name = t.name.split(" (", 1)[0].rstrip("-0123456789") or t.name
            acc = by_name.setdefault(name, [0.0, 0.0, 0])
            acc[0] += int(run_ns) / 1e9
            acc[1] += int(wait_ns) / 1e9
            acc[2] += 1
        _threads.append([time.monotonic(), by_name])

    def _writer() -> None:
        while True:
            time.sleep(1)
            _thread_sample()
            tmp = _path.with_suffix(".tmp")
            tmp.write_text(
                json.dumps(
                    {"pid": os.getpid(), "events": list(_events), "types": list(_typed), "threads": list(_threads), "stalls": list(_stalls)}
                )
            )
            tmp.replace(_path)

    _stalls: list[list[float]] = []

    if os.environ.get("FINGUARD_BENCH_STALLS") == "1":
        import uvloop

        _new_loop = uvloop.new_event_loop

        def _schedstat(fd: int) -> tuple[int, int]:
            run, wait, _ = os.pread(fd, 100, 0).split()
            return int(run), int(wait)

        def _stall_probe(loop: Any) -> None:
            fd = os.open("/proc/thread-self/schedstat", os.O_RDONLY)  # the loop's own thread
            clock = time.perf_counter
            state = [clock() + 0.001, _schedstat(fd)]

            def tick() -> None:
                now = clock()
                late = now - state[0]
                stat = _schedstat(fd)
                if late >= 0.005:
                    (run0, wait0), (run1, wait1) = state[1], stat
                    _stalls.append(
                        [time.monotonic(), round(late * 1000, 2), round((run1 - run0) / 1e6, 2), round((wait1 - wait0) / 1e6, 2)]
                    )
                state[0], state[1] = now + 0.001, stat
                loop.call_later(0.001, tick)

            loop.call_later(0.001, tick)

        def _new_event_loop() -> Any:
            loop = _new_loop()
            loop.call_soon(_stall_probe, loop)
            return loop

        uvloop.new_event_loop = _new_event_loop

    gc.callbacks.append(_callback)
    threading.Thread(target=_writer, name="bench-gc-probe", daemon=True).start()
