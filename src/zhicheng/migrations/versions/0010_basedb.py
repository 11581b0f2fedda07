"""base databases and lineage: templates, assemblies, provenance, conflicts, lineage graph

Revision ID: 0010_basedb
Revises: 0009_quality
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0010_basedb'
down_revision = '0009_quality'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
