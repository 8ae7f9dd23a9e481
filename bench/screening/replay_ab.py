"""Scoring CPU of two versions of ``similarity.py`` on the same recorded calls, in one process (issue #16, dev split only).

    PYTHONHASHSEED=0 PYTHONPATH=src python bench/screening/replay_ab.py OLD/similarity.py NEW/similarity.py

Screens the dev latency set's queries once (``heldout.dev_latency_set``: OFAC + UN + 80k, never the held-out split),
takes the 1 % slowest and 300 others, and records every ``name_similarity`` call they make. Then replays those calls
through both files' ``name_similarity`` (each query with a fresh memo, as ``screen`` keeps one), six times with the
order alternated, asserts equal answers (similarity and the pair of variants) and prints each side's CPU. Both sides
see the same load, so a few per cent show where ``latency_ab.py`` across two processes drowns them in noise.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import heldout as H

from finguard.screening.service import matcher as M


def _load(path: str, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def slowest_share(s: Any, queries: list[str]) -> list[str]:
    """The 1 % of ``queries`` that took ``s.match`` the most CPU (screened once, in turn)."""
    cpu = {}
    for q in queries:
        c = time.thread_time()
        s.match(q)
        cpu[q] = time.thread_time() - c
    return sorted(cpu, key=lambda q: -cpu[q])[: len(cpu) // 100]


def main() -> None:
    old, new = _load(sys.argv[1], "similarity_old"), _load(sys.argv[2], "similarity_new")
    s, queries = H.dev_latency_set()
    slow = slowest_share(s, queries)
    calls: dict[str, tuple[Any, list[Any]]] = {}
    orig = M.name_similarity
    current = [""]

    def record(q: Any, c: Any, memo: Any = None) -> Any:
        calls.setdefault(current[0], (q, []))[1].append(c)
        return orig(q, c, memo)

    M.name_similarity = record
    for q in slow + random.Random(5).sample(queries, 300):
        current[0] = q
        s.screen(M.ScreenQuery(q))
    M.name_similarity = orig

    def reset() -> None:  # what a Prepared keeps of its first comparisons: both sides start without it
        for qp, cs in calls.values():
            for p in [*qp, *(x for c in cs for x in c)]:
                p.korean_spellings = p.korean_rotations = p.probe_side = None

    def run(mod: ModuleType, keys: list[str]) -> tuple[float, list[tuple[float, Any, Any]]]:
        out = []
        t = time.thread_time()
        for k in keys:
            qp, cs = calls[k]
            memo: dict[Any, Any] = {}
            out.extend(mod.name_similarity(qp, c, memo) for c in cs)
        return time.thread_time() - t, out

    def same(a: list[tuple[float, Any, Any]], b: list[tuple[float, Any, Any]]) -> bool:
        return [(x[0], x[1] and x[1].tokens, x[2] and x[2].tokens) for x in a] == [
            (x[0], x[1] and x[1].tokens, x[2] and x[2].tokens) for x in b
        ]

    sets = {"slowest 1 %": [q for q in slow if q in calls], "all recorded": list(calls)}
    times: dict[tuple[str, str], list[float]] = {}
    for r in range(6):
        answers: dict[str, list[tuple[float, Any, Any]]] = {}
        for label, mod in [("old", old), ("new", new)][:: 1 if r % 2 == 0 else -1]:
            for name, keys in sets.items():
                reset()
                t, out = run(mod, keys)
                times.setdefault((label, name), []).append(t)
                answers[label] = out
        assert same(answers["old"], answers["new"]), "the two versions answer differently"
    for (label, name), ts in sorted(times.items()):
        ts.sort()
        print(f"{label} {name}: min {ts[0] * 1000:.1f} ms, median {ts[len(ts) // 2] * 1000:.1f} ms")
    print("calls", sum(len(c) for _, c in calls.values()))


if __name__ == "__main__":
    main()
