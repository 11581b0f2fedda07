"""exchange delivery: masking rules

Revision ID: 0006_exchange_delivery
Revises: 0005_exchange
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_exchange_delivery'
down_revision = '0005_exchange'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_masking_rule',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_by_name', sa.String(length=100), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_exchange_masking_rule'))
    )


def downgrade() -> None:
    op.drop_table('exchange_masking_rule')
