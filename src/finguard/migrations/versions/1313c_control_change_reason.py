"""guard: a customer-control change keeps its reason (an at-branch confirmation says why) (#13)

Revision ID: 1313c
Revises: 1301
"""

import sqlalchemy as sa
from alembic import op

revision = "1313c"
down_revision = "1301"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("guard_control_change", sa.Column("reason", sa.String(2000), nullable=True))


def downgrade() -> None:
    op.drop_column("guard_control_change", "reason")
