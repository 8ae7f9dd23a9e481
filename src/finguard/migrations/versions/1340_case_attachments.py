"""cases: evidence attachments, kept in the database with their SHA-256 (#13)

Revision ID: 1340
Revises: 1501
"""

import sqlalchemy as sa
from alembic import op

revision = "1340"
down_revision = "1501"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_attachment",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.BigInteger, sa.ForeignKey("case_item.id"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_case_attachment_case", "case_attachment", ["case_id", "id"])


def downgrade() -> None:
    op.drop_table("case_attachment")
