"""credit: policies, scorecard models, applications and their stages (#14)

Revision ID: 0301
Revises: 0201
"""

import sqlalchemy as sa
from alembic import op

revision = "0301"
down_revision = "0201"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "credit_policy",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "credit_model",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("data_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_index("ix_credit_model_role", "credit_model", ["role"])
    op.create_table(
        "credit_application",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("firm_name", sa.String(length=300), nullable=True),
        sa.Column("requested_fen", sa.BigInteger(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("own_funds_fen", sa.BigInteger(), nullable=True),
        sa.Column("other_wc_loans_fen", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("line_fen", sa.BigInteger(), nullable=True),
        sa.Column("rate_min_bp", sa.Integer(), nullable=True),
        sa.Column("rate_max_bp", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("pd", sa.Float(), nullable=True),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("limits", sa.JSON(), nullable=True),
        sa.Column("features", sa.JSON(), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("challenger_version", sa.String(length=64), nullable=True),
        sa.Column("challenger_score", sa.Float(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("tax_source", sa.Text(), nullable=True),
        sa.Column("tax_as_of", sa.Date(), nullable=True),
        sa.Column("tax_digest", sa.String(length=64), nullable=True),
        sa.Column("disbursed_account", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_credit_application_uscc", "credit_application", ["uscc"])
    op.create_index("ix_credit_application_received", "credit_application", ["received_at"])
    op.create_table(
        "credit_stage",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["credit_application.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_credit_stage_app", "credit_stage", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_credit_stage_app", table_name="credit_stage")
    op.drop_table("credit_stage")
    op.drop_index("ix_credit_application_received", table_name="credit_application")
    op.drop_index("ix_credit_application_uscc", table_name="credit_application")
    op.drop_table("credit_application")
    op.drop_index("ix_credit_model_role", table_name="credit_model")
    op.drop_table("credit_model")
    op.drop_table("credit_policy")
