"""SQL storage of the guard: the event and decision ledger, controls, conditions, rule versions.

All times are stored in UTC (SQLite keeps no offset) and read back time-zone aware.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, false, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from finguard.alerts.model import AlertDraft
from finguard.alerts.store import alert
from finguard.core.clock import aware
from finguard.core.db import (
    bind_processors,
    dialect_insert,
    execute_values,
    execute_values_returning,
    insert_batch,
    is_sqlite,
    serialize_writers,
)
from finguard.core.errors import Conflict
from finguard.guard.model.conditions import Condition, ConditionDraft, ConditionKind, SubjectType
from finguard.guard.model.controls import CustomerControls, controls_from_dict, controls_to_dict
from finguard.guard.model.decision import Decision, Outcome, Reason
from finguard.guard.model.events import Event, EventType
from finguard.guard.model.ledger import SOURCE as LEDGER_SOURCE
from finguard.guard.model.rules import Rule, RuleMode
from finguard.guard.service.customer import ControlChange
from finguard.guard.service.engine import DecisionRecord
from finguard.guard.service.rules_service import StoredDecision, StoredRule
from finguard.guard.store.tables import (
    guard_condition,
    guard_control_change,
    guard_controls,
    guard_counter,
    guard_decision,
    guard_event,
    guard_rule_version,
)
from finguard.ledger.store.repo import insert_transfers


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _at(value: datetime) -> datetime:
    out = aware(value)
    assert out is not None
    return out


def _alert_row(a: AlertDraft, now: datetime) -> dict[str, Any]:
    return dict(zip(_ALERT_COLUMNS, _alert_values(a, _utc(now)), strict=True))


def _decision(row: Any) -> Decision:
    return Decision(
        row.decision_id,
        row.event_id,
        row.customer_id,
        row.event_type,
        Outcome(row.outcome),
        float(row.score),
        tuple(Reason.from_dict(r) for r in row.reasons),
        int(row.rule_version),
        int(row.list_seq),
        _at(row.decided_at),
        Outcome(row.shadow_outcome),
    )


def _condition(row: Any) -> Condition:
    draft = ConditionDraft(
        ConditionKind(row.kind),
        SubjectType(row.subject_type),
        row.subject,
        row.reason,
        _at(row.starts_at),
        aware(row.expires_at),
        tuple(EventType(t) for t in row.event_types),
    )
    return Condition(int(row.id), draft, row.created_by, _at(row.created_at), aware(row.revoked_at), row.revoked_by)


def _rule(row: Any) -> Rule:
    return Rule(
        row.rule_id,
        row.expression,
        row.description,
        float(row.score),
        Outcome(row.outcome) if row.outcome else None,
        RuleMode(row.mode),
        tuple(EventType(t) for t in row.event_types),
        bool(row.enabled),
        int(row.version),
    )


# Built once: read on the first decision of every customer a process sees (#19).
_CONTROLS_OF = select(guard_controls).where(guard_controls.c.customer_id == bindparam("customer_id"))

# Counters in ``guard_counter`` bumped in the transaction of every change to what the read
# cache keeps; a process compares them to decide whether its cache is still current.
_CACHED = ("conditions", "controls")
_CACHE_MAX = 200_000  # entries of each kind; the cache starts afresh beyond
_ALL_CONDITIONS = 20_000  # up to this many stored conditions, all are kept (a miss needs no query)


def _bump(conn: Connection, name: str) -> None:
    """Add one to a counter in the caller's transaction (created at 1 when missing)."""
    stmt = dialect_insert(conn, guard_counter).values(name=name, value=1)
    conn.execute(stmt.on_conflict_do_update(index_elements=[guard_counter.c.name], set_={"value": guard_counter.c.value + 1}))


