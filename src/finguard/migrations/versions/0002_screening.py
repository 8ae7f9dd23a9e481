"""screening: parties, hits, decisions, alerts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 17:01:46.588674
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_cursor',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('alert',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_seq', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_status_created', ['status', 'created_at'], unique=False)

    op.create_table('screened_party',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('party_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('data_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('screened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('screened_seq', sa.BigInteger(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('party_key')
    )
    op.create_table('hit_decision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('party_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.BigInteger(), nullable=False),
    sa.Column('decision', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('party_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['screened_party.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('hit_decision', schema=None) as batch_op:
        batch_op.create_index('ix_hit_decision_pair', ['party_id', 'entry_id', 'id'], unique=False)

    op.create_table('screening_hit',
    sa.Column('party_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.BigInteger(), nullable=False),
    sa.Column('list_code', sa.String(length=64), nullable=False),
    sa.Column('listed_name', sa.String(length=500), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('entry_version', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['party_id'], ['screened_party.id'], ),
    sa.PrimaryKeyConstraint('party_id', 'entry_id')
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_table('job_cursor')
    op.drop_table('screening_hit')
    with op.batch_alter_table('hit_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_hit_decision_pair')

    op.drop_table('hit_decision')
    op.drop_table('screened_party')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_status_created')

    op.drop_table('alert')
    # ### end Alembic commands ###
