"""list refresh (source date, per-list source state) and the ledger's account register (#13)

Revision ID: 1330
Revises: 1313c

* ``import_run.source_date``: the publication date the list file carries (or Last-Modified);
* ``list_source``: what the list_refresh robot last saw per list (validators, content hash,
  source date, last success, last error, refused content);
* ``ledger_account_event``: settlement accounts opened / changed / closed, with the fields a PBOC
  account-management filing needs.
"""

import sqlalchemy as sa
from alembic import op

revision = "1330"
down_revision = "1313c"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("import_run") as batch:
        batch.add_column(sa.Column("source_date", When, nullable=True))
    op.create_table(
        "list_source",
        sa.Column("list_code", sa.String(64), primary_key=True),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("validators", sa.JSON, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("source_date", When, nullable=True),
        sa.Column("checked_at", When, nullable=False),
        sa.Column("verified_at", When, nullable=True),
        sa.Column("applied_at", When, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("failed_at", When, nullable=True),
        sa.Column("refused_hash", sa.String(64), nullable=True),
    )
    op.create_table(
        "ledger_account_event",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("event", sa.String(8), nullable=False),
        sa.Column("event_date", sa.Date, nullable=False),
        sa.Column("account_type", sa.String(24), nullable=False),
        sa.Column("holder_name", sa.String(200), nullable=False),
        sa.Column("id_type", sa.String(24), nullable=False),
        sa.Column("id_number", sa.String(64), nullable=False),
        sa.Column("branch_code", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("recorded_at", When, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
    )
    op.create_index("ux_ledger_account_event", "ledger_account_event", ["fingerprint"], unique=True)
    op.create_index("ix_ledger_account_event_day", "ledger_account_event", ["event_date", "id"])
    op.create_index("ix_ledger_account_event_account", "ledger_account_event", ["account", "id"])


def downgrade() -> None:
    op.drop_index("ix_ledger_account_event_account", table_name="ledger_account_event")
    op.drop_index("ix_ledger_account_event_day", table_name="ledger_account_event")
    op.drop_index("ux_ledger_account_event", table_name="ledger_account_event")
    op.drop_table("ledger_account_event")
    op.drop_table("list_source")
    with op.batch_alter_table("import_run") as batch:
        batch.drop_column("source_date")
