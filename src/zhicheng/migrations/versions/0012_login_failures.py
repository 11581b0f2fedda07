"""accounts: failed logins of unknown names, so that lock-out does not reveal which names exist

Revision ID: 0012_login_failures
Revises: 0011_exchange_holidays
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_login_failures"
down_revision = "0011_exchange_holidays"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("realm", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("realm", "name", name=op.f("pk_login_failure")),
    )
    op.create_index(op.f("ix_login_failure_last_at"), "login_failure", ["last_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_failure_last_at"), table_name="login_failure")
    op.drop_table("login_failure")
