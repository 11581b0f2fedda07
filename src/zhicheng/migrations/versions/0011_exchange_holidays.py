"""exchange: the holiday schedule the admin enters (years, days off, adjusted working days)

Revision ID: 0011_exchange_holidays
Revises: 0010_basedb
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_exchange_holidays"
down_revision = "0010_basedb"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange_holiday_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("entered_by_name", sa.String(length=100), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_exchange_holiday_year")),
    )
    op.create_table(
        "exchange_holiday_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_exchange_holiday_day")),
    )
    op.create_index(op.f("ix_exchange_holiday_day_year"), "exchange_holiday_day", ["year"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_exchange_holiday_day_year"), table_name="exchange_holiday_day")
    op.drop_table("exchange_holiday_day")
    op.drop_table("exchange_holiday_year")
