"""authority (#18): staff accounts and sessions, pending changes, the audit log, the change log's hash chain

Revision ID: 0401
Revises: 0201

Backfills the hash chain over the change-log rows written before it, in sequence order, with the
same hashing as new rows (``finguard.lists.store.tables.change_data``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0401"
down_revision = "0701"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "staff_user",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "staff_session",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_session_actor", "staff_session", ["actor_kind", "actor_name"])
    op.create_table(
        "pending_change",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("approver_roles", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(200), nullable=False),
        sa.Column("proposed_role", sa.String(32), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
    )
    op.create_index("ix_pending_change_status", "pending_change", ["status", "id"])
    op.create_table(
        "audit_log",
        sa.Column("seq", Id, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["actor", "seq"])
    with op.batch_alter_table("change_log") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(64), nullable=True))
    _backfill_chain()


def _backfill_chain() -> None:
    from finguard.core.chain import GENESIS, link
    from finguard.lists.store.tables import change_data

    bind = op.get_bind()
    log = sa.table(
        "change_log",
        sa.column("seq", sa.BigInteger),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("actor", sa.String),
        sa.column("op", sa.String),
        sa.column("list_code", sa.String),
        sa.column("entry_id", sa.BigInteger),
        sa.column("entry_key", sa.String),
        sa.column("snapshot", sa.JSON),
        sa.column("prev_hash", sa.String),
        sa.column("row_hash", sa.String),
    )
    prev, last = GENESIS, 0
    while True:
        rows = bind.execute(sa.select(log).where(log.c.seq > last).order_by(log.c.seq).limit(5000)).all()
        if not rows:
            return
        updates = []
        for r in rows:
            row_hash = link(prev, change_data(r.at, r.actor, r.op, r.list_code, r.entry_id, r.entry_key, r.snapshot))
            updates.append({"b_seq": r.seq, "p_prev": prev, "p_hash": row_hash})
            prev, last = row_hash, r.seq
        bind.execute(
            sa.update(log).where(log.c.seq == sa.bindparam("b_seq")).values(prev_hash=sa.bindparam("p_prev"), row_hash=sa.bindparam("p_hash")),
            updates,
        )


def downgrade() -> None:
    with op.batch_alter_table("change_log") as batch:
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
    op.drop_index("ix_audit_log_actor", "audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_pending_change_status", "pending_change")
    op.drop_table("pending_change")
    op.drop_index("ix_staff_session_actor", "staff_session")
    op.drop_table("staff_session")
    op.drop_table("staff_user")
