"""Issue #19: where a decision's time goes. cProfile over ``decide_raw`` on the guard bench's set-up.

    .venv/bin/python bench/guard/profile_decide.py [--db sqlite|postgres] [--events 1000] [--batch 1] [--timer cpu]
    .venv/bin/python bench/guard/profile_decide.py --cpu [--events 3000] [--batch 64] [--warmup 1000]

``--batch N`` decides N events per ``decide_many`` call (the stream's and the HTTP batcher's path).
Prints the top functions by cumulative and by own time.

``--cpu``: no profiler; CPU per decision (``time.thread_time`` of the deciding thread, and
``time.process_time`` of the process with its follower and log-writer threads) for ``--events``
decisions one ``decide_raw`` each, then ``--events`` more through ``decide_many`` in batches of
``--batch``, after ``--warmup`` untimed ones; with the name screener's cache hits and misses per
phase, the load average, and which ``finguard`` ran (for A/B runs of two checkouts through
PYTHONPATH). Prints one JSON line. Payees as in ``run.py`` (``--payees pool|fixed``).

``--mix bench`` (the default) is ``run.py``'s events, ~80 % blocked (its lists, controls and 41
rules). ``--mix bank`` is a bank's traffic, mostly ordinary payments allowed with low model
scores (#19, stop 22): each event is, with probability ``--risky`` (default 0.015), one of
``run.py``'s events as they are, else an ordinary payment (:func:`ordinary_body`): the customer's
own device and IP address, its home region (CN-BJ, CN-SH or CN-GD), mobile (85 %) or web, an
amount of 20 to 3,000 yuan (mostly under 500), to one of the customer's 3 regular payees (its
own accounts of the payee pool: no payee is paid by two customers), with the attributes the
bench's model was trained on (PaySim's kind and balances, consistent with the amount). Before the
warm-up each customer pays each of its regular payees once, 4 days earlier (untimed), so they are
known payees, as a bank's regular payees are (one whose name the demo lists warn of is replaced by
another account of the pool). The warm-up and timed events are spread evenly over the day before
now, in order, so a customer pays a few times an hour at most. The JSON line reports the outcome
shares and the share of model scores below the explain floor of each timed phase.
``FINGUARD_GUARD_EXPLAIN_FLOOR`` in the environment sets the guard's explain floor (code that has one).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import os
import pstats
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench

HOME = ("CN-BJ", "CN-SH", "CN-GD")
REGULAR = 3  # regular payees of each customer
AMOUNTS = (20, 35, 50, 88, 120, 200, 300, 500, 800, 1500, 3000)
AMOUNT_WEIGHTS = (8, 10, 14, 10, 12, 14, 10, 10, 6, 4, 2)
SHIFT: dict[tuple[int, int], int] = {}  # a regular payee replaced (Events.history)


def regular_payee(c: int, j: int) -> dict[str, str]:
    """The ``j``-th regular payee of customer ``c``: its own account of the payee pool (or of the
    fixed accounts when ``--payees fixed``)."""
    k = c * REGULAR + j
    if bench.PAYEES is not None:
        pool = bench.PAYEES.pool
        account, name = pool[(k * 7919 + 13 + SHIFT.get((c, j), 0) * 104_729) % len(pool)]
        return {"account": account, "name": name}
    return {"account": f"6229{k:012d}", "name": ("Zhang San", "Li Si", "Wang Wu", "Zhao Liu")[k % 4]}


def ordinary_body(c: int, at: datetime, rng: random.Random, payee: int | None = None) -> dict[str, Any]:
    """An ordinary payment of customer ``c`` (``--mix bank``): its own device, IP and home region,
    a small amount, to one of its regular payees; with the attributes the bench's model (PaySim)
    was trained on, consistent with the amount: a card payment (``PAYMENT`` at ``pos``, 60 %) or a
    mobile transfer (``TRANSFER``, 40 %), the balances before and after."""
    amount = rng.choices(AMOUNTS, AMOUNT_WEIGHTS)[0] * 100 + rng.randrange(100)  # fen
    balance = 500_000 + (c * 7_919 % 200) * 100_000 + rng.randrange(100_000)  # 5,000 to 206,000 yuan
    card = rng.random() < 0.6
    payee_before = 0 if card else 100_000 + rng.randrange(5_000_000)

    def yuan(fen: int) -> str:
        return f"{fen // 100}.{fen % 100:02d}"

    return {
        "event_id": f"bank-{rng.getrandbits(96):024x}",
        "type": "transfer",
        "occurred_at": at.isoformat(),
        "customer_id": f"bc{c}",
        "channel": "pos" if card else "mobile",
        "account": f"6222{c:012d}",
        "amount": yuan(amount),
        "region": HOME[c % len(HOME)],
        "device": f"own-{c:06d}",
        "ip": f"10.9.{c // 256}.{c % 256}",
        "payee": regular_payee(c, rng.randrange(REGULAR) if payee is None else payee),
        "attributes": {
            "kind": "PAYMENT" if card else "TRANSFER",
            "balance_before": yuan(balance),
            "balance_after": yuan(balance - amount),
            "payee_balance_before": yuan(payee_before),
            "payee_balance_after": yuan(0 if card else payee_before + amount),
        },
    }


class Events:
    """The timed and warm-up events of ``--mix``: ``run.py``'s (bench) or a bank's (see the module doc)."""

    def __init__(self, mix: str, risky: float, now: datetime, rng: random.Random, total: int) -> None:
        self.mix, self.risky, self.now, self.rng = mix, risky, now, rng
        self.kinds: Counter[str] = Counter()
        # bank: the events spread evenly over the day before now, in order (a customer pays a few
        # times a day, not all at once); bench: all at now, as run.py's
        self.at = now - timedelta(days=1) if mix == "bank" else now
        self.step = timedelta(days=1) / max(total, 1) if mix == "bank" else timedelta(0)
        self.replaced = 0

    def history(self, guard: Any) -> int:
        """Each customer pays each of its regular payees once, 4 days before (bank mix only). A
        regular payee whose check warns or blocks (the demo lists' names are like some of the
        pool's) is replaced by the next account of the pool: a bank's regular payees are not on its lists."""
        if self.mix != "bank":
            return 0
        earlier = self.now - timedelta(days=4)
        n = 0
        for j in range(REGULAR):
            for c in range(bench.CUSTOMERS):
                for _ in range(20):
                    d = guard.decide_raw(ordinary_body(c, earlier, self.rng, j))
                    n += 1
                    if not any(r.kind.value == "list" for r in d.reasons):
                        break
                    SHIFT[(c, j)] = SHIFT.get((c, j), 0) + 1
                    self.replaced += 1
        return n

    def body(self, i: int) -> dict[str, Any]:
        at, self.at = self.at, self.at + self.step
        if self.mix == "bank" and self.rng.random() >= self.risky:
            self.kinds["ordinary"] += 1
            return ordinary_body(self.rng.randrange(bench.CUSTOMERS), at, self.rng)
        self.kinds["risky" if self.mix == "bank" else "bench"] += 1
        return bench.event_body(i, at, self.rng)


def shares(decisions: list[Any], floor: float) -> dict[str, Any]:
    """Outcome shares, and the model's scores: how many, and the share below ``floor`` (the guard's
    explain floor; 0.05 where it has none or it is 0); the decisions allowed with a score below it."""
    n = max(len(decisions), 1)
    outcomes = Counter(d.outcome.value for d in decisions)
    scores = [r.values.get("score") for d in decisions for r in d.reasons if r.kind.value == "model" and r.enforced]
    scores = [s for s in scores if s is not None]
    below = [s for s in scores if s < floor]
    allowed_below = sum(
        1
        for d in decisions
        if d.outcome.value == "allow"
        and any(
            r.kind.value == "model" and r.enforced and r.values.get("score") is not None and r.values["score"] < floor for r in d.reasons
        )
    )
    return {
        "outcomes": {k: round(v / n, 4) for k, v in sorted(outcomes.items())},
        "model_scored": len(scores),
        "below_floor": round(len(below) / max(len(scores), 1), 4),
        "allowed_below_floor": round(allowed_below / n, 4),
        "unexplained": sum(1 for d in decisions for r in d.reasons if r.kind.value == "model" and r.values.get("explained") is False),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--top", type=int, default=45)
    ap.add_argument("--cpu", action="store_true", help="CPU per decision, no profiler (one JSON line)")
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--timer", choices=["wall", "cpu"], default="wall", help="cProfile's clock: wall time, or the thread's CPU time")
    ap.add_argument("--redis", default="", help="velocity in Redis at this URL (its database is flushed first), as with --workers 2")
    ap.add_argument("--dump", help="also write the profile to this file (pstats), for callers/callees")
    ap.add_argument("--mix", choices=["bench", "bank"], default="bench", help="run.py's events (~80 %% blocked) or a bank's mix")
    ap.add_argument("--risky", type=float, default=0.015, help="--mix bank: the share of run.py's events among ordinary payments")
    bench.add_payee_args(ap)
    args = ap.parse_args()
    payee_setup = bench.use_payees(args)
    bench.WORK.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        db = bench.WORK / "guard-profile.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    else:
        url = bench.PG_URL
    platform, guard = bench.setup(url, args.sanctions)
    floor = os.environ.get("FINGUARD_GUARD_EXPLAIN_FLOOR")
    if floor is not None and hasattr(guard.config, "explain_floor"):
        guard.config = dataclasses.replace(guard.config, explain_floor=float(floor))
    if args.redis:
        import redis

        from finguard.guard.service.velocity_redis import RedisBackend

        redis.Redis.from_url(args.redis).flushdb()
        guard.velocity.backend = RedisBackend(args.redis)
    from finguard.guard.model.events import parse_event

    rng = random.Random(4)
    now = datetime.now(UTC)
    events = Events(args.mix, args.risky, now, rng, args.warmup + args.events * (2 if args.cpu else 1))
    history = events.history(guard)
    for i in range(args.warmup):
        guard.decide_raw(events.body(i))
    if args.cpu:
        cpu_run(args, platform, guard, events, payee_setup, url, history)
        platform.close()
        return
    bodies = [events.body(i) for i in range(args.events)]
    prof = cProfile.Profile(time.thread_time) if args.timer == "cpu" else cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    if args.batch <= 1:
        for b in bodies:
            guard.decide_raw(b)
    else:
        for s in range(0, len(bodies), args.batch):
            guard.decide_many([parse_event(b, guard.clock()) for b in bodies[s : s + args.batch]])
    prof.disable()
    if args.dump:
        prof.dump_stats(args.dump)
    elapsed = time.perf_counter() - t
    print(f"{args.events} decisions, batch {args.batch}: {elapsed / args.events * 1000:.3f} ms each under cProfile ({bench.load()})")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
        print(out.getvalue())
    platform.close()


def cpu_run(args: argparse.Namespace, platform: object, guard: Any, events: Events,
            payee_setup: dict[str, object], url: str, history: int) -> None:  # fmt: skip
    import json

    import finguard
    from finguard.guard.model.events import parse_event

    out: dict[str, object] = {"finguard": str(Path(finguard.__file__).parents[1]), "db": args.db, "sanctions": args.sanctions}
    out["velocity"] = "redis" if args.redis else "in process"
    floor = getattr(guard.config, "explain_floor", None)
    out["mix"], out["explain_floor"], out["history"] = args.mix, floor, history
    if args.mix == "bank":
        out["risky"], out["regular_payees_replaced"] = args.risky, events.replaced
    out.update(payee_setup)
    load_start = bench.load()
    one = [events.body(i) for i in range(args.events)]
    before = bench.name_cache(platform)
    decided: list[Any] = []
    c, p, t = time.thread_time(), time.process_time(), time.perf_counter()
    for b in one:
        decided.append(guard.decide_raw(b))
    out["decide"] = {
        "thread_cpu_ms": round((time.thread_time() - c) / args.events * 1000, 3),
        "process_cpu_ms": round((time.process_time() - p) / args.events * 1000, 3),
        "wall_ms": round((time.perf_counter() - t) / args.events * 1000, 3),
        "name_cache": bench.cache_delta(before, bench.name_cache(platform)),
        **shares(decided, floor or 0.05),
    }
    many = [events.body(i) for i in range(args.events)]
    batch = max(args.batch, 2)
    before = bench.name_cache(platform)
    decided = []
    c, p, t = time.thread_time(), time.process_time(), time.perf_counter()
    for s in range(0, len(many), batch):
        decided += guard.decide_many([parse_event(b, guard.clock()) for b in many[s : s + batch]])
    out[f"decide_many_{batch}"] = {
        "thread_cpu_ms": round((time.thread_time() - c) / args.events * 1000, 3),
        "process_cpu_ms": round((time.process_time() - p) / args.events * 1000, 3),
        "wall_ms": round((time.perf_counter() - t) / args.events * 1000, 3),
        "name_cache": bench.cache_delta(before, bench.name_cache(platform)),
        "note": "includes parse_event",
        **shares(decided, floor or 0.05),
    }
    out["events"] = dict(events.kinds)
    out["payee_stream"] = bench.stream_stats()
    out["load_start"], out["load_end"] = load_start, bench.load()
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
