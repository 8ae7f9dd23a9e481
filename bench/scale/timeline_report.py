"""Where a request's time goes under overload: a summary of ``bench/loadgen.py --timeline`` output.

    python bench/scale/timeline_report.py TIMELINE.json [...]

Per status (200 served, 503 refused), p50 / p99 of each stretch, in ms, every stretch measured on
CLOCK_MONOTONIC in the load generator or (with ``bench/scale/timed_asgi.py``) in the server:
``generator`` scheduled time -> the generator's task ran (its own lag), ``connection`` -> a free
keep-alive connection, ``write`` -> the request written, ``to parse`` -> uvicorn's parser began it
(the server's loop read the socket), ``to app`` -> the ASGI app was called (the task's wait in the
loop's line), ``app`` -> the response started, ``back`` -> the generator read the answer. A refusal
written by the protocol (``finguard.app.protocol``) has no server stamps: its ``to answer`` is
write -> answer read.
"""

from __future__ import annotations

import json
import sys
from typing import Any

STRETCHES = ["generator", "connection", "write", "to parse", "to app", "app", "back"]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def summarise(path: str) -> dict[str, Any]:
    rows = json.load(open(path))["rows"]
    out: dict[str, Any] = {}
    for status in sorted({r[-1] for r in rows}):
        mine = [r for r in rows if r[-1] == status]
        stamped = [r for r in mine if len(r) == 9]  # scheduled, task, conn, written, parse, app, start, latency, status
        bare = [r for r in mine if len(r) == 6]  # scheduled, task, conn, written, latency, status
        part: dict[str, Any] = {
            "count": len(mine),
            "total_p50": round(pct([r[-2] for r in mine], 50), 2),
            "total_p99": round(pct([r[-2] for r in mine], 99), 2),
        }
        if stamped:
            cols = list(
                zip(*[[r[1], r[2] - r[1], r[3] - r[2], r[4] - r[3], r[5] - r[4], r[6] - r[5], r[7] - r[6]] for r in stamped], strict=True)
            )
            part["through_app"] = {
                "count": len(stamped),
                **{name: [round(pct(list(c), 50), 2), round(pct(list(c), 99), 2)] for name, c in zip(STRETCHES, cols, strict=True)},
            }
        if bare:
            cols = list(zip(*[[r[1], r[2] - r[1], r[3] - r[2], r[4] - r[3]] for r in bare], strict=True))
            part["no_app"] = {
                "count": len(bare),
                **{
                    name: [round(pct(list(c), 50), 2), round(pct(list(c), 99), 2)]
                    for name, c in zip(["generator", "connection", "write", "to answer"], cols, strict=True)
                },
            }
        out[str(status)] = part
    return out


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(p)
        print(json.dumps(summarise(p), indent=1))
