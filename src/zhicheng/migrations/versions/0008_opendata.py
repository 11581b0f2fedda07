"""open-data portal: applications, keys, interaction, usage

Revision ID: 0008_opendata
Revises: 0007_exchange_subscriptions
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0008_opendata'
down_revision = '0007_exchange_subscriptions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
