"""SQL storage for screened parties, their hits, analyst decisions, alerts and job cursors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from finguard.alerts.model import Alert, AlertDraft
from finguard.alerts.store import alert
from finguard.core.clock import aware
from finguard.core.db import begin_write, insert_ids
from finguard.core.identifiers import IdType
from finguard.core.tables import Id, UTCDateTime, job_cursor, metadata
from finguard.lists.model.lists import Identifier
from finguard.screening.model.diligence import Counterparty, Decision, DecisionKind, PartyKind, Purpose
from finguard.screening.service.diligence import StoredHit

screened_party = Table(
    "screened_party",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_key", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(500), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("data", JSON, nullable=False),
    Column("data_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("screened_at", UTCDateTime, nullable=True),
    Column("screened_seq", BigInteger, nullable=True),
    Column("outcome", String(16), nullable=True),
)


# The latest hit of a party on an entry (one row per pair), with its explanation.
screening_hit = Table(
    "screening_hit",
    metadata,
    Column("party_id", Id, ForeignKey("screened_party.id"), primary_key=True),
    Column("entry_id", BigInteger, primary_key=True),
    Column("list_code", String(64), nullable=False),
    Column("listed_name", String(500), nullable=False),
    Column("score", Float, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("features", JSON, nullable=False),
    Column("entry_version", Integer, nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("seq", BigInteger, nullable=False),
)


# Append-only analyst decisions on a (party, entry) pair.
hit_decision = Table(
    "hit_decision",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("party_id", Id, ForeignKey("screened_party.id"), nullable=False),
    Column("entry_id", BigInteger, nullable=False),
    Column("decision", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("party_hash", String(64), nullable=False),
    Column("entry_version", Integer, nullable=False),
    Index("ix_hit_decision_pair", "party_id", "entry_id", "id"),
)


CHUNK = 500


def _to_party(row: Any) -> Counterparty:
    data = row.data
    return Counterparty(
        key=row.party_key,
        kind=PartyKind(data["kind"]),
        name=data["name"],
        purpose=Purpose(data["purpose"]),
        birth_date=data.get("birth_date"),
        country=data.get("country"),
        gender=data.get("gender"),
        identifiers=tuple(Identifier(IdType(i["type"]), i["value"]) for i in data.get("identifiers") or ()),
    )


class SqlDiligenceStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save_party(self, party: Counterparty, now: datetime) -> int:
        values = {
            "kind": party.kind.value,
            "name": party.name[:500],
            "purpose": party.purpose.value,
            "data": party.data(),
            "data_hash": party.data_hash(),
            "updated_at": now,
        }
        with begin_write(self.engine) as conn:
            found = conn.execute(select(screened_party.c.id).where(screened_party.c.party_key == party.key)).first()
            if found:
                conn.execute(update(screened_party).where(screened_party.c.id == found.id).values(**values))
                return int(found.id)
            return int(
                conn.execute(
                    insert(screened_party).values(party_key=party.key, created_at=now, **values).returning(screened_party.c.id)
                ).scalar_one()
            )

    def get_party(self, key: str) -> tuple[int, Counterparty] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(screened_party).where(screened_party.c.party_key == key)).first()
        return (int(row.id), _to_party(row)) if row else None

    def parties_by_ids(self, ids: Sequence[int]) -> list[tuple[int, Counterparty]]:
        out: list[tuple[int, Counterparty]] = []
        with self.engine.connect() as conn:
            for i in range(0, len(ids), CHUNK):
                rows = conn.execute(select(screened_party).where(screened_party.c.id.in_(ids[i : i + CHUNK])))
                out.extend((int(r.id), _to_party(r)) for r in rows)
        return out

    def all_parties(self) -> Iterator[tuple[int, Counterparty]]:
        with self.engine.connect() as conn:
            for row in conn.execute(select(screened_party).order_by(screened_party.c.id)):
                yield int(row.id), _to_party(row)

    def save_screening(self, party_id: int, outcome: str, hits: Sequence[StoredHit], seq: int, now: datetime) -> list[int]:
        """Store the party's current hits; return the entry ids that are new or whose entry changed."""
        new: list[int] = []
        with begin_write(self.engine) as conn:
            previous = {
                int(r.entry_id): int(r.entry_version)
                for r in conn.execute(
                    select(screening_hit.c.entry_id, screening_hit.c.entry_version).where(screening_hit.c.party_id == party_id)
                )
            }
            conn.execute(delete(screening_hit).where(screening_hit.c.party_id == party_id))
            rows = []
            for h in hits:
                first_seen = now
                if previous.get(h.entry_id) != h.entry_version:
                    new.append(h.entry_id)
                rows.append(
                    {
                        "party_id": party_id,
                        "entry_id": h.entry_id,
                        "list_code": h.list_code,
                        "listed_name": h.listed_name[:500],
                        "score": h.score,
                        "outcome": h.outcome,
                        "features": h.features,
                        "entry_version": h.entry_version,
                        "first_seen_at": first_seen,
                        "last_seen_at": now,
                        "seq": seq,
                    }
                )
            if rows:
                conn.execute(insert(screening_hit), rows)
            conn.execute(
                update(screened_party).where(screened_party.c.id == party_id).values(screened_at=now, screened_seq=seq, outcome=outcome)
            )
        return new

    @staticmethod
    def _to_decision(key: str, row: Any) -> Decision:
        return Decision(
            key,
            int(row.entry_id),
            DecisionKind(row.decision),
            row.reason,
            row.actor,
            aware(row.at) or row.at,
            row.party_hash,
            int(row.entry_version),
        )

    def _key(self, conn: Any, party_id: int) -> str:
        return str(conn.execute(select(screened_party.c.party_key).where(screened_party.c.id == party_id)).scalar_one())

    def decisions(self, party_id: int) -> list[Decision]:
        with self.engine.connect() as conn:
            key = self._key(conn, party_id)
            rows = conn.execute(select(hit_decision).where(hit_decision.c.party_id == party_id).order_by(hit_decision.c.id))
            return [self._to_decision(key, r) for r in rows]

    def latest_decisions(self, party_id: int) -> dict[int, Decision]:
        return {d.entry_id: d for d in self.decisions(party_id)}

    def add_decision(self, party_id: int, decision: Decision) -> None:
        with begin_write(self.engine) as conn:
            conn.execute(
                insert(hit_decision).values(
                    party_id=party_id,
                    entry_id=decision.entry_id,
                    decision=decision.decision.value,
                    reason=decision.reason,
                    actor=decision.actor,
                    at=decision.at,
                    party_hash=decision.party_hash,
                    entry_version=decision.entry_version,
                )
            )

    def add_alerts(self, alerts: Sequence[AlertDraft], now: datetime) -> list[int]:
        rows = [
            {
                "kind": a.kind,
                "subject": a.subject[:300],
                "severity": a.severity,
                "status": "open",
                "summary": a.summary,
                "details": a.details,
                "created_at": now,
                "source_seq": a.source_seq,
            }
            for a in alerts
        ]
        with begin_write(self.engine) as conn:
            return insert_ids(conn, alert, rows)

    def alerts(self, status: str | None, limit: int, offset: int) -> list[Alert]:
        query = select(alert)
        if status is not None:
            query = query.where(alert.c.status == status)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(alert.c.id.desc()).limit(limit).offset(offset))
            return [
                Alert(int(r.id), r.kind, r.subject, r.severity, r.status, r.summary, r.details, aware(r.created_at) or r.created_at)
                for r in rows
            ]

    def cursor(self, name: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(select(job_cursor.c.seq).where(job_cursor.c.name == name)).scalar()
        return int(value or 0)

    def set_cursor(self, name: str, seq: int) -> None:
        with begin_write(self.engine) as conn:
            if conn.execute(update(job_cursor).where(job_cursor.c.name == name).values(seq=seq)).rowcount == 0:
                conn.execute(insert(job_cursor).values(name=name, seq=seq))
