"""The one SQLAlchemy ``MetaData`` every capability defines its tables on, the shared column types,
and the job cursors any background job keeps. Alembic migrations mirror the tables."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
)

metadata = MetaData()

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
Id = BigInteger().with_variant(Integer(), "sqlite")


# Where a background job (e.g. delta screening) has got to in the change log.
job_cursor = Table(
    "job_cursor",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)
