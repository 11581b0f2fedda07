"""exchange: share requests, their timeline, grants

Revision ID: 0005_exchange
Revises: 0004_datasets
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_exchange'
down_revision = '0004_datasets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('resource_name', sa.String(length=200), nullable=False),
    sa.Column('share_type', sa.String(length=16), nullable=False),
    sa.Column('provider_department_id', sa.Integer(), nullable=False),
    sa.Column('consumer_department_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=True),
    sa.Column('requester_name', sa.String(length=100), nullable=True),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('row_filter', sa.JSON(), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('delivery', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_by_name', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_request'))
    )
    with op.batch_alter_table('exchange_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_request_consumer_department_id'), ['consumer_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_request_provider_department_id'), ['provider_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_request_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_request_state'), ['state'], unique=False)

    op.create_table('exchange_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('consumer_department_id', sa.Integer(), nullable=False),
    sa.Column('provider_department_id', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('row_filter', sa.JSON(), nullable=True),
    sa.Column('plain_items', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_name', sa.String(length=100), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('delivery', sa.String(length=8), nullable=False),
    sa.Column('file_export_approved', sa.Boolean(), nullable=False),
    sa.Column('use_count', sa.Integer(), nullable=False),
    sa.Column('rows_delivered', sa.BigInteger(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['exchange_request.id'], name=op.f('fk_exchange_grant_request_id_exchange_request'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_grant')),
    sa.UniqueConstraint('request_id', name=op.f('uq_exchange_grant_request_id'))
    )
    with op.batch_alter_table('exchange_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_grant_consumer_department_id'), ['consumer_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_grant_provider_department_id'), ['provider_department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_grant_resource_id'), ['resource_id'], unique=False)

    op.create_table('exchange_request_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('actor_name', sa.String(length=100), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['exchange_request.id'], name=op.f('fk_exchange_request_event_request_id_exchange_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_request_event'))
    )
    with op.batch_alter_table('exchange_request_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_request_event_request_id'), ['request_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exchange_request_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_request_event_request_id'))

    op.drop_table('exchange_request_event')
    with op.batch_alter_table('exchange_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_grant_resource_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_grant_provider_department_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_grant_consumer_department_id'))

    op.drop_table('exchange_grant')
    with op.batch_alter_table('exchange_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_request_state'))
        batch_op.drop_index(batch_op.f('ix_exchange_request_resource_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_request_provider_department_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_request_consumer_department_id'))

    op.drop_table('exchange_request')
