"""List freshness: each list's last change (followed from the change log past a cursor), its last
import, its refresh period, and the staleness episodes with their one alert each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, update

from finguard.alerts.store import alert
from finguard.core.db import begin_write, dialect_insert
from finguard.core.tables import job_cursor
from finguard.lists.store.tables import change_log, import_run, risk_list
from finguard.robots.store.diligence import _set_cursor
from finguard.robots.store.tables import list_freshness, list_source, list_stale_episode

CURSOR = "robots.freshness.seq"


@dataclass(frozen=True, slots=True)
class ListState:
    code: str
    name: str
    kind: str
    created_at: datetime
    last_change_at: datetime | None
    last_import_at: datetime | None
    max_age_hours: int | None
    open_episode_as_of: datetime | None
    source_date: datetime | None = None  # the source's own date (the file's, else Last-Modified)
    verified_at: datetime | None = None  # the last refresh that confirmed the list current
    refresh_error: str | None = None  # the last refresh failed (NULL: it succeeded, or none is configured)
    refresh_failed_at: datetime | None = None


class SqlFreshnessStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def catch_up(self) -> int:
        """Fold the change-log rows past the cursor into each list's last change (one grouped
        read of the new rows only). Returns how many rows it read past."""
        with self.engine.connect() as conn:
            after = int(conn.execute(select(job_cursor.c.seq).where(job_cursor.c.name == CURSOR)).scalar() or 0)
            head = int(conn.execute(select(func.max(change_log.c.seq))).scalar() or 0)
        if head <= after:
            return 0
        c = change_log.c
        with begin_write(self.engine) as conn:
            rows = conn.execute(
                select(c.list_code, func.max(c.at), func.max(c.seq)).where(c.seq > after, c.seq <= head).group_by(c.list_code)
            ).all()
            for code, at, seq in rows:
                stmt = dialect_insert(conn, list_freshness).values(list_code=code, last_change_at=at, last_change_seq=seq)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=["list_code"], set_={"last_change_at": at, "last_change_seq": seq}))
            _set_cursor(conn, CURSOR, head)
        return head - after

    def states(self) -> list[ListState]:
        e = list_stale_episode.c
        with self.engine.connect() as conn:
            lists = conn.execute(select(risk_list.c.code, risk_list.c.name, risk_list.c.kind, risk_list.c.created_at)
                                 .order_by(risk_list.c.code)).all()
            fresh = {r.list_code: r for r in conn.execute(select(list_freshness))}
            imports = dict(conn.execute(select(import_run.c.list_code, func.max(import_run.c.finished_at))
                                        .where(import_run.c.finished_at.is_not(None)).group_by(import_run.c.list_code)).all())
            episodes = dict(conn.execute(select(e.list_code, func.max(e.as_of)).where(e.ended_at.is_(None))
                                         .group_by(e.list_code)).all())
            # The source date of each list's newest import that recorded one (one row per list).
            newest = (select(func.max(import_run.c.id)).where(import_run.c.source_date.is_not(None))
                      .group_by(import_run.c.list_code))
            dated = dict(conn.execute(select(import_run.c.list_code, import_run.c.source_date)
                                      .where(import_run.c.id.in_(newest))).all())
            sources = {r.list_code: r for r in conn.execute(select(
                list_source.c.list_code, list_source.c.source_date, list_source.c.verified_at, list_source.c.error,
                list_source.c.failed_at))}
        out = []
        for code, name, kind, created in lists:
            row = fresh.get(code)
            src = sources.get(code)
            out.append(ListState(code, name, kind, created, row.last_change_at if row else None, imports.get(code),
                                 row.max_age_hours if row else None, episodes.get(code),
                                 source_date=(src.source_date if src is not None and src.source_date else None) or dated.get(code),
                                 verified_at=src.verified_at if src is not None else None,
                                 refresh_error=src.error if src is not None else None,
                                 refresh_failed_at=src.failed_at if src is not None else None))
        return out

    def set_period(self, code: str, hours: int | None, actor: str, now: datetime) -> None:
        with begin_write(self.engine) as conn:
            stmt = dialect_insert(conn, list_freshness).values(list_code=code, max_age_hours=hours, set_by=actor, set_at=now)
            conn.execute(stmt.on_conflict_do_update(index_elements=["list_code"],
                                                    set_={"max_age_hours": hours, "set_by": actor, "set_at": now}))

    def open_episode(self, code: str, as_of: datetime, now: datetime, alert_row: dict[str, Any]) -> bool:
        """Record that the list went stale at this "as of" and raise its alert, both or neither;
        False (nothing written) when this episode is already recorded."""
        with begin_write(self.engine) as conn:
            stmt = dialect_insert(conn, list_stale_episode).values(list_code=code, as_of=as_of, detected_at=now)
            added = conn.execute(stmt.on_conflict_do_nothing(index_elements=["list_code", "as_of"])
                                 .returning(list_stale_episode.c.id)).first()
            if added is None:
                return False
            alert_id = conn.execute(alert.insert().values(**alert_row).returning(alert.c.id)).scalar_one()
            conn.execute(update(list_stale_episode)
                         .where(list_stale_episode.c.list_code == code, list_stale_episode.c.as_of == as_of)
                         .values(alert_id=alert_id))
        return True

    def end_episodes(self, code: str, now: datetime) -> int:
        e = list_stale_episode.c
        with self.engine.connect() as conn:
            if conn.execute(select(e.id).where(e.list_code == code, e.ended_at.is_(None)).limit(1)).first() is None:
                return 0
        with begin_write(self.engine) as conn:
            return int(conn.execute(update(list_stale_episode).where(e.list_code == code, e.ended_at.is_(None))
                                    .values(ended_at=now)).rowcount)
