"""loans, relief events, eligibility decisions and their reviews; outreach contacts, campaigns and the outbox; education field events and page views (#15)

Revision ID: 0201
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0201"
down_revision = "0101"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "loan",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("loan_id", sa.String(64), nullable=False, unique=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("branch", sa.String(64), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("annual_rate", sa.String(24), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("method", sa.String(24), nullable=False),
        sa.Column("day_count", sa.String(12), nullable=False),
        sa.Column("industry", sa.String(16), nullable=False),
        sa.Column("firm_size", sa.String(16), nullable=False),
        sa.Column("total_credit_fen", sa.BigInteger(), nullable=False),
        sa.Column("impact_documented", sa.Boolean(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_loan_branch", "loan", ["branch", "loan_id"])
    op.create_table(
        "loan_relief_event",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("loan_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("change", sa.JSON(), nullable=True),
        sa.Column("reverses", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decision_id", sa.BigInteger(), nullable=True),
        sa.Column("cost", sa.JSON(), nullable=True),
    )
    op.create_index("ux_loan_relief_event_version", "loan_relief_event", ["loan_id", "version"], unique=True)
    op.create_table(
        "loan_decision",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.String(32), nullable=False),
        sa.Column("loan_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("policy", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(32), nullable=True),
        sa.Column("offer", sa.JSON(), nullable=True),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_loan_decision_batch", "loan_decision", ["batch_id", "id"])
    op.create_index("ix_loan_decision_loan", "loan_decision", ["loan_id", "id"])
    op.create_table(
        "loan_decision_review",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("decision_id", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=True),
    )
    op.create_table(
        "outreach_contact",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(16), nullable=False),
        sa.Column("wechat_openid", sa.String(64), nullable=False),
    )
    op.create_table(
        "outreach_campaign",
        sa.Column("campaign_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("template", sa.JSON(), nullable=False),
        sa.Column("segment", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "outreach_message",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(32), nullable=False, unique=True),
        sa.Column("campaign_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("skip_reason", sa.String(32), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_outreach_message_due", "outreach_message", ["campaign_id", "status", "not_before"])
    op.create_index("ix_outreach_message_customer", "outreach_message", ["customer_id", "queued_at"])
    op.create_table(
        "outreach_opt_out",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
    )
    op.create_index("ix_outreach_opt_out", "outreach_opt_out", ["customer_id", "channel"])
    op.create_table(
        "outreach_reply",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_outreach_reply_key", "outreach_reply", ["key"])
    op.create_table(
        "education_event",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("branch", sa.String(64), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("staff", sa.JSON(), nullable=False),
        sa.Column("leaflets", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_education_event_branch", "education_event", ["branch", "day"])
    op.create_table(
        "education_view",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
    )
    op.create_index("ix_education_view_topic", "education_view", ["topic", "day"])


def downgrade() -> None:
    op.drop_table("education_view")
    op.drop_table("education_event")
    for table in ("outreach_reply", "outreach_opt_out", "outreach_message", "outreach_campaign", "outreach_contact"):
        op.drop_table(table)
    op.drop_table("loan_decision_review")
    op.drop_index("ix_loan_decision_loan", "loan_decision")
    op.drop_index("ix_loan_decision_batch", "loan_decision")
    op.drop_table("loan_decision")
    op.drop_index("ux_loan_relief_event_version", "loan_relief_event")
    op.drop_table("loan_relief_event")
    op.drop_index("ix_loan_branch", "loan")
    op.drop_table("loan")
