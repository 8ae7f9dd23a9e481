"""Staff accounts (argon2 hashes) and staff page sessions (token hashes), in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Engine, Index, String, Table, insert, select, update

from finguard.access.model import Principal, Role, Session, StaffUser
from finguard.core.clock import aware
from finguard.core.db import begin_write
from finguard.core.errors import Conflict
from finguard.core.tables import Id, UTCDateTime, metadata

staff_user = Table(
    "staff_user",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime, nullable=True),
)

staff_session = Table(
    "staff_session",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_name", String(100), nullable=False),
    Column("role", String(32), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_staff_session_actor", "actor_kind", "actor_name"),
)


def _user(r: Any) -> StaffUser:
    return StaffUser(r.name, Role(r.role), aware(r.created_at) or r.created_at, aware(r.disabled_at))


class SqlAccountStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_user(self, user: StaffUser, password_hash: str) -> None:
        with begin_write(self.engine) as conn:
            if conn.execute(select(staff_user.c.id).where(staff_user.c.name == user.name)).first():
                raise Conflict(f"a staff account named {user.name!r} already exists")
            conn.execute(
                insert(staff_user).values(name=user.name, role=user.role.value, password_hash=password_hash, created_at=user.created_at)
            )

    def user(self, name: str) -> tuple[StaffUser, str] | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(staff_user).where(staff_user.c.name == name)).first()
        return (_user(r), r.password_hash) if r else None

    def set_password(self, name: str, password_hash: str) -> bool:
        with begin_write(self.engine) as conn:
            return bool(conn.execute(update(staff_user).where(staff_user.c.name == name).values(password_hash=password_hash)).rowcount)

    def disable_user(self, name: str, at: datetime) -> bool:
        with begin_write(self.engine) as conn:
            result = conn.execute(
                update(staff_user).where(staff_user.c.name == name, staff_user.c.disabled_at.is_(None)).values(disabled_at=at)
            )
            return bool(result.rowcount)

    def all_users(self) -> list[StaffUser]:
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(staff_user).order_by(staff_user.c.name))]

    def add_session(self, session: Session) -> None:
        p = session.principal
        with begin_write(self.engine) as conn:
            conn.execute(
                insert(staff_session).values(
                    token_hash=session.token_hash,
                    actor_kind=p.kind,
                    actor_name=p.name,
                    role=p.role.value,
                    created_at=session.created_at,
                    expires_at=session.expires_at,
                )
            )

    def session(self, token_hash: str) -> Session | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(staff_session).where(staff_session.c.token_hash == token_hash)).first()
        if r is None:
            return None
        principal = Principal(r.actor_kind, r.actor_name, Role(r.role))
        return Session(
            r.token_hash, principal, aware(r.created_at) or r.created_at, aware(r.expires_at) or r.expires_at, aware(r.revoked_at)
        )

    def revoke_session(self, token_hash: str, at: datetime) -> bool:
        with begin_write(self.engine) as conn:
            result = conn.execute(
                update(staff_session)
                .where(staff_session.c.token_hash == token_hash, staff_session.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            return bool(result.rowcount)

    def revoke_sessions_of(self, actor: str, at: datetime) -> int:
        kind, _, name = actor.partition(":")
        with begin_write(self.engine) as conn:
            result = conn.execute(
                update(staff_session)
                .where(staff_session.c.actor_kind == kind, staff_session.c.actor_name == name, staff_session.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
            return int(result.rowcount)
