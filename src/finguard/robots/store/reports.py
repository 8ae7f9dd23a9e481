"""The settlement report's inputs (cases and alerts of a day) and the stored reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, func, or_, select, update

from finguard.alerts.store import alert
from finguard.alerts.store.cases import case_item
from finguard.core.db import begin_write
from finguard.ledger.model import AccountEvent
from finguard.ledger.store.register import event_of
from finguard.ledger.store.tables import ledger_account_event
from finguard.robots.model import CaseLine
from finguard.robots.store.tables import robot_report


@dataclass(frozen=True, slots=True)
class StoredReport:
    id: int
    kind: str
    day: date
    final: bool
    created_at: datetime
    run_id: int | None
    rows: int


def _stored(r: object) -> StoredReport:
    return StoredReport(r.id, r.kind, r.day, bool(r.final), r.created_at, r.run_id, r.rows)  # type: ignore[attr-defined]


_COLUMNS = (robot_report.c.id, robot_report.c.kind, robot_report.c.day, robot_report.c.final, robot_report.c.created_at,
            robot_report.c.run_id, robot_report.c.rows)


class SqlReportStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def case_lines(self, start: datetime, end: datetime) -> list[CaseLine]:
        """Cases opened, closed or due in ``[start, end)``: three index-friendly conditions."""
        c = case_item.c
        q = select(c.id, c.kind, c.severity, c.queue, c.state, c.subject, c.created_at, c.due_at, c.closed_at,
                   c.disposition).where(or_(
                       c.created_at.between(start, end), c.closed_at.between(start, end), c.due_at.between(start, end)))
        with self.engine.connect() as conn:
            return [CaseLine(**dict(r)) for r in conn.execute(q.order_by(c.id)).mappings()]

    def account_events(self, day: date) -> list[AccountEvent]:
        """The ledger's account register: the events dated that day, in the order recorded."""
        c = ledger_account_event.c
        with self.engine.connect() as conn:
            return [event_of(r) for r in conn.execute(select(ledger_account_event).where(c.event_date == day).order_by(c.id))]

    def alert_kinds(self, start: datetime, end: datetime) -> dict[str, int]:
        a = alert.c
        with self.engine.connect() as conn:
            return {k: int(n) for k, n in conn.execute(
                select(a.kind, func.count()).where(a.created_at >= start, a.created_at < end).group_by(a.kind))}

    def get(self, kind: str, day: date) -> StoredReport | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(*_COLUMNS).where(robot_report.c.kind == kind, robot_report.c.day == day)).first()
        return _stored(r) if r else None

    def save(self, kind: str, day: date, final: bool, rows: int, csv: bytes, xlsx: bytes, run_id: int | None,
             now: datetime) -> tuple[StoredReport, bool]:
        """Store the day's report. A final report is written once and never replaced; a partial one
        (the day not over) is replaced by the next. Returns the stored report and whether it was written."""
        values = {"final": final, "created_at": now, "run_id": run_id, "rows": rows, "csv": csv, "xlsx": xlsx}
        r = robot_report.c
        with begin_write(self.engine) as conn:
            old = conn.execute(select(*_COLUMNS).where(r.kind == kind, r.day == day)).first()
            if old is not None and old.final:
                return _stored(old), False
            if old is None:
                conn.execute(robot_report.insert().values(kind=kind, day=day, **values))
            else:
                conn.execute(update(robot_report).where(r.id == old.id).values(**values))
            new = conn.execute(select(*_COLUMNS).where(r.kind == kind, r.day == day)).one()
        return _stored(new), True

    def reports(self, limit: int, kind: str) -> list[StoredReport]:
        with self.engine.connect() as conn:
            return [_stored(r) for r in conn.execute(select(*_COLUMNS).where(robot_report.c.kind == kind)
                                                     .order_by(robot_report.c.day.desc()).limit(limit))]

    def content(self, report_id: int, fmt: str) -> tuple[StoredReport, bytes] | None:
        col = robot_report.c.csv if fmt == "csv" else robot_report.c.xlsx
        with self.engine.connect() as conn:
            r = conn.execute(select(*_COLUMNS, col.label("body")).where(robot_report.c.id == report_id)).first()
        return (_stored(r), bytes(r.body)) if r else None
