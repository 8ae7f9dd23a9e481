"""SQL storage of the guard: the event and decision ledger, controls, conditions, rule versions.

All times are stored in UTC (SQLite keeps no offset) and read back time-zone aware.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, false, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from finguard.domain.errors import Conflict
from finguard.domain.guard.conditions import Condition, ConditionDraft, ConditionKind, SubjectType
from finguard.domain.guard.controls import CustomerControls, controls_from_dict, controls_to_dict
from finguard.domain.guard.decision import Decision, Outcome, Reason
from finguard.domain.guard.events import Event, EventType
from finguard.domain.guard.rules import Rule, RuleMode
from finguard.services.diligence import AlertDraft
from finguard.services.guard.conditions import ConditionService
from finguard.services.guard.customer import ControlChange, CustomerControlService
from finguard.services.guard.engine import GuardConfig, GuardService, ModelScorer, PayeeCheck
from finguard.services.guard.rules_service import RulesService, StoredDecision, StoredRule
from finguard.services.guard.velocity import MemoryBackend, Velocity, VelocityBackend
from finguard.services.lists import utcnow
from finguard.store.db import serialize_writers
from finguard.store.guard_tables import (
    guard_condition,
    guard_control_change,
    guard_controls,
    guard_counter,
    guard_decision,
    guard_event,
    guard_rule_version,
)
from finguard.store.lists_repo import aware
from finguard.store.tables import alert


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _at(value: datetime) -> datetime:
    out = aware(value)
    assert out is not None
    return out


def _alert_row(a: AlertDraft, now: datetime) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "subject": a.subject[:300],
        "severity": a.severity,
        "status": "open",
        "summary": a.summary,
        "details": a.details,
        "created_at": _utc(now),
        "source_seq": a.source_seq,
    }


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


class SqlGuardStore:
    """The one implementation of the guard's storage Protocols, on SQLite and PostgreSQL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
        try:
            with self._write() as conn:
                conn.execute(
                    insert(guard_event).values(
                        event_id=event.event_id,
                        customer_id=event.customer_id,
                        type=event.type.value,
                        occurred_at=_utc(event.occurred_at),
                        body=event.to_record(),
                        body_hash=body_hash,
                        received_at=_utc(now),
                    )
                )
                conn.execute(
                    insert(guard_decision).values(
                        decision_id=decision.decision_id,
                        event_id=decision.event_id,
                        customer_id=decision.customer_id,
                        event_type=decision.event_type,
                        outcome=decision.outcome.value,
                        shadow_outcome=decision.shadow_outcome.value,
                        score=decision.score,
                        reasons=[r.as_dict() for r in decision.reasons],
                        inputs=inputs,
                        rule_version=decision.rule_version,
                        list_seq=decision.list_seq,
                        decided_at=_utc(decision.decided_at),
                    )
                )
                if alert_draft is not None:
                    conn.execute(insert(alert).values(**_alert_row(alert_draft, now)))
        except IntegrityError:
            found = self.find_decision(event.event_id)
            if found is None:
                raise
            return found
        return body_hash, decision

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
            row = conn.execute(select(guard_controls).where(guard_controls.c.customer_id == customer_id)).first()
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
                    )
                )
        except IntegrityError:
            raise Conflict(f"the controls of {controls.customer_id} changed meanwhile; read them and try again") from None

    def control_changes(self, customer_id: str, limit: int) -> list[ControlChange]:
        query = (
            select(guard_control_change)
            .where(guard_control_change.c.customer_id == customer_id)
            .order_by(guard_control_change.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [
                ControlChange(r.customer_id, _at(r.at), r.actor, r.channel, bool(r.at_branch), r.requested, r.before, r.after)
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
        return Rule(
            rule.id, rule.expression, rule.description, rule.score, rule.outcome, rule.mode, rule.event_types, rule.enabled, version
        ), set_version

    def rule_history(self, rule_id: str) -> list[StoredRule]:
        query = select(guard_rule_version).where(guard_rule_version.c.rule_id == rule_id).order_by(guard_rule_version.c.version)
        with self.engine.connect() as conn:
            return [StoredRule(_rule(r), int(r.set_version), r.actor, _at(r.at)) for r in conn.execute(query)]


def make_velocity(redis_url: str | None, *, prefix: str = "finguard:vel:") -> Velocity:
    """In-process counters, or Redis when a URL is given (several processes share them)."""
    backend: VelocityBackend
    if redis_url:
        from finguard.services.guard.velocity_redis import RedisBackend

        backend = RedisBackend(redis_url, prefix=prefix)
    else:
        backend = MemoryBackend()
    return Velocity(backend)


def make_guard(
    engine: Engine,
    checker: PayeeCheck | None,
    redis_url: str | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    model: ModelScorer | None = None,
    velocity: Velocity | None = None,
    config: GuardConfig | None = None,
    rules_check_seconds: float = 0.0,
) -> GuardService:
    """Wire the guard on a migrated engine: the SQL store, the velocity backend, the services."""
    store = SqlGuardStore(engine)
    return GuardService(
        store,
        velocity or make_velocity(redis_url),
        RulesService(store, clock, check_seconds=rules_check_seconds),
        CustomerControlService(store, clock),
        ConditionService(store, clock),
        clock,
        checker=checker,
        model=model,
        config=config,
    )
