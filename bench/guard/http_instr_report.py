"""Issue #19: read one instrumented guard-server run (``http_instr.py``) with the loadgen's timeline.

    python bench/guard/http_instr_report.py TIMELINE.json INSTR.json

Prints: each thread's CPU per request over the measured window; the batcher's CPU per event per
half second (the name cache and the rest warming up); where the slowest requests fell in the run;
for latency bands, the time the process's threads waited for a core (run queue) while those
requests were in the app. Prints one JSON document.
"""

from __future__ import annotations

import bisect
import json
import sys
from typing import Any


def report(timeline: dict[str, Any], rec: dict[str, Any]) -> dict[str, Any]:
    t0 = timeline["start_wall"]
    rows = timeline["rows"]
    t1 = t0 + max(r[0] for r in rows)
    snaps = rec["threads_cpu"]
    a = min(snaps, key=lambda s: abs(s[0] - t0))
    b = min(snaps, key=lambda s: abs(s[0] - t1))
    n = sum(1 for q in rec["req"] if a[0] <= q[0] <= b[0])
    threads = {k: round((v[0] - a[1].get(k, (0, 0))[0]) / n, 3) for k, v in b[1].items() if k != "instr-sampler"}
    threads = {k: v for k, v in sorted(threads.items(), key=lambda kv: -kv[1]) if v >= 0.005}
    per_half: list[float | None] = []
    for k in range(-2, 2 * int(t1 - t0) + 1):
        batches = [x for x in rec["batch"] if k * 0.5 <= x[0] - t0 < (k + 1) * 0.5]
        events = sum(x[2] for x in batches)
        per_half.append(round(sum(x[3] for x in batches) / events, 2) if events else None)
    lat = sorted(r[1] for r in rows)
    p99 = lat[int(len(lat) * 0.99)]
    slow_per_second = [sum(1 for r in rows if r[1] >= p99 and s <= r[0] < s + 1) for s in range(int(t1 - t0) + 1)]
    sched = rec["sched"]
    times = [s[0] for s in sched]

    def cumulative(t: float, i: int) -> float:
        k = bisect.bisect_right(times, t) - 1
        if k < 0:
            return float(sched[0][i])
        if k >= len(sched) - 1:
            return float(sched[-1][i])
        x, y = sched[k], sched[k + 1]
        return float(x[i] + (t - x[0]) / (y[0] - x[0]) * (y[i] - x[i]))

    reqs = sorted(
        (ms, cumulative(t + ms / 1000, 2) - cumulative(t, 2), cumulative(t + ms / 1000, 1) - cumulative(t, 1))
        for t, ms in rec["req"]
        if t >= t0
    )
    bands = {}
    for lo, hi in ((0, 0.5), (0.5, 0.9), (0.9, 0.99), (0.99, 1.0)):
        part = reqs[int(lo * len(reqs)) : int(hi * len(reqs))]
        bands[f"p{int(lo * 100)}-p{int(hi * 100)}"] = {
            "ms_in_app": round(sum(x[0] for x in part) / len(part), 1),
            "threads_run_queue_wait_ms": round(sum(x[1] for x in part) / len(part), 1),
            "threads_cpu_ms": round(sum(x[2] for x in part) / len(part), 1),
        }
    measured = [x for x in rec["batch"] if x[0] >= t0]
    events = sum(x[2] for x in measured)
    return {
        "requests_in_window": n,
        "cpu_ms_per_request_by_thread": threads,
        "batcher_cpu_ms_per_event_per_half_second_from_minus_1s": per_half,
        "batcher_per_event_ms": {
            "wall": round(sum(x[1] for x in measured) / events, 2),
            "cpu": round(sum(x[3] for x in measured) / events, 2),
            "run_queue_wait": round(sum(x[4] for x in measured) / events, 2),
        },
        "p99_ms": p99,
        "requests_at_or_over_p99_per_second": slow_per_second,
        "latency_bands": bands,
        "gc_over_10ms_in_window": [(round(g[0] - t0, 2), g[1], g[2]) for g in rec["gc"] if g[0] >= t0 and g[1] > 10],
    }


if __name__ == "__main__":
    with open(sys.argv[1]) as f, open(sys.argv[2]) as g:
        print(json.dumps(report(json.load(f), json.load(g)), indent=1))
