"""Field events and page views of the financial education campaigns (append-only)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, Engine, Index, Integer, String, Table, func, select

from finguard.core.db import begin_write
from finguard.core.tables import Id, UTCDateTime, metadata
from finguard.loans.model.education import FieldEvent

education_event = Table(
    "education_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("branch", String(64), nullable=False),
    Column("campaign", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("place", String(200), nullable=False),
    Column("staff", JSON, nullable=False),
    Column("leaflets", Integer, nullable=False),
    Column("questions", Integer, nullable=False),
    Column("photos", JSON, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("ix_education_event_branch", "branch", "day"),
)

education_view = Table(
    "education_view",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("topic", String(32), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("day", Date, nullable=False),
    Index("ix_education_view_topic", "topic", "day"),
)


class SqlEducationStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_events(self, events: Sequence[FieldEvent], actor: str, at: datetime) -> int:
        rows = [{**e.as_dict(), "day": e.day, "recorded_by": actor, "recorded_at": at} for e in events]
        if rows:
            with begin_write(self.engine) as conn:
                conn.execute(education_event.insert(), rows)
        return len(rows)

    def events(self, *, branch: str | None = None, campaign: str | None = None) -> list[FieldEvent]:
        e = education_event
        query = select(e).order_by(e.c.day, e.c.id)
        if branch:
            query = query.where(e.c.branch == branch)
        if campaign:
            query = query.where(e.c.campaign == campaign)
        with self.engine.connect() as conn:
            return [FieldEvent(r.branch, r.campaign, r.day, r.place, tuple(r.staff), r.leaflets, r.questions, tuple(r.photos))
                    for r in conn.execute(query)]

    def count_view(self, topic: str, lang: str, day: date) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(education_view.insert().values(topic=topic, lang=lang, day=day))

    def views(self) -> dict[str, dict[str, int]]:
        v = education_view
        out: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            for topic, lang, n in conn.execute(select(v.c.topic, v.c.lang, func.count()).group_by(v.c.topic, v.c.lang)):
                out.setdefault(topic, {})[lang] = int(n)
        return out
