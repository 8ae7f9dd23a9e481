"""one transfer seen from both sides: the other statement's sighting of a stored transfer (#12)

Revision ID: 0601
Revises: 0701
"""

import sqlalchemy as sa
from alembic import op

revision = "0601"
down_revision = "0401"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "transfer_sighting",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("transfer_id", ID, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("account", sa.String(length=128), nullable=False),
        sa.Column("balance_after_fen", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["transfer_id"], ["transfer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_transfer_sighting_source_external", "transfer_sighting", ["source", "external_id"], unique=True)
    op.create_index("ix_transfer_sighting_transfer", "transfer_sighting", ["transfer_id"])
    op.create_index("ix_transfer_sighting_account", "transfer_sighting", ["account"])


def downgrade() -> None:
    op.drop_table("transfer_sighting")
