"""Issue #19: the guard server instrumented, to find where a slow request's time went (bench only).

    FINGUARD_BENCH_APP=http_instr:app FINGUARD_INSTR_OUT=/tmp/x.json \\
    PYTHONPATH=src:bench/guard:/tmp/faker_env python bench/guard/http_ab.py --rates 250 --dump /tmp/t --out /tmp/r.json

The serving app (``create_app(freeze_gc=True)``, as ``finguard.app.asgi``) wrapped to record, and
write at shutdown: every garbage collection (start, ms, generation, thread); every batch the
guard's batcher decides (start, wall ms, events, the thread's CPU ms and its run-queue wait ms from
``/proc/thread-self/schedstat``: time it was ready to run and the OS gave it no core); the event
loop's lateness past 5 ms; each ``POST /api/v1/guard/events`` (arrival, ms in the app); every
10 ms the process's summed CPU and run-queue wait, and every 100 ms each thread's, by name.
Linux only. Read with the loadgen's ``--dump`` (same wall clock).
"""

from __future__ import annotations

import asyncio
import gc
import glob
import json
import os
import threading
import time
from typing import Any

from finguard.app.http import create_app
from finguard.guard.service import batcher as batcher_module

OUT = os.environ.get("FINGUARD_INSTR_OUT", "/tmp/finguard-instr.json")
rec: dict[str, list[Any]] = {"gc": [], "batch": [], "lag": [], "req": [], "sched": [], "threads_cpu": []}
_gc_start: dict[int, float] = {}


def _gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_start[threading.get_ident()] = time.time()
        return
    t0 = _gc_start.pop(threading.get_ident(), None)
    if t0 is not None:
        ms = round((time.time() - t0) * 1000, 3)
        rec["gc"].append((t0, ms, info["generation"], info["collected"], threading.current_thread().name))


gc.callbacks.append(_gc)


def _schedstat(path: str = "/proc/thread-self/schedstat") -> tuple[float, float]:
    with open(path) as f:
        cpu, wait = f.read().split()[:2]
    return int(cpu) / 1e6, int(wait) / 1e6


_decide = batcher_module.DecisionBatcher._decide


def _timed_decide(self: Any, batch: Any) -> None:
    t0 = time.time()
    c0, q0 = _schedstat()
    try:
        _decide(self, batch)
    finally:
        c1, q1 = _schedstat()
        rec["batch"].append((t0, round((time.time() - t0) * 1000, 3), len(batch), round(c1 - c0, 3), round(q1 - q0, 3)))


batcher_module.DecisionBatcher._decide = _timed_decide  # type: ignore[method-assign]


def _threads() -> dict[str, tuple[float, float]]:
    names = {t.native_id: t.name for t in threading.enumerate()}
    out = {}
    for path in glob.glob("/proc/self/task/*/schedstat"):
        tid = int(path.split("/")[4])
        try:
            out[names.get(tid, str(tid))] = _schedstat(path)
        except OSError:
            continue
    return out


def _sampler() -> None:
    n = 0
    while True:
        n += 1
        per = _threads()
        rec["sched"].append((time.time(), sum(c for c, _ in per.values()), sum(w for _, w in per.values())))
        if n % 10 == 0:
            rec["threads_cpu"].append((time.time(), per))
        time.sleep(0.01)


threading.Thread(target=_sampler, name="instr-sampler", daemon=True).start()
inner = create_app(freeze_gc=True)
_started = False
_tasks: list[asyncio.Task[None]] = []


async def _lag() -> None:
    while True:
        t = time.perf_counter()
        await asyncio.sleep(0.002)
        late = (time.perf_counter() - t - 0.002) * 1000
        if late > 5:
            rec["lag"].append((time.time(), round(late, 2)))


async def app(scope: Any, receive: Any, send: Any) -> None:
    global _started
    if not _started:
        _started = True
        _tasks.append(asyncio.get_running_loop().create_task(_lag()))
    if scope["type"] == "lifespan":

        async def sending(message: Any) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                with open(OUT, "w") as f:
                    json.dump(rec, f)
            await send(message)

        await inner(scope, receive, sending)
        return
    if scope["type"] == "http" and scope["path"] == "/api/v1/guard/events":
        t0 = time.time()
        await inner(scope, receive, send)
        rec["req"].append((t0, round((time.time() - t0) * 1000, 3)))
        return
    await inner(scope, receive, send)
