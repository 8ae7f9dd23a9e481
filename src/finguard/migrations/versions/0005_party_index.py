"""index the active party entries the name screener loads at start-up

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WHERE = "primary_name IS NOT NULL AND delisted_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_list_entry_active_party",
        "list_entry",
        ["id"],
        sqlite_where=sa.text(WHERE),
        postgresql_where=sa.text(WHERE),
    )


def downgrade() -> None:
    op.drop_index("ix_list_entry_active_party", table_name="list_entry")
