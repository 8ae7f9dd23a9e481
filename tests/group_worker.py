"""One guard consumer in group mode as its own process (the group tests and bench/guard/failover.py).

    python -m tests.group_worker STATE_FILE  (the settings as JSON on stdin)

Input: ``{"db_url", "redis_url", "redis_prefix", "now" (ISO time of the guard's clock),
"settings": {StreamSettings fields}, "delay" (optional: seconds each event's decision is held,
so that a test's kill lands mid-stream on a fast machine)}``. Every 50 ms it rewrites STATE_FILE with its health
(``owned``, ``decided``, ``took``, ``gave``, ``lost``, ``lease_ops``, ``member``, its CPU
seconds); SIGTERM stops it gracefully (leases released), SIGKILL is the crash the tests want.
:class:`Worker` starts one from a test or a bench and reads its health.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from finguard.guard.service.stream import StreamSettings

REPO = Path(__file__).resolve().parents[1]


class Worker:
    """A consumer process in group mode (this module run as ``python -m tests.group_worker``)."""

    def __init__(
        self,
        tmp: Path,
        name: str,
        db_url: str,
        redis_url: str,
        prefix: str,
        now: datetime,
        settings: StreamSettings,
        *,
        quiet: bool = False,
        delay: float = 0.0,
    ) -> None:
        self.state = tmp / f"{name}-{uuid.uuid4().hex[:6]}.json"
        spec = {
            "db_url": db_url,
            "redis_url": redis_url,
            "redis_prefix": prefix,
            "now": now.isoformat(),
            "settings": asdict(settings),
            "delay": delay,
        }
        env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.group_worker", str(self.state)],
            stdin=subprocess.PIPE,
            stderr=subprocess.DEVNULL if quiet else None,
            cwd=REPO,
            env=env,
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(spec).encode())
        self.proc.stdin.close()

    def health(self) -> dict[str, Any]:
        """The worker's last written health (nothing owned before its first write)."""
        try:
            body: dict[str, Any] = json.loads(self.state.read_text())
            return body
        except (OSError, ValueError):
            return {"owned": [], "decided": 0, "took": 0, "gave": 0, "lost": 0, "lease_ops": 0, "cpu": 0.0, "healthy": False}

    def owned(self) -> list[int]:
        return list(self.health()["owned"])

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


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
    if spec.get("delay"):
        from tests.guard_helpers import hold_decisions

        hold_decisions(guard, float(spec["delay"]))
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
