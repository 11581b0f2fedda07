"""iot lake: the manifest of the Parquet lake's files and its watermark and lease

Revision ID: 0019
Revises: 0018_iot_rollups
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018_iot_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "iot_lake_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_type", sa.String(length=64), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("min_id", sa.BigInteger(), nullable=False),
        sa.Column("max_id", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_lake_parts")),
        sa.UniqueConstraint("path", name=op.f("uq_iot_lake_parts_path")),
    )
    op.create_index("ix_iot_lake_parts_partition", "iot_lake_parts", ["device_type", "day"])
    op.create_table(
        "iot_lake_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_iot_lake_state")),
    )


def downgrade() -> None:
    op.drop_table("iot_lake_state")
    op.drop_index("ix_iot_lake_parts_partition", table_name="iot_lake_parts")
    op.drop_table("iot_lake_parts")
