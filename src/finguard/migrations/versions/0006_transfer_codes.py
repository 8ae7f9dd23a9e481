"""integer keys for the monitors' read: account codes, transfer src / dst / ts; alerts by subject (#5)

Revision ID: 0006
Revises: 0005

Backfills the rows written before it: one code per account string found in ``transfer`` (in
order of first appearance, ties by name), and ``ts`` = the floor of ``at`` in epoch seconds (UTC).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CODES = """
INSERT INTO ledger_account_code (account)
SELECT account FROM (
    SELECT src_account AS account, min(id) AS first FROM transfer GROUP BY src_account
    UNION ALL
    SELECT dst_account, min(id) FROM transfer GROUP BY dst_account
) AS seen
GROUP BY account
ORDER BY min(first), account
"""
# SQLite keeps ``at`` as UTC wall-clock text with microseconds; its strftime rounds to the
# millisecond, so the fraction is cut off first (the floor, like ``ledger_repo.epoch_seconds``).
EPOCH = {
    "sqlite": "CAST(strftime('%s', substr(at, 1, 19)) AS INTEGER)",
    "postgresql": "CAST(floor(extract(epoch FROM at)) AS BIGINT)",
}


def upgrade() -> None:
    op.create_table(
        "ledger_account_code",
        sa.Column("code", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ux_ledger_account_code_account", "ledger_account_code", ["account"], unique=True)
    with op.batch_alter_table("transfer", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("src", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dst", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ts", sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    op.execute(CODES)
    op.execute(
        "UPDATE transfer SET "
        "src = (SELECT code FROM ledger_account_code c WHERE c.account = transfer.src_account), "
        "dst = (SELECT code FROM ledger_account_code c WHERE c.account = transfer.dst_account), "
        f"ts = {EPOCH[bind.dialect.name]}"
    )
    with op.batch_alter_table("transfer") as batch_op:
        batch_op.alter_column("src", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("dst", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("ts", existing_type=sa.BigInteger(), nullable=False)
    # A monitor run looks up the alerts its subjects already have before storing new ones.
    op.create_index("ix_alert_subject", "alert", ["subject"])


def downgrade() -> None:
    op.drop_index("ix_alert_subject", table_name="alert")
    with op.batch_alter_table("transfer") as batch_op:
        batch_op.drop_column("ts")
        batch_op.drop_column("dst")
        batch_op.drop_column("src")
    op.drop_index("ux_ledger_account_code_account", table_name="ledger_account_code")
    op.drop_table("ledger_account_code")
