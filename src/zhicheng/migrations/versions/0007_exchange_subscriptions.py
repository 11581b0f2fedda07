"""exchange subscriptions: webhooks, deliveries, attempts

Revision ID: 0007_exchange_subscriptions
Revises: 0006_exchange_delivery
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_exchange_subscriptions'
down_revision = '0006_exchange_delivery'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('consumer_department_id', sa.Integer(), nullable=False),
    sa.Column('target_url', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_subscription'))
    )
    op.create_index(op.f('ix_exchange_subscription_grant_id'), 'exchange_subscription', ['grant_id'])
    op.create_index(op.f('ix_exchange_subscription_resource_id'), 'exchange_subscription', ['resource_id'])
    op.create_index(op.f('ix_exchange_subscription_consumer_department_id'), 'exchange_subscription',
                    ['consumer_department_id'])
    op.create_table('exchange_webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['exchange_subscription.id'],
                            name=op.f('fk_exchange_webhook_delivery_subscription_id_exchange_subscription'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_webhook_delivery'))
    )
    op.create_index(op.f('ix_exchange_webhook_delivery_subscription_id'), 'exchange_webhook_delivery',
                    ['subscription_id'])
    op.create_index(op.f('ix_exchange_webhook_delivery_state'), 'exchange_webhook_delivery', ['state'])
    op.create_index(op.f('ix_exchange_webhook_delivery_next_attempt_at'), 'exchange_webhook_delivery',
                    ['next_attempt_at'])
    op.create_table('exchange_webhook_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['exchange_webhook_delivery.id'],
                            name=op.f('fk_exchange_webhook_attempt_delivery_id_exchange_webhook_delivery'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_webhook_attempt'))
    )
    op.create_index(op.f('ix_exchange_webhook_attempt_delivery_id'), 'exchange_webhook_attempt', ['delivery_id'])


def downgrade() -> None:
    op.drop_table('exchange_webhook_attempt')
    op.drop_table('exchange_webhook_delivery')
    op.drop_table('exchange_subscription')
