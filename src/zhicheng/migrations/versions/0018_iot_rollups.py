"""iot rollups: count, min, max and sum per datastream and hour (UTC-aligned) and per day (Beijing time)

Revision ID: 0018_iot_rollups
Revises: 0017_iot
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_iot_rollups"
down_revision = "0017_iot"
branch_labels = None
depends_on = None

TABLES = ("iot_rollups_hourly", "iot_rollups_daily")


def upgrade() -> None:
    for table in TABLES:
        op.create_table(
            table,
            sa.Column("datastream_id", sa.Integer(), nullable=False),
            sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
            sa.Column("count", sa.Integer(), nullable=False),
            sa.Column("min", sa.Float(), nullable=False),
            sa.Column("max", sa.Float(), nullable=False),
            sa.Column("sum", sa.Float(), nullable=False),
            sa.ForeignKeyConstraint(["datastream_id"], ["iot_datastreams.id"],
                                    name=op.f(f"fk_{table}_datastream_id_iot_datastreams"), ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("datastream_id", "bucket", name=op.f(f"pk_{table}")),
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
