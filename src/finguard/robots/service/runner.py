"""The robot runner: claims a job's lease, records the run, renews the lease while the robot
reports progress, and records how it ended. The scheduler (``run_due``) is the same runner asked
for every job that is due; the CLI, the staff page and the API start runs through it too.

Two processes never run one job at once: a run starts only after a conditional UPDATE gave its
process the job's lease (``SqlJobStore.claim``). A process that dies stops renewing the lease; once
it has expired the next claim marks the dead run ``crashed`` and the robot starts again from the
cursors its last committed step left, so a crash loses at most one step's work and never
repeats an alert (each robot's writes are idempotent by a natural key)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from finguard.core.errors import Conflict, FinguardError, NotFound
from finguard.core.http_errors import redact
from finguard.robots.model import LEASE, ROBOTS, Job, Outcome, RobotSpec, Run, Trigger, after_run, robot

log = logging.getLogger(__name__)

Listener = Callable[[str, int, int], None]  # (stage, done, total)


class JobStore(Protocol):
    def ensure(self, specs: list[RobotSpec], now: datetime) -> None: ...
    def jobs(self) -> list[Job]: ...
    def job(self, name: str) -> Job | None: ...
    def claim(self, name: str, owner: str, now: datetime, lease: timedelta) -> bool: ...
    def start_run(self, name: str, trigger: Trigger, actor: str, owner: str, now: datetime) -> Run: ...
    def heartbeat(self, run: Run, owner: str, now: datetime, lease: timedelta, stage: str, done: int, total: int,
                  counts: dict[str, Any]) -> bool: ...
    def finish(self, run: Run, owner: str, now: datetime, outcome: Outcome, counts: dict[str, Any], message: str,
               next_due_at: datetime, failures: int) -> Run: ...
    def release(self, name: str, owner: str, now: datetime) -> None: ...
    def set_enabled(self, name: str, enabled: bool, now: datetime) -> None: ...
    def runs(self, robot: str | None, limit: int) -> list[Run]: ...
    def run(self, run_id: int) -> Run | None: ...


class LeaseLost(Conflict):
    """The run stopped renewing its lease long enough for another process to take the job."""


@dataclass
class Context:
    """What a robot gets: its run, who started it, its parameters, the clock, and ``progress``,
    which records how far it got (and renews the lease; it raises ``LeaseLost`` if it was lost)."""

    run: Run
    actor: str
    params: dict[str, Any]
    clock: Callable[[], datetime]
    beat: Callable[[str, int, int, dict[str, Any]], None]
    counts: dict[str, Any] = field(default_factory=dict)

    def progress(self, stage: str, done: int, total: int) -> None:
        self.beat(stage, done, total, self.counts)


RobotFn = Callable[[Context], dict[str, Any]]


def _owner() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class RobotRunner:
    def __init__(self, store: JobStore, robots: dict[str, RobotFn], clock: Callable[[], datetime], *,
                 lease: timedelta = LEASE, beat_seconds: float = 1.0) -> None:
        self.store = store
        self.robots = robots
        self.clock = clock
        self.lease = lease
        self.beat_seconds = beat_seconds
        self._ensured = False

    def _ensure(self) -> None:
        if not self._ensured:
            self.store.ensure([ROBOTS[n] for n in self.robots], self.clock())
            self._ensured = True

    # -- reading -----------------------------------------------------------------------------------

    def jobs(self) -> list[tuple[RobotSpec, Job]]:
        self._ensure()
        return [(ROBOTS[j.name], j) for j in self.store.jobs() if j.name in self.robots]

    def runs(self, robot_name: str | None = None, limit: int = 50) -> list[Run]:
        if robot_name is not None:
            robot(robot_name)
        return self.store.runs(robot_name, limit)

    def run_of(self, run_id: int) -> Run:
        found = self.store.run(run_id)
        if found is None:
            raise NotFound(f"no robot run {run_id}")
        return found

    # -- running -----------------------------------------------------------------------------------

    def begin(self, name: str, trigger: Trigger, actor: str) -> tuple[Run, str]:
        """Claim the job and record the run as started; 409 if another run holds the job."""
        robot(name)
        if name not in self.robots:
            raise NotFound(f"robot {name!r} is not wired in this process")
        self._ensure()
        owner = _owner()
        now = self.clock()
        if not self.store.claim(name, owner, now, self.lease):
            job = self.store.job(name)
            held = f" (held by {job.lock_owner} until {job.lock_until:%Y-%m-%d %H:%M:%S} UTC)" if job and job.lock_until else ""
            raise Conflict(f"robot {name} is already running{held}")
        try:
            return self.store.start_run(name, trigger, actor, owner, now), owner
        except Exception:
            self.store.release(name, owner, self.clock())
            raise

    def execute(self, run: Run, owner: str, params: dict[str, Any] | None = None, listener: Listener | None = None) -> Run:
        last: list[Any] = [0.0, ""]

        def beat(stage: str, done: int, total: int, counts: dict[str, Any]) -> None:
            if listener is not None:
                listener(stage, done, total)
            now_mono = time.monotonic()
            # At most one write a second, but always a new stage and the end of one.
            if now_mono - last[0] < self.beat_seconds and stage == last[1] and done < total:
                return
            last[0], last[1] = now_mono, stage
            if not self.store.heartbeat(run, owner, self.clock(), self.lease, stage, done, total, dict(counts)):
                raise LeaseLost(f"robot {run.robot} lost its lease; another process may have taken the job")

        ctx = Context(run, run.actor, dict(params or {}), self.clock, beat)
        outcome, message = Outcome.OK, ""
        try:
            counts = self.robots[run.robot](ctx)
            ctx.counts.update(counts)
        except FinguardError as exc:
            outcome, message = Outcome.FAILED, exc.message
            log.warning("robot %s run %d failed: %s", run.robot, run.id, redact(exc.message))
        except Exception as exc:
            outcome, message = Outcome.FAILED, redact(f"{type(exc).__name__}: {exc}")
            log.exception("robot %s run %d failed", run.robot, run.id)
        now = self.clock()
        job = self.store.job(run.robot)
        assert job is not None
        next_due, failures = after_run(ROBOTS[run.robot], job, run.trigger, outcome is Outcome.OK, now)
        return self.store.finish(run, owner, now, outcome, ctx.counts, message, next_due, failures)

    def run(self, name: str, *, trigger: Trigger = Trigger.MANUAL, actor: str, params: dict[str, Any] | None = None,
            listener: Listener | None = None) -> Run:
        run, owner = self.begin(name, trigger, actor)
        return self.execute(run, owner, params, listener)

    def start(self, name: str, *, actor: str, params: dict[str, Any] | None = None) -> Run:
        """Claim and record the run here (so a held job is a 409 at once), then run it in a thread:
        the staff page and the API return while it works; its progress is in the run history."""
        run, owner = self.begin(name, Trigger.MANUAL, actor)
        thread = threading.Thread(target=self._background, args=(run, owner, params), name=f"finguard-robot-{name}",
                                  daemon=True)
        thread.start()
        return run

    def _background(self, run: Run, owner: str, params: dict[str, Any] | None) -> None:
        try:
            self.execute(run, owner, params)
        except Exception:  # the run's own failures are recorded by execute; this is the store failing
            log.exception("robot %s run %d could not be recorded", run.robot, run.id)

    def run_due(self, listener: Listener | None = None, actor: str = "system:scheduler") -> list[Run]:
        """Run every enabled job whose time has come, one after another; a job another process
        holds is skipped (it is running there)."""
        done = []
        for spec, job in self.jobs():
            if not job.due(self.clock()):
                continue
            try:
                done.append(self.run(spec.name, trigger=Trigger.SCHEDULE, actor=actor, listener=listener))
            except Conflict:
                continue
        return done

    def set_enabled(self, name: str, enabled: bool) -> None:
        robot(name)
        self._ensure()
        self.store.set_enabled(name, enabled, self.clock())

    def next_due(self) -> datetime | None:
        due = [j.next_due_at for _, j in self.jobs() if j.enabled]
        return min(due) if due else None
