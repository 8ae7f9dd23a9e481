"""Issue #19, stop 27: ``parse_event`` and ``evaluate_rules``, pure Python (another checkout's source) against this
checkout's (compiled with mypyc when its build is current), in one process.

    PYTHONPATH=src python bench/guard/stop27_micro.py ROUNDS BASE_SRC EVENTS_FILE

``BASE_SRC`` is another checkout's ``src`` (e.g. a detached worktree of main): its ``events`` and ``rules`` modules are
loaded from source under other names beside this checkout's (pure Python whatever is built). ``EVENTS_FILE`` is
``decision_parity.py make --mix bank``'s. Each round, in an order flipped every round, with the garbage collector off
while timed: every body through each side's ``parse_event``; then ``run.py``'s 41 generated rules, compiled by each
side's ``compile_rule``, evaluated by its ``evaluate_rules`` over the rule context of every valid event (this
checkout's velocity ``observe`` and ``rule_context``, a passing payee check, a model score of 0.01). Thread CPU per
event; the outputs of both sides checked equal (the events by ``repr``, the reasons as they are). Prints one JSON line.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench
from stop25_micro import load, timed

import finguard.guard.model.events as new_events
import finguard.guard.model.rules as new_rules
from finguard import compiled
from finguard.guard.model.context import rule_context
from finguard.guard.service.velocity import MemoryBackend, Velocity


def main() -> None:
    rounds, base_src, events_file = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    base = base_src / "finguard" / "guard" / "model"
    mods = {"base": (load("base_events", base / "events.py"), load("base_rules", base / "rules.py")), "new": (new_events, new_rules)}
    bodies = json.loads(Path(events_file).read_text())["bodies"]
    events = []
    for b in bodies:
        try:
            events.append(new_events.parse_event(b, None))
        except Exception:  # the file's invalid bodies: timed below (their errors too), not evaluated
            continue
    events.sort(key=lambda e: e.occurred_at)
    velocity = Velocity(MemoryBackend())
    payee = {"check": "pass", "risk_level": None, "lists": ()}
    model = {"name": "m", "score": 0.01, "available": True}
    ctxs = []
    for e in events:
        f = velocity.observe(e)
        ctxs.append((rule_context(e, f.values, f.payee_first_seen, payee, None, model), e.type))
    rules = bench.generated_rules()
    res: dict[str, dict[str, list[float]]] = {part: {"base": [], "new": []} for part in ("parse_event", "evaluate_rules")}
    for r in range(rounds):
        order = ("base", "new") if r % 2 == 0 else ("new", "base")
        out: dict[str, Any] = {}
        for side in order:
            parse = mods[side][0].parse_event

            def parse_all(parse: Any = parse) -> list[str]:
                got = []
                for b in bodies:
                    try:
                        got.append(repr(parse(b, None)))
                    except Exception as e:  # the error is part of the output compared
                        got.append(repr(e))
                return got

            t, out[side] = timed(parse_all)
            res["parse_event"][side].append(t / len(bodies) * 1e6)
        assert out["base"] == out["new"]
        for side in order:
            m = mods[side][1]
            compiled_rules = [
                m.compile_rule(m.Rule(**{f.name: getattr(x, f.name) for f in dataclasses.fields(x)} | {"mode": m.RuleMode(x.mode.value)}))
                for x in rules
            ]
            evaluate = m.evaluate_rules
            t, out[side] = timed(lambda rs=compiled_rules, ev=evaluate: [ev(rs, ctx, kind) for ctx, kind in ctxs])
            res["evaluate_rules"][side].append(t / len(ctxs) * 1e6)
        assert out["base"] == out["new"]
    per = {part: {side: [round(x, 1) for x in xs] for side, xs in d.items()} for part, d in res.items()}
    native = sorted(k.rsplit(".", 1)[1] for k, v in compiled.loaded().items() if v)
    fired = sum(len(x) for x in out["new"])
    doc = {"bodies": len(bodies), "events": len(ctxs), "reasons": fired, "compiled": native, "load": os.getloadavg()}
    print(json.dumps({**doc, "us_per_event_thread_cpu": per, "outputs_equal": True}))


if __name__ == "__main__":
    main()
