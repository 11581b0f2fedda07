"""geo grids: the highest grid sequence issued per community of a grid layer

Revision ID: 0014_geo_grids
Revises: 0013_workers
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_geo_grids"
down_revision = "0013_workers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "geo_grid_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geo_grid_sequence")),
        sa.UniqueConstraint("resource_id", "prefix", name="uq_geo_grid_sequence_resource_prefix"),
    )
    op.create_index(op.f("ix_geo_grid_sequence_resource_id"), "geo_grid_sequence", ["resource_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_geo_grid_sequence_resource_id"), table_name="geo_grid_sequence")
    op.drop_table("geo_grid_sequence")
