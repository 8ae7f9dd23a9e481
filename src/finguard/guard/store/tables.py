"""Tables of the transaction guard (#4), on the shared ``metadata``. Migration 0003 mirrors them."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from finguard.core.tables import Id, UTCDateTime, metadata

# Every decided event as received (canonical JSON), with the hash that detects a reused id.
guard_event = Table(
    "guard_event",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("type", String(32), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("body", JSON, nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_guard_event_customer", "customer_id", "occurred_at"),
    Index("ix_guard_event_time", "occurred_at"),
)

# The decision ledger: one decision per event, with its reasons and the inputs its rules saw.
guard_decision = Table(
    "guard_decision",
    metadata,
    Column("decision_id", String(40), primary_key=True),
    Column("event_id", String(128), ForeignKey("guard_event.event_id"), nullable=False, unique=True),
    Column("customer_id", String(64), nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("shadow_outcome", String(16), nullable=False),
    Column("score", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("inputs", JSON, nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("list_seq", BigInteger, nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Index("ix_guard_decision_customer", "customer_id", "decided_at"),
)

guard_controls = Table(
    "guard_controls",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Append-only audit of every change request to a customer's controls.
guard_control_change = Table(
    "guard_control_change",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("at_branch", Boolean, nullable=False),
    Column("requested", JSON, nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=False),
    Column("reason", String(2000), nullable=True),  # why; at a branch, what was checked (#13)
    Index("ix_guard_control_change_customer", "customer_id", "id"),
)

guard_condition = Table(
    "guard_condition",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("subject_type", String(32), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("reason", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_by", String(200), nullable=True),
    Index("ix_guard_condition_subject", "subject_type", "subject"),
)

# Append-only rule versions; ``set_version`` is the rule-set version the change created.
guard_rule_version = Table(
    "guard_rule_version",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("rule_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("set_version", Integer, nullable=False),
    Column("expression", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("mode", String(16), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ux_guard_rule_version", "rule_id", "version", unique=True),
    Index("ix_guard_rule_set_version", "set_version"),
)

# Version counters other processes poll (``rules``: the rule-set version).
guard_counter = Table(
    "guard_counter",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

# An analyst's word on a decision (#11): a held payment released, fraud confirmed, or found
# legitimate. Append-only: the latest row per event is its label for training.
guard_review = Table(
    "guard_review",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("decision_id", String(40), ForeignKey("guard_decision.decision_id"), nullable=False),
    Column("event_id", String(128), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("action", String(16), nullable=False),
    Column("label", Integer, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_guard_review_decision", "decision_id", "id"),
    Index("ix_guard_review_at", "at"),
)

# Fraud confirmed on an event, with when (#11's point of compromise): an analyst's review
# (``confirm_fraud``) or a label file imported. The merchant's confirmed-fraud features count a
# row only from ``confirmed_at`` and no longer from ``withdrawn_at`` (a later review said it was
# not fraud). One row per event.
guard_confirmed_fraud = Table(
    "guard_confirmed_fraud",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("merchant_id", String(128), nullable=True),
    Column("customer_id", String(64), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=False),
    Column("withdrawn_at", UTCDateTime, nullable=True),
    Column("source", String(16), nullable=False),  # review | import
    Column("actor", String(200), nullable=False),
    Index("ix_guard_confirmed_fraud_merchant", "merchant_id", "confirmed_at"),
    Index("ix_guard_confirmed_fraud_at", "confirmed_at"),
)
