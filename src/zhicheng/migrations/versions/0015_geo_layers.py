"""geo layers: the registry of built spatial indexes, one row per (resource, version)

Revision ID: 0015_geo_layers
Revises: 0014_geo_grids
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_geo_layers"
down_revision = "0014_geo_grids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "geo_layer_index",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("feature_count", sa.BigInteger(), nullable=False),
        sa.Column("minx", sa.Float(), nullable=True),
        sa.Column("miny", sa.Float(), nullable=True),
        sa.Column("maxx", sa.Float(), nullable=True),
        sa.Column("maxy", sa.Float(), nullable=True),
        sa.Column("geometry_types", sa.JSON(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geo_layer_index")),
        sa.UniqueConstraint("resource_id", "version", name="uq_geo_layer_index_resource_version"),
        sa.UniqueConstraint("table_name", name=op.f("uq_geo_layer_index_table_name")),
    )
    op.create_index(op.f("ix_geo_layer_index_resource_id"), "geo_layer_index", ["resource_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_geo_layer_index_resource_id"), table_name="geo_layer_index")
    op.drop_table("geo_layer_index")
