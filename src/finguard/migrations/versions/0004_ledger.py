"""ledger: transfers and accounts of the fund-flow ledger (#5)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('transfer',
    sa.Column('id', Id, autoincrement=True, nullable=False),
    sa.Column('external_id', sa.String(length=128), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('src_account', sa.String(length=128), nullable=False),
    sa.Column('dst_account', sa.String(length=128), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=64), nullable=True),
    sa.Column('memo', sa.Text(), nullable=True),
    sa.Column('src_name', sa.String(length=200), nullable=True),
    sa.Column('dst_name', sa.String(length=200), nullable=True),
    sa.Column('dst_bank', sa.String(length=200), nullable=True),
    sa.Column('balance_after_fen', sa.BigInteger(), nullable=True),
    sa.Column('label_laundering', sa.Boolean(), nullable=True),
    sa.Column('typology', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.create_index('ux_transfer_source_external', ['source', 'external_id'], unique=True)
        batch_op.create_index('ix_transfer_src_at', ['src_account', 'at'], unique=False)
        batch_op.create_index('ix_transfer_dst_at', ['dst_account', 'at'], unique=False)

    op.create_table('ledger_account',
    sa.Column('account', sa.String(length=128), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('bank', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('label_fraud', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('account')
    )


def downgrade() -> None:
    op.drop_table('ledger_account')
    with op.batch_alter_table('transfer', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_dst_at')
        batch_op.drop_index('ix_transfer_src_at')
        batch_op.drop_index('ux_transfer_source_external')
    op.drop_table('transfer')
