"""Issue #19: the guard server under cProfile, every thread, to see where a request's CPU goes (bench only).

    FINGUARD_BENCH_APP=http_prof:app FINGUARD_PROF_OUT=/tmp/p \\
    PYTHONPATH=src:bench/guard:/tmp/faker_env python bench/guard/http_ab.py --rates 300 \\
        --uvicorn=--http=finguard.app.protocol:AdmissionHttpTools --out /tmp/r.json

The serving app (``create_app(freeze_gc=True)``, as ``finguard.app.asgi``) with a ``cProfile``
profiler per thread: the event loop's from its first HTTP request, every thread started after
this module's import (the guard's batcher, the log writers, the list follower) from its start.
At shutdown each thread's statistics go to ``FINGUARD_PROF_OUT.<thread name>.pstats``, with
``FINGUARD_PROF_OUT.threads.json``: each thread's CPU seconds (``time.thread_time``) and the
number of guard requests. The profiler inflates every figure (more so Python-heavy code): read
the shares. Read with ``python -m pstats`` or ``http_prof.py report PREFIX``.
``FINGUARD_PROF_PID=1``: the process id in the prefix (``--workers 2``: one set of files a process).
``threads.json`` also has the guard batcher's ``batches``, ``decided`` and ``mean_batch`` (events a ``decide_many``).
``FINGUARD_BENCH_SWITCH_MS``: an experiment, ``sys.setswitchinterval`` (5 ms by default).
``FINGUARD_BENCH_BATCH_WINDOW_MS``: an experiment, the guard batcher's ``window`` (0 by default).
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import sys
import threading
import time
from typing import Any

OUT = os.environ.get("FINGUARD_PROF_OUT", "/tmp/finguard-prof")
if os.environ.get("FINGUARD_PROF_PID", "") == "1":  # several worker processes: one set of files each
    OUT = f"{OUT}.{os.getpid()}"
PROFILE = os.environ.get("FINGUARD_PROF_OFF", "") != "1"  # 1: only each thread's CPU, no profiler
_profiles: dict[str, cProfile.Profile] = {}
_cpu: dict[str, float] = {}
_requests = [0]
_live: dict[str, float] = {}
_run = threading.Thread.run


def _profiled_run(self: threading.Thread) -> None:
    prof = cProfile.Profile(time.thread_time)
    if PROFILE:
        _profiles[self.name] = prof
    t0 = time.thread_time()
    _live[self.name] = t0
    if PROFILE:
        prof.enable()
    try:
        _run(self)
    finally:
        prof.disable()
        _cpu[self.name] = time.thread_time() - t0


def _dump() -> None:
    for name, prof in list(_profiles.items()):
        if name == "main":
            prof.disable()
        try:
            prof.dump_stats(f"{OUT}.{name}.pstats")
        except Exception as exc:  # a thread still running: its stats so far
            print(f"http_prof: {name}: {exc}", file=sys.stderr)
    threads = {t.native_id: t.name for t in threading.enumerate()}
    for tid, name in threads.items():  # threads still running: their CPU from /proc
        if name in _live and name not in _cpu:
            try:
                with open(f"/proc/self/task/{tid}/schedstat") as f:
                    _cpu[name] = int(f.read().split()[0]) / 1e9
            except OSError:
                pass
    with open(f"{OUT}.threads.json", "w") as f:
        batches = sum(b.batches for b in _batchers)
        decided = sum(b.decided for b in _batchers)
        json.dump(
            {
                "requests": _requests[0],
                "cpu_s": _cpu,
                "profiled": PROFILE,
                "batches": batches,
                "decided": decided,
                "mean_batch": round(decided / batches, 2) if batches else None,
            },
            f,
        )


def report(prefix: str, top: int = 40) -> None:
    with open(f"{prefix}.threads.json") as f:
        info = json.load(f)
    print(info)
    import glob

    for path in sorted(glob.glob(f"{prefix}.*.pstats")):
        print(f"==== {path}")
        st = pstats.Stats(path)
        st.sort_stats("cumulative").print_stats(top)
        st.sort_stats("tottime").print_stats(top)


if __name__ == "__main__" and sys.argv[1:2] == ["report"]:
    report(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 40)
    raise SystemExit

threading.Thread.run = _profiled_run  # type: ignore[method-assign]

from finguard.app.http import create_app  # noqa: E402
from finguard.guard.service import batcher as _batcher  # noqa: E402

_batchers: list[Any] = []  # every guard batcher made: its batches and decided events go in threads.json
_init_count = _batcher.DecisionBatcher.__init__


def _init_counted(self: Any, *args: Any, **kwargs: Any) -> None:
    _init_count(self, *args, **kwargs)
    _batchers.append(self)


_batcher.DecisionBatcher.__init__ = _init_counted  # type: ignore[method-assign]

_WINDOW = os.environ.get("FINGUARD_BENCH_BATCH_WINDOW_MS", "")
if _WINDOW:  # an experiment: the batcher waits this long for company before deciding a lone event
    _init = _batcher.DecisionBatcher.__init__

    def _init_window(self: Any, guard: Any, **kwargs: Any) -> None:
        _init(self, guard, **{**kwargs, "window": float(_WINDOW) / 1000})

    _batcher.DecisionBatcher.__init__ = _init_window  # type: ignore[method-assign]

_SWITCH = os.environ.get("FINGUARD_BENCH_SWITCH_MS", "")
if _SWITCH:  # an experiment: the interpreter's GIL switch interval (5 ms by default)
    sys.setswitchinterval(float(_SWITCH) / 1000)

inner = create_app(freeze_gc=True)
_t0 = [0.0]


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":

        async def sending(message: Any) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                _cpu["main"] = time.thread_time() - _t0[0]
                _dump()
            await send(message)

        await inner(scope, receive, sending)
        return
    if not _t0[0] and scope["type"] == "http":
        _t0[0] = time.thread_time()
        if PROFILE:
            prof = cProfile.Profile(time.thread_time)
            _profiles["main"] = prof
            prof.enable()
    if scope["type"] == "http" and scope["path"] == "/api/v1/guard/events":
        _requests[0] += 1
    await inner(scope, receive, send)
