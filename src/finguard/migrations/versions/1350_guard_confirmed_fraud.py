"""guard_confirmed_fraud: fraud confirmed on an event and when, for the merchant's point-of-compromise features (#11)

Revision ID: 1350
Revises: 1340
"""

import sqlalchemy as sa
from alembic import op

revision = "1350"
down_revision = "1340"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guard_confirmed_fraud",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("merchant_id", sa.String(128), nullable=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
    )
    op.create_index("ix_guard_confirmed_fraud_merchant", "guard_confirmed_fraud", ["merchant_id", "confirmed_at"])
    op.create_index("ix_guard_confirmed_fraud_at", "guard_confirmed_fraud", ["confirmed_at"])


def downgrade() -> None:
    op.drop_table("guard_confirmed_fraud")
