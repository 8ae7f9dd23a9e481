"""Staff access storage: API keys (hashed), in the one metadata."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Engine, String, Table, insert, select, update

from finguard.access.model import Role
from finguard.access.service.keys import ApiKey
from finguard.core.clock import aware
from finguard.core.db import begin_write
from finguard.core.errors import Conflict
from finguard.core.tables import Id, UTCDateTime, metadata

api_key = Table(
    "api_key",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)


class SqlKeyStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_key(self, key: ApiKey, key_hash: str) -> None:
        with begin_write(self.engine) as conn:
            if conn.execute(select(api_key.c.id).where(api_key.c.name == key.name)).first():
                raise Conflict(f"a key named {key.name!r} already exists")
            conn.execute(
                insert(api_key).values(name=key.name, role=key.role.value, key_hash=key_hash, prefix=key.prefix, created_at=key.created_at)
            )

    @staticmethod
    def _to_key(row) -> ApiKey:  # type: ignore[no-untyped-def]
        return ApiKey(row.name, Role(row.role), row.prefix, aware(row.created_at) or row.created_at, aware(row.revoked_at))

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(api_key).where(api_key.c.key_hash == key_hash)).first()
        return self._to_key(row) if row else None

    def revoke_key(self, name: str, at: datetime) -> bool:
        with begin_write(self.engine) as conn:
            result = conn.execute(update(api_key).where(api_key.c.name == name, api_key.c.revoked_at.is_(None)).values(revoked_at=at))
            return bool(result.rowcount)

    def all_keys(self) -> list[ApiKey]:
        with self.engine.connect() as conn:
            return [self._to_key(r) for r in conn.execute(select(api_key).order_by(api_key.c.name))]
