"""Rows of the risk lists: lists, entries, their identifiers and names, the change log, import runs, the check log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from finguard.core.chain import utc_text
from finguard.core.tables import Id, UTCDateTime, metadata

risk_list = Table(
    "risk_list",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("default_level", Integer, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
)


list_entry = Table(
    "list_entry",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("list_id", Id, ForeignKey("risk_list.id"), nullable=False),
    Column("entry_key", String(300), nullable=False),
    Column("subject", String(32), nullable=False),
    Column("risk_level", Integer, nullable=False),
    Column("primary_name", String(500), nullable=True),
    Column("data", JSON, nullable=False),  # the EntryDraft as JSON
    Column("content_hash", String(64), nullable=False),
    Column("listed_at", UTCDateTime, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("delisted_at", UTCDateTime, nullable=True),
    Column("delist_reason", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_seq", BigInteger, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
    Index("ux_list_entry_key", "list_id", "entry_key", unique=True),
    # The name screener is built at start-up from active party entries: without this the query
    # scans every identifier-only entry too (12 GB at 10M entries).
    Index(
        "ix_list_entry_active_party",
        "id",
        sqlite_where=text("primary_name IS NOT NULL AND delisted_at IS NULL"),
        postgresql_where=text("primary_name IS NOT NULL AND delisted_at IS NULL"),
    ),
)


# One row per identifier of an active entry; the hot index is built from id_key.
entry_identifier = Table(
    "entry_identifier",
    metadata,
    Column("entry_id", Id, ForeignKey("list_entry.id"), primary_key=True),
    Column("id_type", String(32), primary_key=True),
    Column("id_value", String(300), primary_key=True),
    Column("id_key", BigInteger, nullable=False),
    Index("ix_entry_identifier_key", "id_key"),
    Index("ix_entry_identifier_value", "id_type", "id_value"),
)


# Normalised names of active party entries, for the name matcher.
entry_name = Table(
    "entry_name",
    metadata,
    Column("entry_id", Id, ForeignKey("list_entry.id"), primary_key=True),
    Column("name", String(500), primary_key=True),
    Column("name_key", String(500), nullable=False),
    Index("ix_entry_name_key", "name_key"),
)


change_log = Table(
    "change_log",
    metadata,
    Column("seq", Id, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("op", String(16), nullable=False),
    Column("list_code", String(64), nullable=False),
    Column("entry_id", BigInteger, nullable=False),
    Column("entry_key", String(300), nullable=False),
    Column("snapshot", JSON, nullable=False),  # the whole entry after the change
    # The hash chain (core.chain): the previous row's hash and this row's (see change_data).
    Column("prev_hash", String(64), nullable=True),
    Column("row_hash", String(64), nullable=True),
    Index("ix_change_log_entry", "entry_id", "seq"),
)


def change_data(at: Any, actor: str, op: str, list_code: str, entry_id: int, entry_key: str, snapshot: Any) -> dict[str, Any]:
    """The fields of a change-log row its hash covers, as they read back from either database."""
    return {
        "at": utc_text(at),
        "actor": actor,
        "op": op,
        "list_code": list_code,
        "entry_id": int(entry_id),
        "entry_key": entry_key,
        "snapshot": snapshot,
    }


import_run = Table(
    "import_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("list_code", String(64), nullable=False),
    Column("format", String(32), nullable=False),
    Column("source", String(500), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("added", Integer, nullable=False, default=0),
    Column("changed", Integer, nullable=False, default=0),
    Column("delisted", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("first_seq", BigInteger, nullable=True),
    Column("last_seq", BigInteger, nullable=True),
    # The publication date the source file carries (UN dateGenerated, EU generationDate, UK Last
    # Updated) or, for a refresh, the server's Last-Modified; NULL when unknown (migration 1330).
    Column("source_date", UTCDateTime, nullable=True),
)


# Every check, staff and public, for audit and abuse review. Identifiers are stored masked.
check_log = Table(
    "check_log",
    metadata,
    Column("check_id", String(40), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("view", String(16), nullable=False),
    Column("client", String(64), nullable=False),
    Column("query", JSON, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("ix_check_log_client_at", "client", "at"),
)
