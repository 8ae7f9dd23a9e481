"""credit: a stage carries a note (who approved or refused a referred application, and why) (#14)

Revision ID: 1401
Revises: 1330

A referred application waits for a person in a ``loan_approval`` case; the analyst's answer is
written back as an ``approved`` or ``refused`` stage whose ``actor`` is the analyst and whose
``note`` is the reason (and the case and the maker when two people decided).
"""

import sqlalchemy as sa
from alembic import op

revision = "1401"
down_revision = "1330"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("credit_stage", sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credit_stage") as batch:
        batch.drop_column("note")
