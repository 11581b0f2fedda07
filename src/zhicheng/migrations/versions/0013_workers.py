"""several workers: change counters (caches valid while unchanged) and import jobs claimed by owner with a lease

Revision ID: 0013_workers
Revises: 0012_login_failures
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_workers"
down_revision = "0012_login_failures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_change_counter")),
    )
    with op.batch_alter_table("dataset_import_job") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=160), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dataset_import_job") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("owner")
    op.drop_table("change_counter")
