"""Issue #19: what a payee name the screener has not seen costs (``NameScreener.match``'s cache miss), by kind of name.

    PYTHONPATH=src:<faker> python bench/guard/screen_miss_profile.py [--names 2000] [--sanctions] [--prof] [--split]

The guard bench's set-up (``run.setup``: SQLite, the demo lists, or with ``--sanctions`` OFAC SDN
and UN too) and the first ``--names`` payees of its pool (``payees.py``: distinct names, 70 %
Chinese persons in Han characters, 10 % Chinese companies, 20 % English persons). The name cache
is turned off, so every ``match`` is a miss; 200 other pool names are matched first (loading
pypinyin, OpenCC, cutlet). Prints one JSON line: CPU per name (``time.thread_time``, ms) by kind,
the number of names with a hit, a digest of every answer (to compare two checkouts through
PYTHONPATH) and the load average. ``--split``: the next ``--names`` payees of the pool (not seen
yet, so no kept analysis flatters them) with the time of the query's analysis, candidate search
and scoring measured apart (a timer around each; it adds a little).
``--prof``: cProfile (thread CPU) per kind, top functions by cumulative and own time.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench
from payees import make_pool

KINDS = ("zh_person", "zh_company", "en_person")


def kind_of(name: str) -> str:
    """The pool's kind of a name: English persons are ASCII, Chinese companies longer than five characters."""
    if name.isascii():
        return "en_person"
    return "zh_company" if len(name) > 5 else "zh_person"


def timed(acc: dict[str, float], label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[label] = acc.get(label, 0.0) + time.thread_time() - start

    return wrapper


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--names", type=int, default=2000)
    ap.add_argument("--sanctions", action="store_true", help="the shipped OFAC SDN and UN lists too")
    ap.add_argument("--prof", action="store_true")
    ap.add_argument("--split", action="store_true")
    args = ap.parse_args()
    pool = make_pool()
    names = [n for _, n in pool[: args.names]]
    bench.WORK.mkdir(parents=True, exist_ok=True)
    db = bench.WORK / f"screen-miss-{os.getpid()}.db"
    platform, _guard = bench.setup(f"sqlite:///{db}", args.sanctions)
    screener = platform.screener
    screener.match_cache = 0  # every match a miss
    for _, name in pool[-200:]:
        screener.match(name)
    times: dict[str, list[float]] = {k: [] for k in KINDS}
    answers = []
    for name in names:
        start = time.thread_time()
        found = screener.match(name)
        times[kind_of(name)].append(time.thread_time() - start)
        answers.append((name, [(c.entry_id, c.score, c.matched_name, c.outcome) for c in found]))
    out: dict[str, Any] = {k: {"names": len(v), "ms": round(1000 * sum(v) / max(len(v), 1), 3)} for k, v in times.items()}
    every = [t for v in times.values() for t in v]
    out["all"] = {"names": len(every), "ms": round(1000 * sum(every) / max(len(every), 1), 3)}
    out["with_hits"] = sum(1 for _, found in answers if found)
    out["digest"] = hashlib.sha256(json.dumps(answers, ensure_ascii=False).encode()).hexdigest()[:16]
    out["lists"] = "demo + OFAC SDN + UN" if args.sanctions else "demo"
    out["load"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, ensure_ascii=False))
    if args.split:
        import finguard.screening.service.matcher as m

        acc: dict[str, float] = {}
        m.analyse_name = timed(acc, "analyse_name", m.analyse_name)  # type: ignore[assignment]
        m.prepare = timed(acc, "prepare", m.prepare)  # type: ignore[assignment]
        m.NameScreener._candidates = timed(acc, "candidates", m.NameScreener._candidates)  # type: ignore[method-assign]
        m.NameScreener._score = timed(acc, "score", m.NameScreener._score)  # type: ignore[method-assign]
        for kind in KINDS:
            acc.clear()
            subset = [n for _, n in pool[args.names : 2 * args.names] if kind_of(n) == kind]
            start = time.thread_time()
            for name in subset:
                screener.match(name)
            total = time.thread_time() - start
            parts = {k: round(1000 * v / len(subset), 3) for k, v in acc.items()}
            print(json.dumps({"kind": kind, "ms": round(1000 * total / len(subset), 3), **parts}))
    if args.prof:
        for kind in KINDS:
            subset = [n for n in names if kind_of(n) == kind]
            prof = cProfile.Profile(time.thread_time)
            prof.enable()
            for name in subset:
                screener.match(name)
            prof.disable()
            for order in ("cumulative", "tottime"):
                text = io.StringIO()
                pstats.Stats(prof, stream=text).sort_stats(order).print_stats(25)
                print(f"===== {kind} ({len(subset)} names), by {order}\n{text.getvalue()}")
    platform.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
