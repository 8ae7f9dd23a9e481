"""Where the p99 tail's scoring CPU goes: entries dropped after their names' similarity vs entries finished (issue #16).

    PYTHONHASHSEED=0 PYTHONPATH=src:/tmp/screen_extra python bench/screening/score_split.py [--arabic] [--tail 0.01]

Same index and queries as ``tail_profile.py`` (dev split only). Every query is timed (thread CPU, best of two warm
rounds); for the slowest ``--tail`` share, ``NameScreener._score`` is wrapped (no profiler: thread CPU around each
call) and each call counted as *dropped* (returned without reaching ``_finish``: every name below ``close_match -
0.1`` and no subset rule's reach, the case an upper bound on ``name_similarity`` could skip) or *finished*. Prints
one JSON line: the queries' CPU, the share of it in ``_score``, the dropped / finished calls and CPU, and how far
below ``close_match`` the dropped entries' best similarity is (``dropped_gap``: counts by 0.1 steps of ``close_match -
best``; the room an upper bound on ``name_similarity`` would have).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tail_profile import slowest

import finguard.screening.service.matcher as M


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--arabic", action="store_true")
    ap.add_argument("--tail", type=float, default=0.01)
    args = ap.parse_args()
    s, _queries, _cpu, slow = slowest(args.arabic, args.tail)
    score, finish, similarity = M.NameScreener._score, M.NameScreener._finish, M.name_similarity
    state: dict[str, Any] = {"finished": False, "best": 0.0}

    def similarity_wrapped(*a: Any, **k: Any) -> Any:
        out = similarity(*a, **k)
        state["best"] = max(state["best"], out[0])
        return out

    gaps: dict[str, int] = {}
    calls: dict[str, list[float]] = {"dropped": [], "finished": []}

    def finish_wrapped(self: Any, *a: Any, **k: Any) -> Any:
        state["finished"] = True
        return finish(self, *a, **k)

    def score_wrapped(self: Any, *a: Any, **k: Any) -> Any:
        state["finished"], state["best"] = False, 0.0
        c = time.thread_time()
        out = score(self, *a, **k)
        calls["finished" if state["finished"] else "dropped"].append((time.thread_time() - c) * 1000)
        if not state["finished"]:
            close = self.per_list.get(a[5].list_code, self.thresholds).close_match
            step = f"{min(int((close - state['best']) * 10), 9) / 10:.1f}"
            gaps[step] = gaps.get(step, 0) + 1
        return out

    M.NameScreener._score = score_wrapped  # type: ignore[method-assign]
    M.NameScreener._finish = finish_wrapped  # type: ignore[method-assign]
    M.name_similarity = similarity_wrapped
    total = 0.0
    try:
        for _ in range(3):
            for q in slow:
                c = time.thread_time()
                s.match(q)
                total += (time.thread_time() - c) * 1000
    finally:
        M.NameScreener._score, M.NameScreener._finish = score, finish  # type: ignore[method-assign]
        M.name_similarity = similarity
    line: dict[str, Any] = {"set": "arabic" if args.arabic else "default", "tail_queries": len(slow), "runs": 3}
    line["tail_cpu_ms"] = round(total, 2)
    for k, ts in calls.items():
        line[k] = {"calls": len(ts), "cpu_ms": round(sum(ts), 2), "share_of_tail": round(sum(ts) / total, 3)}
    line["dropped_gap"] = dict(sorted(gaps.items()))
    line["load"] = list(os.getloadavg())
    print(json.dumps(line))


if __name__ == "__main__":
    main()
