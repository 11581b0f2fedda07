"""base databases and lineage: templates, assemblies, provenance, conflicts, lineage graph

Revision ID: 0010_basedb
Revises: 0009_quality
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_basedb"
down_revision = "0009_quality"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "basedb_assembly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basedb_assembly")),
        sa.UniqueConstraint("name", name=op.f("uq_basedb_assembly_name")),
        sa.UniqueConstraint("resource_id", name=op.f("uq_basedb_assembly_resource_id")),
    )
    op.create_index(op.f("ix_basedb_assembly_department_id"), "basedb_assembly", ["department_id"])
    op.create_table(
        "basedb_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assembly_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("conflict_count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assembly_id"],
            ["basedb_assembly.id"],
            name=op.f("fk_basedb_run_assembly_id_basedb_assembly"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basedb_run")),
    )
    op.create_index(op.f("ix_basedb_run_assembly_id"), "basedb_run", ["assembly_id"])
    op.create_table(
        "basedb_provenance",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("fields", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["basedb_run.id"],
            name=op.f("fk_basedb_provenance_run_id_basedb_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "row", name=op.f("pk_basedb_provenance")),
    )
    op.create_index("ix_basedb_provenance_run_key", "basedb_provenance", ["run_id", "key"])
    op.create_table(
        "basedb_conflict_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("assembly_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("conflict_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["basedb_run.id"],
            name=op.f("fk_basedb_conflict_task_run_id_basedb_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basedb_conflict_task")),
    )
    op.create_index(op.f("ix_basedb_conflict_task_run_id"), "basedb_conflict_task", ["run_id"])
    op.create_index(op.f("ix_basedb_conflict_task_assembly_id"), "basedb_conflict_task", ["assembly_id"])
    op.create_index(op.f("ix_basedb_conflict_task_department_id"), "basedb_conflict_task", ["department_id"])
    op.create_index(op.f("ix_basedb_conflict_task_state"), "basedb_conflict_task", ["state"])
    op.create_table(
        "basedb_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=63), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("kept_index", sa.Integer(), nullable=False),
        sa.Column("kept_row", sa.Integer(), nullable=False),
        sa.Column("other_value", sa.Text(), nullable=True),
        sa.Column("other_index", sa.Integer(), nullable=False),
        sa.Column("other_row", sa.Integer(), nullable=False),
        sa.Column("other_resource_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["basedb_run.id"],
            name=op.f("fk_basedb_conflict_run_id_basedb_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["basedb_conflict_task.id"],
            name=op.f("fk_basedb_conflict_task_id_basedb_conflict_task"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basedb_conflict")),
        sa.UniqueConstraint("run_id", "row", "field", "other_index", name="uq_basedb_conflict_run_id"),
    )
    op.create_index(op.f("ix_basedb_conflict_run_id"), "basedb_conflict", ["run_id"])
    op.create_index(op.f("ix_basedb_conflict_task_id"), "basedb_conflict", ["task_id"])
    op.create_table(
        "lineage_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_node")),
        sa.UniqueConstraint("kind", "ref", name="uq_lineage_node_kind"),
    )
    op.create_index(op.f("ix_lineage_node_resource_id"), "lineage_node", ["resource_id"])
    op.create_table(
        "lineage_edge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["lineage_node.id"],
            name=op.f("fk_lineage_edge_source_id_lineage_node"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["lineage_node.id"],
            name=op.f("fk_lineage_edge_target_id_lineage_node"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_edge")),
        sa.UniqueConstraint("source_id", "target_id", "kind", name="uq_lineage_edge_source_id"),
    )
    op.create_index(op.f("ix_lineage_edge_source_id"), "lineage_edge", ["source_id"])
    op.create_index(op.f("ix_lineage_edge_target_id"), "lineage_edge", ["target_id"])


def downgrade() -> None:
    op.drop_table("lineage_edge")
    op.drop_table("lineage_node")
    op.drop_table("basedb_conflict")
    op.drop_table("basedb_conflict_task")
    op.drop_table("basedb_provenance")
    op.drop_table("basedb_run")
    op.drop_table("basedb_assembly")
