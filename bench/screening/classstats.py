"""Per-class counts of a labelled query set, shared by the development benches (devloop.py, blk5_dev.py).

``class_stats(screener, queries, show)``: for each (class, query, true entry id, listed name) screen the query
(limit 20) and count, per class, [n, found among the hits, found as the top hit (or tied with it), blocked (the
entry reaches scoring)]. ``show`` names what to print: ``NOTBLOCKED``, ``MISS`` and/or ``NOTTOP`` lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from finguard.screening.service import ScreenQuery


def class_stats(s: Any, queries: list[tuple[str, str, int, str]], show: Collection[str] = ()) -> dict[str, list[int]]:
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for cls, q, eid, listed in queries:
        hits = s.screen(ScreenQuery(q), limit=20)
        blocked = eid in s.candidate_entries(q)
        found = any(x.entry_id == eid for x in hits)
        top = bool(hits) and any(x.entry_id == eid and x.score >= hits[0].score for x in hits)
        st = stats[cls]
        st[0] += 1
        st[1] += found
        st[2] += top
        st[3] += blocked
        if not blocked:
            if "NOTBLOCKED" in show:
                print(f"NOTBLOCKED {cls}: {q!r} -> {listed!r}")
        elif not found:
            if "MISS" in show:
                print(f"MISS {cls}: {q!r} -> {listed!r}")
        elif not top and "NOTTOP" in show:
            mine = [x.score for x in hits if x.entry_id == eid]
            print(f"NOTTOP {cls}: {q!r} -> {listed!r} ; top {hits[0].listed_name!r} {hits[0].score} vs {mine}")
    return stats
