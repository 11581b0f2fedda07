"""geo layers: stable feature ids of the versions OGC API transactions make

Revision ID: 0016_geo_feature_ids
Revises: 0015_geo_layers
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_geo_feature_ids"
down_revision = "0015_geo_layers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "geo_feature_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("next_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geo_feature_ids")),
        sa.UniqueConstraint("resource_id", "version", name="uq_geo_feature_ids_resource_version"),
    )
    op.create_index(op.f("ix_geo_feature_ids_resource_id"), "geo_feature_ids", ["resource_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_geo_feature_ids_resource_id"), table_name="geo_feature_ids")
    op.drop_table("geo_feature_ids")
