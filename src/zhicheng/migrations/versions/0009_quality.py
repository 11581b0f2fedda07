"""data quality: rules, runs, findings, correction tasks

Revision ID: 0009_quality
Revises: 0008_opendata
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_quality"
down_revision = "0008_opendata"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quality_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=63), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_rule")),
    )
    with op.batch_alter_table("quality_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_rule_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_rule_state"), ["state"], unique=False)

    op.create_table(
        "quality_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("run_by_name", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_run")),
    )
    with op.batch_alter_table("quality_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_run_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_run_resource_id"), ["resource_id"], unique=False)

    op.create_table(
        "quality_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=63), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("checked", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("samples", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["quality_run.id"],
            name=op.f("fk_quality_finding_run_id_quality_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_finding")),
    )
    with op.batch_alter_table("quality_finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_finding_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_finding_run_id"), ["run_id"], unique=False)

    op.create_table(
        "quality_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("opened_run_id", sa.Integer(), nullable=False),
        sa.Column("closed_run_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_task")),
    )
    with op.batch_alter_table("quality_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quality_task_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_task_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_task_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quality_task_state"), ["state"], unique=False)

    op.create_table(
        "quality_schedule",
        sa.Column("resource_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("interval_hours", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("resource_id", name=op.f("pk_quality_schedule")),
    )


def downgrade() -> None:
    op.drop_table("quality_schedule")
    op.drop_table("quality_task")
    op.drop_table("quality_finding")
    op.drop_table("quality_run")
    op.drop_table("quality_rule")
