"""SQL store of analysts' reviews and the case view of a decision (``ReviewStore``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, insert, select

from finguard.guard.model.review import Review, ReviewAction
from finguard.guard.service.rules_service import StoredDecision
from finguard.guard.store.fraud import confirm_in, withdraw_in
from finguard.guard.store.repo import _decision, _local
from finguard.guard.store.tables import guard_decision, guard_event, guard_review


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


def _review(row: object) -> Review:
    r = row._mapping  # type: ignore[attr-defined]
    return Review(r["decision_id"], r["event_id"], r["customer_id"], ReviewAction(r["action"]), r["actor"], r["reason"], r["at"])


class SqlReviewStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _stored(self) -> object:
        return select(guard_event.c.body, guard_decision).join(guard_decision, guard_decision.c.event_id == guard_event.c.event_id)

    def stored_decision(self, decision_id: str) -> StoredDecision | None:
        query = self._stored().where(guard_decision.c.decision_id == decision_id)  # type: ignore[attr-defined]
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return StoredDecision(dict(row.body), _decision(row), dict(row.inputs)) if row else None

    def history_of(self, customer_id: str, before: datetime, limit: int) -> list[StoredDecision]:
        query = (
            self._stored()  # type: ignore[attr-defined]
            .where(guard_event.c.customer_id == customer_id, guard_event.c.occurred_at < _utc(before))
            .order_by(guard_event.c.occurred_at.desc(), guard_event.c.event_id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [StoredDecision(dict(r.body), _decision(r), dict(r.inputs)) for r in conn.execute(query)]

    def add_review(self, review: Review) -> None:
        """Keep the review; fraud confirmed (or a confirmation undone) feeds ``guard_confirmed_fraud``
        in the same transaction, so the next decision's merchant features count it."""
        changed = False
        with self.engine.begin() as conn:
            conn.execute(
                insert(guard_review).values(
                    decision_id=review.decision_id,
                    event_id=review.event_id,
                    customer_id=review.customer_id,
                    action=review.action.value,
                    label=review.label,
                    actor=review.actor,
                    reason=review.reason,
                    at=_utc(review.at),
                )
            )
            if review.action is ReviewAction.CONFIRM_FRAUD:
                query = select(guard_event.c.body, guard_event.c.occurred_at).where(guard_event.c.event_id == review.event_id)
                event = conn.execute(query).first()
                if event is not None:
                    merchant = (event.body.get("merchant") or {}).get("id")
                    row = {
                        "event_id": review.event_id,
                        "merchant_id": merchant,
                        "customer_id": review.customer_id,
                        "occurred_at": event.occurred_at,
                        "confirmed_at": review.at,
                        "source": "review",
                        "actor": review.actor,
                    }
                    changed = confirm_in(conn, row)
            else:
                changed = withdraw_in(conn, review.event_id, review.at)
        if changed:
            _local(self.engine).changed("fraud")

    def reviews_of(self, decision_id: str) -> list[Review]:
        query = select(guard_review).where(guard_review.c.decision_id == decision_id).order_by(guard_review.c.id)
        with self.engine.connect() as conn:
            return [_review(r) for r in conn.execute(query)]

    def labels(self, since: datetime | None, until: datetime | None) -> list[Review]:
        latest = select(func.max(guard_review.c.id)).group_by(guard_review.c.event_id)
        query = select(guard_review).where(guard_review.c.id.in_(latest))
        if since is not None:
            query = query.where(guard_review.c.at >= _utc(since))
        if until is not None:
            query = query.where(guard_review.c.at < _utc(until))
        with self.engine.connect() as conn:
            return [_review(r) for r in conn.execute(query.order_by(guard_review.c.id))]
