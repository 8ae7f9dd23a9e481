"""guard_review: analysts release held payments and confirm fraud, feeding the labels (#11)

Revision ID: 0701
Revises: 0201
"""

import sqlalchemy as sa
from alembic import op

revision = "0701"
down_revision = "0301"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guard_review",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("decision_id", sa.String(40), sa.ForeignKey("guard_decision.decision_id"), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("label", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_guard_review_decision", "guard_review", ["decision_id", "id"])
    op.create_index("ix_guard_review_at", "guard_review", ["at"])


def downgrade() -> None:
    op.drop_table("guard_review")
