"""robots: the job table and run history, the bank's instruments and their list hits, list refresh
periods and staleness episodes, stored daily reports (#13)

Revision ID: 0901
Revises: 0801
"""

import sqlalchemy as sa
from alembic import op

revision = "0901"
down_revision = "0801"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "robot_job",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("next_due_at", When, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("lock_owner", sa.String(200), nullable=True),
        sa.Column("lock_until", When, nullable=True),
        sa.Column("last_run_id", sa.BigInteger, nullable=True),
        sa.Column("updated_at", When, nullable=False),
    )
    op.create_table(
        "robot_run",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("robot", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("started_at", When, nullable=False),
        sa.Column("heartbeat_at", When, nullable=False),
        sa.Column("finished_at", When, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(64), nullable=False),
        sa.Column("done", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )
    op.create_index("ix_robot_run_robot", "robot_run", ["robot", "id"])
    op.create_table(
        "bank_instrument",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("id_type", sa.String(32), nullable=False),
        sa.Column("id_value", sa.String(300), nullable=False),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("first_seen_at", When, nullable=False),
    )
    op.create_index("ux_bank_instrument", "bank_instrument", ["source", "ref", "id_type", "id_value"], unique=True)
    op.create_index("ix_bank_instrument_value", "bank_instrument", ["id_type", "id_value"])
    op.create_table(
        "robot_hit",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("instrument_id", sa.BigInteger, nullable=False),
        sa.Column("entry_id", sa.BigInteger, nullable=False),
        sa.Column("list_code", sa.String(64), nullable=False),
        sa.Column("id_type", sa.String(32), nullable=False),
        sa.Column("id_value", sa.String(300), nullable=False),
        sa.Column("risk_level", sa.Integer, nullable=False),
        sa.Column("run_id", sa.BigInteger, nullable=False),
        sa.Column("found_at", When, nullable=False),
        sa.Column("alert_id", sa.BigInteger, nullable=True),
    )
    op.create_index("ux_robot_hit_pair", "robot_hit", ["instrument_id", "entry_id"], unique=True)
    op.create_index("ix_robot_hit_run", "robot_hit", ["run_id"])
    op.create_table(
        "list_freshness",
        sa.Column("list_code", sa.String(64), primary_key=True),
        sa.Column("max_age_hours", sa.Integer, nullable=True),
        sa.Column("set_by", sa.String(200), nullable=True),
        sa.Column("set_at", When, nullable=True),
        sa.Column("last_change_at", When, nullable=True),
        sa.Column("last_change_seq", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "list_stale_episode",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("list_code", sa.String(64), nullable=False),
        sa.Column("as_of", When, nullable=False),
        sa.Column("detected_at", When, nullable=False),
        sa.Column("ended_at", When, nullable=True),
        sa.Column("alert_id", sa.BigInteger, nullable=True),
    )
    op.create_index("ux_list_stale_episode", "list_stale_episode", ["list_code", "as_of"], unique=True)
    op.create_table(
        "robot_report",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("final", sa.Boolean, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.Column("run_id", sa.BigInteger, nullable=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("csv", sa.LargeBinary, nullable=False),
        sa.Column("xlsx", sa.LargeBinary, nullable=False),
    )
    op.create_index("ux_robot_report_day", "robot_report", ["kind", "day"], unique=True)


def downgrade() -> None:
    for name in ("robot_report", "list_stale_episode", "list_freshness", "robot_hit", "bank_instrument", "robot_run", "robot_job"):
        op.drop_table(name)