class _Local:
    """Changes made in this process through one engine; every store on that engine sees them at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reads = 0  # changes to controls or conditions
        self.rules = 0  # rule versions added
        self.fraud = 0  # fraud confirmed or withdrawn (``store.fraud``)

    def changed(self, kind: str) -> None:
        with self.lock:
            setattr(self, kind, getattr(self, kind) + 1)


_LOCAL: weakref.WeakKeyDictionary[Engine, _Local] = weakref.WeakKeyDictionary()
_LOCAL_LOCK = threading.Lock()


def _local(engine: Engine) -> _Local:
    with _LOCAL_LOCK:
        found = _LOCAL.get(engine)
        if found is None:
            found = _LOCAL[engine] = _Local()
        return found


class _ReadCache:
    """Customer controls and operator conditions as decisions read them, kept while nothing changed.

    Valid while the stored counters (checked at most every ``check_seconds``) and this process's
    own change count stay the same; anything else clears it. An entry read while a change was
    happening is dropped by the next check, so staleness is bounded by the check interval (and
    is nil for changes made in this process).
    """

    def __init__(self, check_seconds: float) -> None:
        self.check_seconds = check_seconds
        self.lock = threading.Lock()
        self.versions: dict[str, int] | None = None
        self.local = -1
        self.checked = float("-inf")
        self.generation = 0
        self.controls: dict[str, CustomerControls | None] = {}
        self.conditions: dict[tuple[str, str], list[Condition]] = {}
        self.all_conditions: bool | None = None  # every stored condition is in ``conditions``; None: not tried


_EVENT_COLUMNS = ("event_id", "customer_id", "type", "occurred_at", "body", "body_hash", "received_at")
_DECISION_COLUMNS = (
    "decision_id",
    "event_id",
    "customer_id",
    "event_type",
    "outcome",
    "shadow_outcome",
    "score",
    "reasons",
    "inputs",
    "rule_version",
    "list_seq",
    "decided_at",
)
# The JSON text SQLAlchemy's JSON type writes for a dict or a list (``json.dumps`` with its defaults),
# without the check for circular references (a stored value never holds itself): ~15 % less CPU,
# the same text.
_JSON_TEXT = json.JSONEncoder(check_circular=False).encode


def _json_writer(proc: Any, dialect: Any) -> Any:
    """A JSON column's bind processing: :data:`_JSON_TEXT` for a plain dict or list, the column's own
    processor for anything else (or for every value when the engine has a serializer of its own)."""
    if getattr(dialect, "_json_serializer", None) is not None:
        return proc

    def to_json(value: Any) -> Any:
        if type(value) is dict or type(value) is list:
            return _JSON_TEXT(value)
        return proc(value)

    return to_json


_ALERT_COLUMNS = ("kind", "subject", "severity", "status", "summary", "details", "created_at", "source_seq")


def _event_values(r: DecisionRecord, received: datetime | None) -> tuple[Any, ...]:
    """A record's event row in :data:`_EVENT_COLUMNS` order, as Python values (UTC times)."""
    e = r.event
    body = r.body if r.body is not None else e.to_record()
    return (e.event_id, e.customer_id, e.type.value, _utc(e.occurred_at), body, r.body_hash, received)


def _decision_values(r: DecisionRecord) -> tuple[Any, ...]:
    """A record's decision row in :data:`_DECISION_COLUMNS` order, as Python values (UTC times)."""
    d = r.decision
    reasons = [x.as_dict() for x in d.reasons]
    return (
        d.decision_id, d.event_id, d.customer_id, d.event_type, d.outcome.value, d.shadow_outcome.value,
        d.score, reasons, r.inputs, d.rule_version, d.list_seq, _utc(d.decided_at),
    )  # fmt: skip


def _alert_values(a: AlertDraft, created: datetime | None) -> tuple[Any, ...]:
    """An alert draft's row in :data:`_ALERT_COLUMNS` order, as Python values."""
    return (a.kind, a.subject[:300], a.severity, "open", a.summary, a.details, created, a.source_seq)


