"""Issue #19, stop 25: the parts of a decision changed in stop 25, base against this checkout, in one process.

    PYTHONPATH=src python bench/guard/stop25_micro.py MODEL_FILE ROUNDS BASE_SRC EVENTS_FILE

``BASE_SRC`` is another checkout's ``src`` (e.g. a detached worktree of main): its ``features``, ``context`` and
``velocity`` modules are loaded under other names beside this checkout's. ``EVENTS_FILE`` is
``decision_parity.py make --mix bank``'s. Each round runs the velocity (a fresh ``MemoryBackend``, every event
observed in time order), the model's features and encoding (``FeatureSchema.row`` and ``encoder``) and the stored
inputs' encoding (``context.encode``) with each side, the order flipped each round, the garbage collector off while
timed; thread CPU per event. The outputs of both sides are checked equal (NaN for NaN). Prints one JSON line.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import math
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import finguard.guard.model.context as new_context
import finguard.guard.model.features as new_features
import finguard.guard.service.velocity as new_velocity
from finguard.guard.model.events import parse_event
from finguard.guard.service.model import LightGBMScorer


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def timed(fn: Any) -> tuple[float, Any]:
    gc.collect()
    gc.disable()
    c = time.thread_time()
    out = fn()
    t = time.thread_time() - c
    gc.enable()
    return t, out


def same_rows(a: list[list[float]], b: list[list[float]]) -> bool:
    return all(
        len(x) == len(y) and all(u == v or (math.isnan(u) and math.isnan(v)) for u, v in zip(x, y, strict=True))
        for x, y in zip(a, b, strict=True)
    )


def main() -> None:
    model, rounds, base_src, events_file = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    base = base_src / "finguard" / "guard"
    mods = {
        "base": (load("base_velocity", base / "service/velocity.py"), load("base_features", base / "model/features.py"),
                 load("base_context", base / "model/context.py")),
        "new": (new_velocity, new_features, new_context),
    }  # fmt: skip
    events = []
    for b in json.loads(Path(events_file).read_text())["bodies"]:
        try:
            events.append(parse_event(b, None))
        except Exception:  # the file's invalid bodies: not decided here
            continue
    events.sort(key=lambda e: e.occurred_at)
    schema = LightGBMScorer(model).sidecar["schema"]
    res: dict[str, dict[str, list[float]]] = {part: {"base": [], "new": []} for part in ("velocity", "features", "context")}
    n = len(events)
    for r in range(rounds):
        order = ("base", "new") if r % 2 == 0 else ("new", "base")
        observed: dict[str, Any] = {}
        for side in order:
            velocity = mods[side][0]
            v = velocity.Velocity(velocity.MemoryBackend())
            t, observed[side] = timed(lambda v=v: [v.observe(e) for e in events])
            res["velocity"][side].append(t / n * 1e6)
        seen = [(o.values, o.payee_first_seen) for o in observed["base"]]
        assert seen == [(o.values, o.payee_first_seen) for o in observed["new"]]
        out: dict[str, Any] = {}
        for side in order:
            s = mods[side][1].FeatureSchema.from_dict(schema)
            enc = s.encoder()

            def features(s: Any = s, enc: Any = enc, seen: Any = seen) -> Any:
                rows = [s.row(e, values) for e, (values, _) in zip(events, seen, strict=True)]
                return rows, [enc(row) for row in rows]

            t, out[side] = timed(features)
            res["features"][side].append(t / n * 1e6)
        assert out["base"][0] == out["new"][0] and same_rows(out["base"][1], out["new"][1])
        items = [
            {"features": values, "payee_first_seen": first, "payee": {"check": "pass", "risk_level": None, "lists": ()},
             "model": {"name": "m", "score": 0.01, "available": True}}
            for values, first in seen
        ]  # fmt: skip
        for side in order:
            encode = mods[side][2].encode
            t, out[side] = timed(lambda encode=encode, items=items: [encode(i) for i in items])
            res["context"][side].append(t / n * 1e6)
        assert out["base"] == out["new"]
    per = {part: {side: [round(x, 1) for x in xs] for side, xs in d.items()} for part, d in res.items()}
    print(json.dumps({"events": n, "us_per_event_thread_cpu": per, "outputs_equal": True}))


if __name__ == "__main__":
    main()
