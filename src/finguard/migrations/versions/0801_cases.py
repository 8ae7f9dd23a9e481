"""cases: work items over the alerts, complaints and special-service requests, and their audit trail (#13)

Revision ID: 0801
Revises: 0401

The ``alert`` table is untouched: the capabilities that raise alerts keep writing it, and the
case engine adopts each open alert as a ``case_item`` on its next read.
"""

import sqlalchemy as sa
from alembic import op


revision = "0801"
down_revision = "0601"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_item",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("queue", sa.String(64), nullable=False),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("alert_id", sa.BigInteger, sa.ForeignKey("alert.id"), nullable=True, unique=True),
        sa.Column("reference", sa.String(16), nullable=True, unique=True),
        sa.Column("category", sa.String(64), nullable=True),
        sa.Column("branch", sa.String(100), nullable=True),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contact", sa.String(200), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disposition", sa.String(32), nullable=True),
        sa.Column("close_reason", sa.Text, nullable=True),
        sa.Column("pending_disposition", sa.String(32), nullable=True),
        sa.Column("pending_reason", sa.Text, nullable=True),
        sa.Column("pending_by", sa.String(100), nullable=True),
    )
    op.create_index("ix_case_item_state_due", "case_item", ["state", "due_at"])
    op.create_index("ix_case_item_queue_state", "case_item", ["queue", "state"])
    op.create_index("ix_case_item_assignee", "case_item", ["assignee"])
    op.create_table(
        "case_event",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.BigInteger, sa.ForeignKey("case_item.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_case_event_case", "case_event", ["case_id", "id"])


def downgrade() -> None:
    op.drop_table("case_event")
    op.drop_table("case_item")