class _SqliteRows:
    """SQLite: a batch's events, decisions and alerts as rows of driver values, written with
    multi-row ``INSERT ... VALUES`` statements (``core.db.execute_values``), not SQLAlchemy's
    executemany (#19: the statement's compilation, per-row parameter dicts and its RETURNING
    handling cost more than the rows). Each value goes through its column's own bind processing
    (``core.db.bind_processors``: the JSON text, the UTC time's text), as SQLAlchemy's INSERT sends
    it (a dict's or list's JSON text by :data:`_JSON_TEXT`, the same text); a time shared by the batch's
    rows (received, decided, created) is processed once."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        prep = dialect.identifier_preparer

        def head(table: Any, names: Sequence[str]) -> str:
            return f"INSERT INTO {prep.format_table(table)} ({', '.join(prep.quote(n) for n in names)})"

        self.events = head(guard_event, _EVENT_COLUMNS)
        # an id already stored is skipped; the ids inserted come back
        self.events_tail = f" ON CONFLICT ({prep.quote('event_id')}) DO NOTHING RETURNING {prep.quote('event_id')}"
        self.decisions = head(guard_decision, _DECISION_COLUMNS)
        self.alerts = head(alert, _ALERT_COLUMNS)
        procs = dict(zip(_EVENT_COLUMNS, bind_processors(dialect, guard_event, _EVENT_COLUMNS), strict=True))
        assert all(procs[n] is None for n in ("event_id", "customer_id", "type", "body_hash"))
        self.event_time, self.event_body = procs["occurred_at"], _json_writer(procs["body"], dialect)
        procs = dict(zip(_DECISION_COLUMNS, bind_processors(dialect, guard_decision, _DECISION_COLUMNS), strict=True))
        assert all(procs[n] is None for n in ("decision_id", "event_id", "customer_id", "event_type", "outcome", "shadow_outcome"))
        assert procs["rule_version"] is None and procs["list_seq"] is None
        self.score, self.decided = procs["score"], procs["decided_at"]
        self.reasons, self.inputs = _json_writer(procs["reasons"], dialect), _json_writer(procs["inputs"], dialect)
        procs = dict(zip(_ALERT_COLUMNS, bind_processors(dialect, alert, _ALERT_COLUMNS), strict=True))
        assert all(procs[n] is None for n in ("kind", "subject", "severity", "status", "summary", "source_seq"))
        self.details, self.created = _json_writer(procs["details"], dialect), procs["created_at"]

    def write(self, conn: Connection, records: Sequence[DecisionRecord], now: datetime) -> tuple[set[str], Sequence[DecisionRecord]]:
        """Store the events not stored yet, and their decisions and alerts; returns their ids and records."""
        received = self.event_time(_utc(now))
        at, body = self.event_time, self.event_body
        events = []
        for r in records:
            v = _event_values(r, now)
            events.append((v[0], v[1], v[2], at(v[3]), body(v[4]), v[5], received))
        added = set(execute_values_returning(conn, self.events, events, tail=self.events_tail))
        new = records if len(added) == len(records) else [r for r in records if r.event.event_id in added]
        if not new:
            return added, new
        score, reasons, inputs, decided = self.score, self.reasons, self.inputs, self.decided
        last: Any = None
        stamp: Any = None
        decisions = []
        for r in new:
            v = _decision_values(r)
            if v[11] != last:  # the batch's decisions mostly share one time: processed once
                last = v[11]
                stamp = decided(last)
            decisions.append((*v[:6], score(v[6]), reasons(v[7]), inputs(v[8]), v[9], v[10], stamp))
        execute_values(conn, self.decisions, decisions)
        drafts = [r.alert for r in new if r.alert is not None]
        if drafts:
            created, details = self.created(_utc(now)), self.details
            alerts = []
            for a in drafts:
                v = _alert_values(a, now)
                alerts.append((*v[:5], details(v[5]), created, v[7]))
            execute_values(conn, self.alerts, alerts)
        return added, new


class SqlGuardStore:
    """The one implementation of the guard's storage Protocols, on SQLite and PostgreSQL."""

    def __init__(self, engine: Engine, *, cache_check_seconds: float = 0.0) -> None:
        self.engine = engine
        self._local = _local(engine)
        self._cache = _ReadCache(cache_check_seconds)
        # An id already stored is skipped, not an error, so a batch stays one transaction.
        self._add_events = (
            dialect_insert(engine, guard_event)
            .on_conflict_do_nothing(index_elements=[guard_event.c.event_id])
            .returning(guard_event.c.event_id)
        )
        self._add_decisions = insert(guard_decision)
        self._add_alerts = insert(alert)
        self._sqlite = _SqliteRows(engine) if is_sqlite(engine) else None

    # -- the read cache ------------------------------------------------------------------

    def _cache_generation(self) -> int:
        """Clear the cache if something may have changed; the generation entries read now join."""
        c = self._cache
        local = self._local.reads
        now = time.monotonic()
        if local == c.local and now - c.checked < c.check_seconds:
            return c.generation
        with self.engine.connect() as conn:
            rows = conn.execute(select(guard_counter.c.name, guard_counter.c.value).where(guard_counter.c.name.in_(_CACHED)))
            versions = {str(r.name): int(r.value) for r in rows}
        with c.lock:
            if versions != c.versions or local != c.local:
                c.controls.clear()
                c.conditions.clear()
                c.all_conditions = None
                c.generation += 1
                c.versions = versions
                c.local = local
            c.checked = now
            return c.generation

    def cached_controls(self, customer_id: str) -> CustomerControls | None:
        generation = self._cache_generation()
        c = self._cache
        try:
            return c.controls[customer_id]
        except KeyError:
            pass
        found = self.get_controls(customer_id)
        with c.lock:
            if c.generation == generation:
                if len(c.controls) >= _CACHE_MAX:
                    c.controls.clear()
                c.controls[customer_id] = found
        return found

    def _load_all_conditions(self, generation: int) -> None:
        """Keep every stored condition when there are few (the usual case): then a subject with
        no entry has none, and a decision needs no query at all."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(guard_condition).limit(_ALL_CONDITIONS + 1)).all()
        c = self._cache
        with c.lock:
            if c.generation != generation:
                return
            if len(rows) > _ALL_CONDITIONS:
                c.all_conditions = False
                return
            table: dict[tuple[str, str], list[Condition]] = {}
            for row in rows:
                cond = _condition(row)
                table.setdefault((cond.draft.subject_type.value, cond.draft.subject), []).append(cond)
            c.conditions = table
            c.all_conditions = True

    def cached_conditions(self, subjects: Sequence[tuple[SubjectType, str]]) -> list[Condition]:
        generation = self._cache_generation()
        c = self._cache
        keys = list(dict.fromkeys((t.value, s) for t, s in subjects))
        if c.all_conditions is None:
            self._load_all_conditions(generation)
        if c.all_conditions and c.generation == generation:
            table = c.conditions
            return [cond for key in keys for cond in table.get(key, ())]
        missing = [(t, s) for t, s in subjects if (t.value, s) not in c.conditions]
        if missing:
            fresh: dict[tuple[str, str], list[Condition]] = {(t.value, s): [] for t, s in missing}
            for cond in self.conditions_for(missing):
                fresh.setdefault((cond.draft.subject_type.value, cond.draft.subject), []).append(cond)
            with c.lock:
                if c.generation == generation:
                    if len(c.conditions) >= _CACHE_MAX:
                        c.conditions.clear()
                    c.conditions.update(fresh)
        else:
            fresh = {}
        out: list[Condition] = []
        for key in keys:
            found = fresh.get(key)
            if found is None:
                found = c.conditions.get(key)
                if found is None:  # cleared meanwhile: read it again
                    return self.conditions_for(subjects)
            out += found
        return out

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(finguard_write=True) as conn, conn.begin():
            yield conn

    # -- the ledger ----------------------------------------------------------------------

    def find_decision(self, event_id: str) -> tuple[str, Decision] | None:
        query = (
            select(guard_event.c.body_hash, guard_decision)
            .join(guard_decision, guard_decision.c.event_id == guard_event.c.event_id)
            .where(guard_event.c.event_id == event_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return (row.body_hash, _decision(row)) if row else None

    def record_decision(
        self, event: Event, body_hash: str, decision: Decision, inputs: dict[str, Any], alert_draft: AlertDraft | None, now: datetime
    ) -> tuple[str, Decision]:
        return self.record_decisions([DecisionRecord(event, body_hash, decision, inputs, alert_draft)], now)[0]

    def record_decisions(self, records: Sequence[DecisionRecord], now: datetime) -> list[tuple[str, Decision]]:
        if not records:
            return []
        with self._write() as conn:
            write = self._sqlite.write if self._sqlite is not None else self._write_rows
            added, new = write(conn, records, now)
            if new:
                payments = [r.payment for r in new if r.payment is not None]
                if payments:
                    accounts = [a for p in payments for a in p.accounts]
                    insert_transfers(conn, LEDGER_SOURCE, [p.transfer for p in payments], accounts, known_new=True)
            stored: dict[str, tuple[str, Decision]] = {}
            if len(new) < len(records):
                query = (
                    select(guard_event.c.body_hash, guard_decision)
                    .join(guard_decision, guard_decision.c.event_id == guard_event.c.event_id)
                    .where(guard_event.c.event_id.in_([r.event.event_id for r in records if r.event.event_id not in added]))
                )
                stored = {row.event_id: (row.body_hash, _decision(row)) for row in conn.execute(query)}
        return [(r.body_hash, r.decision) if r.event.event_id in added else stored[r.event.event_id] for r in records]

    def _write_rows(self, conn: Connection, records: Sequence[DecisionRecord], now: datetime) -> tuple[set[str], Sequence[DecisionRecord]]:
        """PostgreSQL: the events (those not stored yet), their decisions and alerts, as dicts
        through ``core.db.insert_batch`` (2+ rows: one fixed statement, the values as arrays)."""
        received = _utc(now)
        events = [dict(zip(_EVENT_COLUMNS, _event_values(r, received), strict=True)) for r in records]
        added = set(insert_batch(conn, guard_event, self._add_events, events, conflict=("event_id",), returning="event_id"))
        new = [r for r in records if r.event.event_id in added]
        if new:
            decisions = [dict(zip(_DECISION_COLUMNS, _decision_values(r), strict=True)) for r in new]
            insert_batch(conn, guard_decision, self._add_decisions, decisions)
            alerts = [_alert_row(r.alert, now) for r in new if r.alert is not None]
            if alerts:
                insert_batch(conn, alert, self._add_alerts, alerts)
        return added, new

    def get_decision(self, decision_id: str) -> Decision | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(guard_decision).where(guard_decision.c.decision_id == decision_id)).first()
        return _decision(row) if row else None

    def decisions_of(self, customer_id: str, limit: int, offset: int) -> list[Decision]:
        query = (
            select(guard_decision)
            .where(guard_decision.c.customer_id == customer_id)
            .order_by(guard_decision.c.decided_at.desc(), guard_decision.c.decision_id)
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            return [_decision(r) for r in conn.execute(query)]

    def add_guard_alert(self, alert_draft: AlertDraft, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(alert).values(**_alert_row(alert_draft, now)))

    def stored_decisions(self, since: datetime | None, until: datetime | None, limit: int) -> list[StoredDecision]:
        query = select(guard_event.c.body, guard_decision).join(guard_decision, guard_decision.c.event_id == guard_event.c.event_id)
        if since is not None:
            query = query.where(guard_event.c.occurred_at >= _utc(since))
        if until is not None:
            query = query.where(guard_event.c.occurred_at < _utc(until))
        query = query.order_by(guard_event.c.occurred_at, guard_event.c.event_id).limit(limit)
        with self.engine.connect() as conn:
            return [StoredDecision(dict(r.body), _decision(r), dict(r.inputs)) for r in conn.execute(query)]

    # -- customer controls ---------------------------------------------------------------

    def get_controls(self, customer_id: str) -> CustomerControls | None:
        with self.engine.connect() as conn:
            row = conn.execute(_CONTROLS_OF, {"customer_id": customer_id}).first()
        return controls_from_dict(customer_id, row.data, int(row.version), aware(row.updated_at)) if row else None

    def save_controls(self, controls: CustomerControls, change: ControlChange) -> None:
        data = controls_to_dict(controls)
        try:
            with self._write() as conn:
                if controls.version == 1:
                    conn.execute(
                        insert(guard_controls).values(
                            customer_id=controls.customer_id, data=data, version=1, updated_at=_utc(controls.updated_at)
                        )
                    )
                else:
                    done = conn.execute(
                        update(guard_controls)
                        .where(guard_controls.c.customer_id == controls.customer_id, guard_controls.c.version == controls.version - 1)
                        .values(data=data, version=controls.version, updated_at=_utc(controls.updated_at))
                    ).rowcount
                    if done != 1:
                        raise Conflict(f"the controls of {controls.customer_id} changed meanwhile; read them and try again")
                _bump(conn, "controls")
                conn.execute(
                    insert(guard_control_change).values(
                        customer_id=change.customer_id,
                        at=_utc(change.at),
                        actor=change.actor,
                        channel=change.channel,
                        at_branch=change.at_branch,
                        requested=change.requested,
                        before=change.before,
                        after=change.after,
                        reason=change.reason or None,
                    )
                )
        except IntegrityError:
            raise Conflict(f"the controls of {controls.customer_id} changed meanwhile; read them and try again") from None
        finally:
            self._local.changed("reads")

    def control_changes(self, customer_id: str, limit: int) -> list[ControlChange]:
        query = (
            select(guard_control_change)
            .where(guard_control_change.c.customer_id == customer_id)
            .order_by(guard_control_change.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [
                ControlChange(
                    r.customer_id, _at(r.at), r.actor, r.channel, bool(r.at_branch), r.requested, r.before, r.after, r.reason or ""
                )
                for r in conn.execute(query)
            ]

    # -- operator conditions -------------------------------------------------------------

    def add_condition(self, draft: ConditionDraft, actor: str, now: datetime) -> Condition:
        with self._write() as conn:
            new_id = conn.execute(
                insert(guard_condition)
                .values(
                    kind=draft.kind.value,
                    subject_type=draft.subject_type.value,
                    subject=draft.subject,
                    event_types=[t.value for t in draft.event_types],
                    starts_at=_utc(draft.starts_at),
                    expires_at=_utc(draft.expires_at),
                    reason=draft.reason,
                    created_by=actor,
                    created_at=_utc(now),
                )
                .returning(guard_condition.c.id)
            ).scalar_one()
            _bump(conn, "conditions")
        self._local.changed("reads")
        found = self.get_condition(int(new_id))
        assert found is not None
        return found

    def get_condition(self, condition_id: int) -> Condition | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(guard_condition).where(guard_condition.c.id == condition_id)).first()
        return _condition(row) if row else None

    def revoke_condition(self, condition_id: int, actor: str, now: datetime) -> bool:
        with self._write() as conn:
            done = conn.execute(
                update(guard_condition)
                .where(guard_condition.c.id == condition_id, guard_condition.c.revoked_at.is_(None))
                .values(revoked_at=_utc(now), revoked_by=actor)
            ).rowcount
            if done:
                _bump(conn, "conditions")
        self._local.changed("reads")
        return bool(done)

    def list_conditions(
        self, subject_type: SubjectType | None, subject: str | None, active_at: datetime | None, limit: int
    ) -> list[Condition]:
        query = select(guard_condition)
        if subject_type is not None:
            query = query.where(guard_condition.c.subject_type == subject_type.value)
        if subject is not None:
            query = query.where(guard_condition.c.subject == subject)
        if active_at is not None:
            t = _utc(active_at)
            query = query.where(
                guard_condition.c.starts_at <= t,
                or_(guard_condition.c.expires_at.is_(None), guard_condition.c.expires_at > t),
                guard_condition.c.revoked_at.is_(None),
            )
        with self.engine.connect() as conn:
            return [_condition(r) for r in conn.execute(query.order_by(guard_condition.c.id.desc()).limit(limit))]

    def conditions_for(self, subjects: Sequence[tuple[SubjectType, str]]) -> list[Condition]:
        if not subjects:
            return []
        match = or_(false(), *(and_(guard_condition.c.subject_type == t.value, guard_condition.c.subject == s) for t, s in subjects))
        with self.engine.connect() as conn:
            return [_condition(r) for r in conn.execute(select(guard_condition).where(match))]

    # -- rules ---------------------------------------------------------------------------

    def local_rule_changes(self) -> int:
        """Rule versions added in this process on this engine (other stores' included)."""
        return self._local.rules

    def rules_version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(guard_counter.c.value).where(guard_counter.c.name == "rules")).scalar_one())

    def rules_at(self, set_version: int) -> list[Rule]:
        query = (
            select(guard_rule_version)
            .where(guard_rule_version.c.set_version <= set_version)
            .order_by(guard_rule_version.c.rule_id, guard_rule_version.c.version)
        )
        latest: dict[str, Rule] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                latest[row.rule_id] = _rule(row)
        return list(latest.values())

    def add_rule_version(self, rule: Rule, actor: str, now: datetime) -> tuple[Rule, int]:
        with self._write() as conn:
            # The counter row is the writers' lock: a second writer waits here until we commit.
            serialize_writers(conn)
            conn.execute(update(guard_counter).where(guard_counter.c.name == "rules").values(value=guard_counter.c.value + 1))
            set_version = int(conn.execute(select(guard_counter.c.value).where(guard_counter.c.name == "rules")).scalar_one())
            last = conn.execute(select(func.max(guard_rule_version.c.version)).where(guard_rule_version.c.rule_id == rule.id)).scalar()
            version = int(last or 0) + 1
            conn.execute(
                insert(guard_rule_version).values(
                    rule_id=rule.id,
                    version=version,
                    set_version=set_version,
                    expression=rule.expression,
                    description=rule.description,
                    score=rule.score,
                    outcome=rule.outcome.value if rule.outcome else None,
                    mode=rule.mode.value,
                    event_types=[t.value for t in rule.event_types],
                    enabled=rule.enabled,
                    actor=actor,
                    at=_utc(now),
                )
            )
        self._local.changed("rules")
        return Rule(
            rule.id, rule.expression, rule.description, rule.score, rule.outcome, rule.mode, rule.event_types, rule.enabled, version
        ), set_version

    def rule_history(self, rule_id: str) -> list[StoredRule]:
        query = select(guard_rule_version).where(guard_rule_version.c.rule_id == rule_id).order_by(guard_rule_version.c.version)
        with self.engine.connect() as conn:
            return [StoredRule(_rule(r), int(r.set_version), r.actor, _at(r.at)) for r in conn.execute(query)]
