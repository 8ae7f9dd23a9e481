"""outreach: the due-message index also orders by id, so claiming the next batch reads it in order (#15)

Revision ID: 1301
Revises: 0901

``ix_outreach_message_due`` was (campaign_id, status, not_before); a claim takes the earliest
due messages ``ORDER BY not_before, id``, which the index now gives without sorting every queued
row of a campaign for each batch.
"""

from alembic import op

revision = "1301"
down_revision = "0901"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_outreach_message_due", table_name="outreach_message")
    op.create_index("ix_outreach_message_due", "outreach_message", ["campaign_id", "status", "not_before", "id"])


def downgrade() -> None:
    op.drop_index("ix_outreach_message_due", table_name="outreach_message")
    op.create_index("ix_outreach_message_due", "outreach_message", ["campaign_id", "status", "not_before"])
