"""Credit rows (SQLAlchemy Core): policy and model versions, applications and their stages."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Date, Float, ForeignKey, Index, Integer, String, Table, Text

from finguard.core.tables import Id, UTCDateTime, metadata

credit_policy = Table(
    "credit_policy",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("body", JSON, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

credit_model = Table(
    "credit_model",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # champion | challenger | retired
    Column("body", JSON, nullable=False),
    Column("data_fingerprint", String(64), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_credit_model_role", "role"),
)

credit_application = Table(
    "credit_application",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("uscc", String(18), nullable=False),
    Column("firm_name", String(300), nullable=True),
    Column("requested_fen", BigInteger, nullable=False),
    Column("term_months", Integer, nullable=False),
    Column("purpose", Text, nullable=False),
    Column("own_funds_fen", BigInteger, nullable=True),
    Column("other_wc_loans_fen", BigInteger, nullable=False),
    Column("channel", String(32), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),  # received | decided | referred | unavailable | signed | disbursed
    Column("outcome", String(16), nullable=True),  # approve | refuse | refer (waits for a person) | unavailable
    Column("line_fen", BigInteger, nullable=True),
    Column("rate_min_bp", Integer, nullable=True),
    Column("rate_max_bp", Integer, nullable=True),
    Column("score", Float, nullable=True),
    Column("pd", Float, nullable=True),
    Column("grade", String(1), nullable=True),
    Column("reasons", JSON, nullable=True),
    Column("limits", JSON, nullable=True),
    Column("features", JSON, nullable=True),
    Column("policy_version", Integer, nullable=True),
    Column("model_version", String(64), nullable=True),
    Column("challenger_version", String(64), nullable=True),
    Column("challenger_score", Float, nullable=True),
    Column("problem", Text, nullable=True),
    Column("tax_source", Text, nullable=True),
    Column("tax_as_of", Date, nullable=True),
    Column("tax_digest", String(64), nullable=True),
    Column("disbursed_account", String(128), nullable=True),  # the ledger account the loan was paid into
    Index("ix_credit_application_uscc", "uscc"),
    Index("ix_credit_application_received", "received_at"),
)

credit_stage = Table(
    "credit_stage",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("application_id", BigInteger, ForeignKey("credit_application.id"), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("note", Text, nullable=True),  # approved / refused: the analyst's reason (migration 1401)
    Index("ix_credit_stage_app", "application_id"),
)
