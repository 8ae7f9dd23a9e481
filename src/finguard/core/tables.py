"""The one SQLAlchemy ``MetaData`` every capability defines its tables on, the shared column types,
and the job cursors any background job keeps. Alembic migrations mirror the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
)

from finguard.core.clock import aware

metadata = MetaData()


class UTCDateTime(TypeDecorator[datetime]):
    """Every timestamp column: stored with its zone (PostgreSQL ``timestamptz``), always read back as
    an aware UTC datetime (SQLite hands back naive ones), and a naive datetime refused on the way
    in, so no local time is ever taken for UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a naive datetime cannot be stored; give it a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return aware(value)

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
Id = BigInteger().with_variant(Integer(), "sqlite")


# Where a background job (e.g. delta screening) has got to in the change log.
job_cursor = Table(
    "job_cursor",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)
