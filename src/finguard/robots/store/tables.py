"""The robots' tables (migration 0901): the job table and run history, the bank's own instruments
with the hits the due-diligence robot found on them, list refresh periods and staleness episodes,
and the stored daily reports."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from finguard.core.tables import Id, UTCDateTime, metadata

# One row per robot: when it is next due and who holds it (a lease, renewed while it runs).
robot_job = Table(
    "robot_job",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("next_due_at", UTCDateTime, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("lock_owner", String(200), nullable=True),
    Column("lock_until", UTCDateTime, nullable=True),
    Column("last_run_id", BigInteger, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Every run: who started it, when, how far it got, what it counted, how it ended.
robot_run = Table(
    "robot_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("robot", String(64), nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("done", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("counts", JSON, nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_robot_run_robot", "robot", "id"),
)

# The bank's own accounts, cards and firms' codes, normalised as the lists store identifiers, from
# the ledger's accounts, the guard's customers' events and credit applications. A stored string
# that is no identifier is kept with empty type and value, so it is not read again every night.
bank_instrument = Table(
    "bank_instrument",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),
    Column("ref", String(200), nullable=False),
    Column("id_type", String(32), nullable=False),
    Column("id_value", String(300), nullable=False),
    Column("owner", String(200), nullable=True),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Index("ux_bank_instrument", "source", "ref", "id_type", "id_value", unique=True),
    Index("ix_bank_instrument_value", "id_type", "id_value"),
)

# A stored instrument found on a list entry: at most one row, hence one alert, per pair.
robot_hit = Table(
    "robot_hit",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("instrument_id", BigInteger, nullable=False),
    Column("entry_id", BigInteger, nullable=False),
    Column("list_code", String(64), nullable=False),
    Column("id_type", String(32), nullable=False),
    Column("id_value", String(300), nullable=False),
    Column("risk_level", Integer, nullable=False),
    Column("run_id", BigInteger, nullable=False),
    Column("found_at", UTCDateTime, nullable=False),
    Column("alert_id", BigInteger, nullable=True),
    Index("ux_robot_hit_pair", "instrument_id", "entry_id", unique=True),
    Index("ix_robot_hit_run", "run_id"),
)

# Per list: the refresh period staff set (NULL: FINGUARD_LIST_MAX_AGE_HOURS) and the list's last
# change, followed from the change log past the freshness cursor (never a scan of the whole log).
list_freshness = Table(
    "list_freshness",
    metadata,
    Column("list_code", String(64), primary_key=True),
    Column("max_age_hours", Integer, nullable=True),
    Column("set_by", String(200), nullable=True),
    Column("set_at", UTCDateTime, nullable=True),
    Column("last_change_at", UTCDateTime, nullable=True),
    Column("last_change_seq", BigInteger, nullable=True),
)

# A list that went stale: one row (and one alert) per list and "as of" it went stale at.
list_stale_episode = Table(
    "list_stale_episode",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("list_code", String(64), nullable=False),
    Column("as_of", UTCDateTime, nullable=False),
    Column("detected_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("alert_id", BigInteger, nullable=True),
    Index("ux_list_stale_episode", "list_code", "as_of", unique=True),
)

robot_report = Table(
    "robot_report",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("final", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("run_id", BigInteger, nullable=True),
    Column("rows", Integer, nullable=False),
    Column("csv", LargeBinary, nullable=False),
    Column("xlsx", LargeBinary, nullable=False),
    Index("ux_robot_report_day", "kind", "day", unique=True),
)

# Per list with a configured source (#13, migration 1330): what the last refresh saw (the
# validators the server gave, the content's hash, the source's own date) and how it ended. A
# refresh whose file was refused records its hash once (``refused_hash``), so one bad file raises
# one alert however many runs meet it.
list_source = Table(
    "list_source",
    metadata,
    Column("list_code", String(64), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("format", String(16), nullable=False),
    Column("validators", JSON, nullable=False),
    Column("content_hash", String(64), nullable=True),
    Column("source_date", UTCDateTime, nullable=True),
    Column("checked_at", UTCDateTime, nullable=False),
    Column("verified_at", UTCDateTime, nullable=True),
    Column("applied_at", UTCDateTime, nullable=True),
    Column("error", Text, nullable=True),
    Column("failed_at", UTCDateTime, nullable=True),
    Column("refused_hash", String(64), nullable=True),
)
