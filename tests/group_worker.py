"""One guard consumer in group mode as its own process (the group tests and bench/guard/failover.py).

    python -m tests.group_worker STATE_FILE  (the settings as JSON on stdin)

Input: ``{"db_url", "redis_url", "redis_prefix", "now" (ISO time of the guard's clock),
"settings": {StreamSettings fields}}``. Every 50 ms it rewrites STATE_FILE with its health
(``owned``, ``decided``, ``took``, ``gave``, ``lost``, ``lease_ops``, ``member``, its CPU
seconds); SIGTERM stops it gracefully (leases released), SIGKILL is the crash the tests want.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path


def main() -> None:
    state = Path(sys.argv[1])
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {state.stem} %(message)s", stream=sys.stderr)
    logging.getLogger("nats").setLevel(logging.WARNING)
    spec = json.loads(sys.stdin.read())
    from finguard.core.db import make_engine
    from finguard.guard.provider import make_guard
    from finguard.guard.service.stream import ConsumerThread, GuardConsumer, StreamSettings
    from finguard.guard.service.velocity import Velocity
    from finguard.guard.service.velocity_redis import RedisBackend

    now = datetime.fromisoformat(spec["now"])
    engine = make_engine(spec["db_url"])
    velocity = Velocity(RedisBackend(spec["redis_url"], prefix=spec["redis_prefix"]))
    guard = make_guard(engine, None, clock=lambda: now, velocity=velocity)
    settings = StreamSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in spec["settings"].items()})
    run = ConsumerThread(GuardConsumer(guard, settings)).start()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())

    def write() -> None:
        h = run.consumer.health
        body = {
            "pid": os.getpid(),
            "member": h.member,
            "owned": list(h.owned),
            "decided": h.decided,
            "took": h.took,
            "gave": h.gave,
            "lost": h.lost,
            "lease_ops": h.lease_ops,
            "rewound": h.rewound,
            "healthy": h.healthy,
            "cpu": time.process_time(),
            "alive": run.alive,
        }
        tmp = state.with_suffix(".tmp")
        tmp.write_text(json.dumps(body))
        tmp.replace(state)

    while run.alive and not stopping.is_set():
        write()
        time.sleep(0.05)
    run.stop()
    write()
    engine.dispose()


if __name__ == "__main__":
    main()
