"""The job table and the run history: claims are one conditional UPDATE, so of two processes
claiming one job at once exactly one gets it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.engine import RowMapping

from finguard.core.db import begin_write, dialect_insert
from finguard.robots.model import Job, Outcome, RobotSpec, Run, Trigger
from finguard.robots.store.tables import robot_job, robot_run


def _job(r: RowMapping) -> Job:
    return Job(r["name"], bool(r["enabled"]), r["next_due_at"], int(r["failures"]), r["lock_owner"], r["lock_until"],
               r["last_run_id"])


def _run(r: RowMapping) -> Run:
    return Run(id=r["id"], robot=r["robot"], trigger=Trigger(r["trigger"]), actor=r["actor"], owner=r["owner"],
               started_at=r["started_at"], outcome=Outcome(r["outcome"]), heartbeat_at=r["heartbeat_at"],
               finished_at=r["finished_at"], stage=r["stage"], done=int(r["done"]), total=int(r["total"]),
               counts=r["counts"] or {}, message=r["message"])


class SqlJobStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ensure(self, specs: list[RobotSpec], now: datetime) -> None:
        """A row for every robot, first due at its next slot (existing rows are left alone)."""
        with self.engine.connect() as conn:
            have = set(conn.execute(select(robot_job.c.name)).scalars())
        missing = [s for s in specs if s.name not in have]
        if not missing:
            return
        with begin_write(self.engine) as conn:
            conn.execute(
                dialect_insert(conn, robot_job).on_conflict_do_nothing(index_elements=["name"]),
                [{"name": s.name, "enabled": True, "next_due_at": s.schedule.next_after(now), "failures": 0,
                  "lock_owner": None, "lock_until": None, "last_run_id": None, "updated_at": now} for s in missing],
            )

    def jobs(self) -> list[Job]:
        with self.engine.connect() as conn:
            return [_job(r) for r in conn.execute(select(robot_job).order_by(robot_job.c.name)).mappings()]

    def job(self, name: str) -> Job | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(robot_job).where(robot_job.c.name == name)).mappings().first()
        return _job(r) if r else None

    def claim(self, name: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Take the job's lease if nobody holds a live one; any run still marked ``running`` of it
        is then dead (its process stopped renewing) and is marked ``crashed`` in the same step."""
        c = robot_job.c
        with begin_write(self.engine) as conn:
            got = conn.execute(
                update(robot_job)
                .where(c.name == name, or_(c.lock_until.is_(None), c.lock_until <= now))
                .values(lock_owner=owner, lock_until=now + lease, updated_at=now)
            ).rowcount
            if got != 1:
                return False
            conn.execute(
                update(robot_run)
                .where(robot_run.c.robot == name, robot_run.c.outcome == Outcome.RUNNING.value)
                .values(outcome=Outcome.CRASHED.value, finished_at=now,
                        message="the process running it stopped (or lost its lease) before it ended")
            )
        return True

    def start_run(self, name: str, trigger: Trigger, actor: str, owner: str, now: datetime) -> Run:
        with begin_write(self.engine) as conn:
            run_id = conn.execute(robot_run.insert().values(
                robot=name, trigger=trigger.value, actor=actor, owner=owner, started_at=now, heartbeat_at=now,
                finished_at=None, outcome=Outcome.RUNNING.value, stage="", done=0, total=0, counts={}, message="",
            ).returning(robot_run.c.id)).scalar_one()
            conn.execute(update(robot_job).where(robot_job.c.name == name).values(last_run_id=run_id))
            r = conn.execute(select(robot_run).where(robot_run.c.id == run_id)).mappings().one()
        return _run(r)

    def heartbeat(self, run: Run, owner: str, now: datetime, lease: timedelta, stage: str, done: int, total: int,
                  counts: dict[str, Any]) -> bool:
        """Renew the lease and record progress; False when the lease was lost (another process took
        the job after this one stopped renewing it): the run must stop."""
        with begin_write(self.engine) as conn:
            held = conn.execute(
                update(robot_job).where(robot_job.c.name == run.robot, robot_job.c.lock_owner == owner)
                .values(lock_until=now + lease)
            ).rowcount
            if held != 1:
                return False
            conn.execute(update(robot_run).where(robot_run.c.id == run.id).values(
                heartbeat_at=now, stage=stage[:64], done=done, total=total, counts=counts))
        return True

    def finish(self, run: Run, owner: str, now: datetime, outcome: Outcome, counts: dict[str, Any], message: str,
               next_due_at: datetime, failures: int) -> Run:
        with begin_write(self.engine) as conn:
            conn.execute(update(robot_run).where(robot_run.c.id == run.id, robot_run.c.outcome == Outcome.RUNNING.value)
                         .values(finished_at=now, outcome=outcome.value, counts=counts, message=message[:4000]))
            conn.execute(
                update(robot_job).where(robot_job.c.name == run.robot, robot_job.c.lock_owner == owner)
                .values(lock_owner=None, lock_until=None, next_due_at=next_due_at, failures=failures, updated_at=now)
            )
            r = conn.execute(select(robot_run).where(robot_run.c.id == run.id)).mappings().one()
        return _run(r)

    def release(self, name: str, owner: str, now: datetime) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(update(robot_job).where(robot_job.c.name == name, robot_job.c.lock_owner == owner)
                         .values(lock_owner=None, lock_until=None, updated_at=now))

    def set_enabled(self, name: str, enabled: bool, now: datetime) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(update(robot_job).where(robot_job.c.name == name).values(enabled=enabled, updated_at=now))

    def runs(self, robot: str | None, limit: int) -> list[Run]:
        q = select(robot_run).order_by(robot_run.c.id.desc()).limit(limit)
        if robot:
            q = q.where(robot_run.c.robot == robot)
        with self.engine.connect() as conn:
            return [_run(r) for r in conn.execute(q).mappings()]

    def run(self, run_id: int) -> Run | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(robot_run).where(robot_run.c.id == run_id)).mappings().first()
        return _run(r) if r else None
