"""Rows of the case engine: ``case_item`` (one per work item, alerts adopted from the ``alert``
table the capabilities keep writing) and ``case_event`` (the append-only audit trail)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from finguard.alerts.model.attachments import Attachment, Upload
from finguard.alerts.model.cases import (
    AGE_BUCKETS,
    AGE_FILTERS,
    DUE_SOON,
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseFilter,
    CaseKind,
    Change,
    NewCase,
    State,
    alert_queue,
    case_kind_of_alert,
    due_at,
    new_confirmation,
)
from finguard.alerts.store import alert
from finguard.core.db import begin_write, dialect_insert
from finguard.core.errors import Conflict, Unavailable
from finguard.core.tables import Id, UTCDateTime, metadata

case_item = Table(
    "case_item",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("queue", String(64), nullable=False),
    Column("assignee", String(100), nullable=True),
    Column("subject", String(300), nullable=False),
    Column("summary", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("alert_id", BigInteger, ForeignKey("alert.id"), nullable=True, unique=True),
    Column("reference", String(16), nullable=True, unique=True),
    Column("category", String(64), nullable=True),
    Column("branch", String(100), nullable=True),
    Column("slot_start", UTCDateTime, nullable=True),
    Column("slot_end", UTCDateTime, nullable=True),
    Column("contact", String(200), nullable=True),
    Column("escalated_at", UTCDateTime, nullable=True),
    Column("closed_at", UTCDateTime, nullable=True),
    Column("disposition", String(32), nullable=True),
    Column("close_reason", Text, nullable=True),
    Column("pending_disposition", String(32), nullable=True),
    Column("pending_reason", Text, nullable=True),
    Column("pending_by", String(100), nullable=True),
    Index("ix_case_item_state_due", "state", "due_at"),
    Index("ix_case_item_queue_state", "queue", "state"),
    Index("ix_case_item_assignee", "assignee"),
)

# Append-only: the store inserts rows here and never updates or deletes one.
case_event = Table(
    "case_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("case_item.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_state", String(16), nullable=True),
    Column("to_state", String(16), nullable=True),
    Column("reason", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_case_event_case", "case_id", "id"),
)

# Evidence files (migration 1340): kept in the database beside their SHA-256, never changed.
case_attachment = Table(
    "case_attachment",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", BigInteger, ForeignKey("case_item.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
    Index("ix_case_attachment_case", "case_id", "id"),
)
_ATTACHMENT_META = [c for c in case_attachment.c if c.name != "content"]

_OPEN = [s.value for s in OPEN_STATES]


def _attachment(r: RowMapping) -> Attachment:
    return Attachment(r["id"], r["case_id"], r["name"], r["media_type"], r["size"], r["sha256"], r["uploaded_by"],
                      r["uploaded_at"])


def _case(r: RowMapping) -> Case:
    return Case(
        id=r["id"], kind=CaseKind(r["kind"]), state=State(r["state"]), severity=r["severity"], queue=r["queue"],
        subject=r["subject"], summary=r["summary"], details=r["details"] or {}, created_at=r["created_at"],
        due_at=r["due_at"], version=r["version"], assignee=r["assignee"], alert_id=r["alert_id"],
        reference=r["reference"], category=r["category"], branch=r["branch"], slot_start=r["slot_start"],
        slot_end=r["slot_end"], contact=r["contact"], escalated_at=r["escalated_at"], closed_at=r["closed_at"],
        disposition=r["disposition"], close_reason=r["close_reason"],
        pending_disposition=r["pending_disposition"], pending_reason=r["pending_reason"], pending_by=r["pending_by"],
    )


def _event_row(e: CaseEvent) -> dict[str, Any]:
    return {"case_id": e.case_id, "at": e.at, "actor": e.actor, "action": e.action, "from_state": e.from_state,
            "to_state": e.to_state, "reason": e.reason, "data": e.data}


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqlCaseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def adopt_alerts(self, now: datetime, limit: int) -> int:
        """Open alerts without a case become ``new`` cases (the writers of alerts stay unchanged)."""
        pending = (
            select(alert.c.id, alert.c.kind, alert.c.subject, alert.c.severity, alert.c.summary, alert.c.details,
                   alert.c.created_at)
            .where(alert.c.status == "open", ~exists().where(case_item.c.alert_id == alert.c.id))
            .order_by(alert.c.id)
            .limit(limit)
        )
        # Most reads find nothing to adopt: look first without taking the writers' lock.
        with self.engine.connect() as conn:
            if conn.execute(pending.with_only_columns(alert.c.id).limit(1)).first() is None:
                return 0
        with begin_write(self.engine) as conn:
            found = conn.execute(pending).mappings().all()
            if not found:
                return 0
            rows = [
                {
                    "kind": case_kind_of_alert(a["kind"]).value, "state": State.NEW.value, "severity": a["severity"],
                    "queue": alert_queue(a["kind"]), "subject": a["subject"], "summary": a["summary"],
                    "details": {"alert_kind": a["kind"], **(a["details"] or {})}, "created_at": a["created_at"],
                    "due_at": due_at(case_kind_of_alert(a["kind"]), a["severity"], a["created_at"]), "updated_at": now,
                    "version": 1, "alert_id": a["id"],
                }
                for a in found
            ]
            conn.execute(dialect_insert(conn, case_item).on_conflict_do_nothing(index_elements=["alert_id"]), rows)
            ids = conn.execute(
                select(case_item.c.id).where(case_item.c.alert_id.in_([a["id"] for a in found]),
                                             ~exists().where(case_event.c.case_id == case_item.c.id))
            ).scalars().all()
            if ids:
                conn.execute(case_event.insert(), [
                    {"case_id": i, "at": now, "actor": "system", "action": "open", "from_state": None,
                     "to_state": State.NEW.value, "reason": "alert", "data": {}} for i in ids
                ])
        return len(found)

    def escalate_overdue(self, now: datetime) -> int:
        """``model.breach`` for every case at once: each open, not yet escalated case past its
        deadline becomes ``escalated``, with its audit line, in one transaction of two statements
        (one by one, 36,000 overdue cases took minutes; see bench/cases)."""
        c = case_item.c
        due = and_(c.state.in_([s for s in _OPEN if s != State.ESCALATED.value]), c.due_at <= now)
        with self.engine.connect() as conn:
            if conn.execute(select(c.id).where(due).limit(1)).first() is None:
                return 0
        with begin_write(self.engine) as conn:
            lines = select(c.id, literal(now, UTCDateTime), literal("system"), literal("escalate"), c.state,
                           literal(State.ESCALATED.value), literal("sla_breached"), literal({}, JSON)).where(due)
            conn.execute(case_event.insert().from_select(
                ["case_id", "at", "actor", "action", "from_state", "to_state", "reason", "data"], lines))
            done = conn.execute(update(case_item).where(due).values(
                state=State.ESCALATED.value, escalated_at=now, updated_at=now, version=c.version + 1)).rowcount
        return int(done)

    def get(self, case_id: int) -> Case | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(case_item).where(case_item.c.id == case_id)).mappings().first()
        return _case(r) if r else None

    def by_reference(self, reference: str) -> Case | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(case_item).where(case_item.c.reference == reference)).mappings().first()
        return _case(r) if r else None

    def _where(self, f: CaseFilter, now: datetime) -> list[Any]:
        c = case_item.c
        where: list[Any] = []
        if f.state == "open":
            where.append(c.state.in_(_OPEN))
        elif f.state not in (None, "all"):
            where.append(c.state == f.state)
        for name in ("kind", "severity", "queue", "assignee"):
            value = getattr(f, name)
            if value:
                where.append(getattr(c, name) == value)
        if f.sla == "breached":
            where += [c.state.in_(_OPEN), c.due_at <= now]
        elif f.sla == "due_soon":
            where += [c.state.in_(_OPEN), c.due_at > now, c.due_at <= now + DUE_SOON]
        elif f.sla == "ok":
            where += [c.state.in_(_OPEN), c.due_at > now + DUE_SOON]
        if f.age:
            i = AGE_FILTERS.index(f.age)
            if i < len(AGE_BUCKETS):
                where.append(c.created_at > now - AGE_BUCKETS[i])
            if i > 0:
                where.append(c.created_at <= now - AGE_BUCKETS[i - 1])
        if f.q:
            pattern = _like(f.q.strip())
            conds: list[Any] = [c.subject.ilike(pattern, escape="\\"), c.summary.ilike(pattern, escape="\\"),
                     c.reference.ilike(pattern.replace("-", ""), escape="\\")]
            if f.q.strip().isdigit():
                conds.append(c.id == int(f.q.strip()))
            where.append(or_(*conds))
        return where

    def find(self, f: CaseFilter, now: datetime) -> tuple[list[Case], int]:
        where = self._where(f, now)
        q = select(case_item).where(*where).order_by(case_item.c.due_at, case_item.c.id).limit(f.limit).offset(f.offset)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(case_item).where(*where)).scalar_one()
            return [_case(r) for r in conn.execute(q).mappings()], total

    def scan(self, f: CaseFilter, now: datetime, after_id: int, limit: int) -> list[Case]:
        """The filter's cases in id order past ``after_id``, without counting (for exports)."""
        q = (select(case_item).where(*self._where(f, now), case_item.c.id > after_id)
             .order_by(case_item.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [_case(r) for r in conn.execute(q).mappings()]

    def events(self, case_id: int) -> list[CaseEvent]:
        q = select(case_event).where(case_event.c.case_id == case_id).order_by(case_event.c.id)
        with self.engine.connect() as conn:
            return [
                CaseEvent(r["case_id"], r["at"], r["actor"], r["action"], r["from_state"], r["to_state"], r["reason"],
                          r["data"] or {}, r["id"])
                for r in conn.execute(q).mappings()
            ]

    def apply(self, case: Case, change: Change) -> Case:
        """The move and its audit line in one transaction; a case changed meanwhile is a 409."""
        values = {**change.values, "version": case.version + 1, "updated_at": change.event.at}
        with begin_write(self.engine) as conn:
            done = conn.execute(
                update(case_item).where(case_item.c.id == case.id, case_item.c.version == case.version).values(**values)
            ).rowcount
            if done != 1:
                raise Conflict(f"case {case.id} was changed by someone else; reload it and try again")
            conn.execute(case_event.insert(), [_event_row(change.event)])
            if values.get("state") == State.CLOSED.value and case.alert_id is not None:
                conn.execute(update(alert).where(alert.c.id == case.alert_id).values(status="closed"))
            r = conn.execute(select(case_item).where(case_item.c.id == case.id)).mappings().one()
        return _case(r)

    def append(self, event: CaseEvent) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(case_event.insert(), [_event_row(event)])

    def create(self, new: NewCase, actor: str) -> Case:
        reference = new.reference
        for _ in range(5):  # a clash of confirmation numbers (1 in ~10^10 per pair) draws another
            try:
                return self._insert(new, actor, reference)
            except IntegrityError:
                reference = new_confirmation()
        raise Unavailable("could not draw a free confirmation number")

    def create_once(self, new: NewCase, actor: str) -> tuple[Case, bool]:
        """``create`` under a fixed reference: a clash means another process opened it first."""
        try:
            return self._insert(new, actor, new.reference), True
        except IntegrityError:
            found = self.by_reference(new.reference or "")
            if found is None:
                raise
            return found, False

    def _insert(self, new: NewCase, actor: str, reference: str | None) -> Case:
        row = {
            "kind": new.kind.value, "state": State.NEW.value, "severity": new.severity, "queue": new.queue,
            "subject": new.subject, "summary": new.summary, "details": new.details, "created_at": new.created_at,
            "due_at": new.due_at, "updated_at": new.created_at, "version": 1, "reference": reference,
            "category": new.category, "branch": new.branch, "slot_start": new.slot_start, "slot_end": new.slot_end,
            "contact": new.contact,
        }
        with begin_write(self.engine) as conn:
            case_id = conn.execute(case_item.insert().values(**row).returning(case_item.c.id)).scalar_one()
            conn.execute(case_event.insert(), [{
                "case_id": case_id, "at": new.created_at, "actor": actor, "action": "open", "from_state": None,
                "to_state": State.NEW.value, "reason": new.kind.value, "data": {},
            }])
            r = conn.execute(select(case_item).where(case_item.c.id == case_id)).mappings().one()
        return _case(r)

    def open_counts(self, now: datetime) -> dict[tuple[int, str], int]:
        c = case_item.c
        age = case(
            *((c.created_at > now - bound, i) for i, bound in enumerate(AGE_BUCKETS)), else_=len(AGE_BUCKETS)
        ).label("age")
        sla = case((c.due_at <= now, "breached"), (c.due_at <= now + DUE_SOON, "due_soon"), else_="ok").label("sla")
        # Grouped over a subquery: PostgreSQL would not match a CASE with bound values to itself.
        inner = select(age, sla).where(c.state.in_(_OPEN)).subquery()
        q = select(inner.c.age, inner.c.sla, func.count()).group_by(inner.c.age, inner.c.sla)
        with self.engine.connect() as conn:
            return {(int(a), str(s)): int(n) for a, s, n in conn.execute(q)}

    # -- evidence --------------------------------------------------------------------------------

    def add_attachment(self, case: Case, upload: Upload, event: CaseEvent) -> Attachment:
        """The file and its audit line in one transaction; a case closed meanwhile is a 409."""
        with begin_write(self.engine) as conn:
            state = conn.execute(select(case_item.c.state).where(case_item.c.id == case.id)).scalar_one_or_none()
            if state is None or state == State.CLOSED.value:
                raise Conflict(f"case {case.id} is closed; evidence can no longer be added")
            att_id = conn.execute(case_attachment.insert().values(
                case_id=case.id, name=upload.name, media_type=upload.media_type, size=upload.size,
                sha256=upload.sha256, content=upload.content, uploaded_by=event.actor, uploaded_at=event.at,
            ).returning(case_attachment.c.id)).scalar_one()
            row = _event_row(event)
            row["data"] = {**event.data, "attachment_id": att_id}
            conn.execute(case_event.insert(), [row])
            r = conn.execute(select(*_ATTACHMENT_META).where(case_attachment.c.id == att_id)).mappings().one()
        return _attachment(r)

    def attachments(self, case_id: int) -> list[Attachment]:
        q = select(*_ATTACHMENT_META).where(case_attachment.c.case_id == case_id).order_by(case_attachment.c.id)
        with self.engine.connect() as conn:
            return [_attachment(r) for r in conn.execute(q).mappings()]

    def attachment(self, case_id: int, attachment_id: int) -> tuple[Attachment, bytes] | None:
        q = select(case_attachment).where(case_attachment.c.case_id == case_id, case_attachment.c.id == attachment_id)
        with self.engine.connect() as conn:
            r = conn.execute(q).mappings().first()
        return (_attachment(r), bytes(r["content"])) if r else None

    def closed_since(self, since: datetime) -> list[tuple[datetime, str]]:
        """(closed_at, disposition) of every case closed at or after ``since`` (the dashboard's
        30 days; bucketed into China days by the model)."""
        c = case_item.c
        q = select(c.closed_at, c.disposition).where(c.state == State.CLOSED.value, c.closed_at >= since)
        with self.engine.connect() as conn:
            return [(r[0], r[1] or "") for r in conn.execute(q)]
