"""outreach: send, delivery, failure and reply times per message; gateway receipts; opt-outs by campaign; contacts' birth date (#15)

Revision ID: 1501
Revises: 1401

``outreach_message`` gains ``sent_at`` (the channel took it), ``delivered_at``, ``failed_at`` (a
receipt said so) and ``replied_at``; ``outreach_receipt`` keeps each gateway receipt once (its
``receipt_id`` is unique, so a receipt posted twice changes nothing); ``outreach_opt_out`` names
the campaign a reply opted out from; ``outreach_contact`` keeps a birth date (from the resident
ID number on import; the number itself is not kept) for the elderly customers' segment.
"""

import sqlalchemy as sa
from alembic import op

revision = "1501"
down_revision = "1401"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    for name in ("sent_at", "delivered_at", "failed_at", "replied_at"):
        op.add_column("outreach_message", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    # a message sent before this revision was sent when it finished
    op.execute("UPDATE outreach_message SET sent_at = finished_at WHERE status = 'sent'")
    op.add_column("outreach_opt_out", sa.Column("campaign_id", sa.String(64), nullable=True))
    op.add_column("outreach_contact", sa.Column("birth_date", sa.Date(), nullable=True))
    op.create_table(
        "outreach_receipt",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("receipt_id", sa.String(64), nullable=False, unique=True),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_outreach_receipt_key", "outreach_receipt", ["key"])
    op.create_index("ix_outreach_opt_out_campaign", "outreach_opt_out", ["campaign_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_outreach_opt_out_campaign", table_name="outreach_opt_out")
    op.drop_index("ix_outreach_receipt_key", table_name="outreach_receipt")
    op.drop_table("outreach_receipt")
    with op.batch_alter_table("outreach_contact") as batch:
        batch.drop_column("birth_date")
    with op.batch_alter_table("outreach_opt_out") as batch:
        batch.drop_column("campaign_id")
    with op.batch_alter_table("outreach_message") as batch:
        for name in ("sent_at", "delivered_at", "failed_at", "replied_at"):
            batch.drop_column(name)
