"""data quality: rules, runs, findings, correction tasks

Revision ID: 0009_quality
Revises: 0008_opendata
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0009_quality'
down_revision = '0008_opendata'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
