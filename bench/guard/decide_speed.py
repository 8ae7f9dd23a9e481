"""Issue #11: how fast the guard decides with today's velocity windows, on realistic events.

    python bench/guard/decide_speed.py [--events 20000] [--warmup 2000]

Set-up: a platform on a fresh SQLite database (``bench/work/guard-speed/``) with the demo risk
lists (so a transfer's payee is checked), the starter pack installed, the default velocity
features (every window of ``DEFAULT_FEATURES``: 36 today) in memory, no model. Two streams of
real public events, each kept in its own time order with its own gaps and moved as a whole so that
its last event is a minute before now (the live guard refuses events more than 30 days old):

* ``ieee``: IEEE-CIS card-not-present payments (``datasets.ieee_events``), the first N;
* ``paysim``: PaySim transfers (``datasets.paysim_events``), the last N (the sample's first 30 days).

For each stream, after ``--warmup`` decisions that are not timed: every ``GuardService.decide_raw``
(parse, velocity, payee check, rules, resolve, the decision written to SQLite) is timed, wall
clock (``perf_counter``) and CPU (``thread_time``, which other processes on the shared cores do not
inflate), p50 / p90 / p99; the velocity part alone (``Velocity.observe``); and the same events
through the in-memory ``replay`` (no store) per event. Writes ``bench/results/issue11_speed.json``.
Timings are of this machine (2 shared cores); the load average is recorded beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))

import datasets  # noqa: E402

from finguard.guard.model.decision import Thresholds  # noqa: E402
from finguard.guard.model.events import parse_event, parse_time  # noqa: E402
from finguard.guard.model.rules import compile_rule  # noqa: E402
from finguard.guard.service.replay import replay  # noqa: E402
from finguard.guard.service.rule_pack import STARTER_PACK  # noqa: E402
from finguard.guard.service.velocity import DEFAULT_FEATURES  # noqa: E402

WORK = HERE.parent / "work" / "guard-speed"
RESULTS = HERE.parent / "results"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return round(s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))], 3)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def stream(name: str, n: int) -> list[dict[str, Any]]:
    """N events of a set, in time order, moved so the last is one minute before now."""
    if name == "ieee":
        raw, _, _ = datasets.ieee_events(datasets.ieee_path(), days=10)
        raw = raw[:n]
    else:
        raw, _, _ = datasets.paysim_events(datasets.paysim_path())
        raw = sorted(raw, key=lambda e: e["occurred_at"])
        first = parse_time(raw[0]["occurred_at"])
        raw = [e for e in raw if parse_time(e["occurred_at"]) - first < timedelta(days=29)][-n:]
    raw.sort(key=lambda e: e["occurred_at"])
    shift = datetime.now(UTC) - timedelta(minutes=1) - parse_time(raw[-1]["occurred_at"])
    out = []
    for e in raw:
        at = parse_time(e["occurred_at"]) + shift
        out.append({**e, "event_id": f"sp-{e['event_id']}", "occurred_at": at.isoformat()})
    return out


def setup(tag: str) -> tuple[Any, Any]:
    from finguard.app.platform import Platform
    from finguard.core.settings import Settings
    from finguard.guard.provider import make_guard

    folder = WORK / tag
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "speed.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    platform = Platform(Settings(database_url=f"sqlite:///{db}", demo_on_first_start=False, index_dir=folder / "index"))
    platform.load_demo(sanctions=False)
    guard = make_guard(platform.engine, platform.checker, clock=platform.guard.clock)
    guard.rules.install(list(STARTER_PACK), "bench")
    return platform, guard


def measure(name: str, n: int, warmup: int) -> dict[str, Any]:
    bodies = stream(name, n + warmup)
    platform, guard = setup(name)
    try:
        for b in bodies[:warmup]:
            guard.decide_raw(b)
        observe = guard.velocity.observe
        spent: list[float] = []

        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return observe(*args, **kwargs)
            finally:
                spent.append((time.perf_counter() - t) * 1000)

        guard.velocity.observe = timed  # type: ignore[method-assign]
        wall: list[float] = []
        cpu: list[float] = []
        outcomes: dict[str, int] = {}
        load_start = load()
        t_all = time.perf_counter()
        for b in bodies[warmup:]:
            c = time.thread_time()
            t = time.perf_counter()
            d = guard.decide_raw(b)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
            outcomes[d.outcome.value] = outcomes.get(d.outcome.value, 0) + 1
        total = time.perf_counter() - t_all
        features = len(guard.velocity.specs)
    finally:
        platform.close()
    events = [parse_event(b, None) for b in bodies]
    t = time.perf_counter()
    c = time.thread_time()
    replay(events, [compile_rule(r) for r in STARTER_PACK], Thresholds())
    replay_wall = (time.perf_counter() - t) * 1000 / len(events)
    replay_cpu = (time.thread_time() - c) * 1000 / len(events)
    return {
        "stream": name,
        "decisions_timed": n,
        "warmup": warmup,
        "span": f"{bodies[0]['occurred_at'][:16]} .. {bodies[-1]['occurred_at'][:16]}",
        "velocity_features": features,
        "rules": len(STARTER_PACK),
        "outcomes": outcomes,
        "decide_wall_ms": {"p50": pct(wall, 50), "p90": pct(wall, 90), "p99": pct(wall, 99), "max": round(max(wall), 3)},
        "decide_cpu_ms": {"p50": pct(cpu, 50), "p90": pct(cpu, 90), "p99": pct(cpu, 99)},
        "velocity_observe_wall_ms": {"p50": pct(spent, 50), "p99": pct(spent, 99)},
        "decisions_per_s_one_thread": round(n / total, 1),
        "replay_per_event_ms": {"wall": round(replay_wall, 4), "cpu": round(replay_cpu, 4)},
        "load_start": load_start,
        "load_end": load(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--warmup", type=int, default=2000)
    ap.add_argument("--streams", default="ieee,paysim")
    args = ap.parse_args()
    results: dict[str, Any] = {
        "issue": 11,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "velocity_features": len(DEFAULT_FEATURES),
        "db": "sqlite (file, WAL)",
        "streams": [],
    }
    for name in args.streams.split(","):
        r = measure(name, args.events, args.warmup)
        print(json.dumps(r, indent=1))
        results["streams"].append(r)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "issue11_speed.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {RESULTS / 'issue11_speed.json'}")


if __name__ == "__main__":
    main()
