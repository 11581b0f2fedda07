"""iot rules and alarms: rules as data, their evaluation state per source, alarms (one open per rule × source) and
each alarm's transitions

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "iot_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("datastream_id", sa.Integer(), nullable=True),
        sa.Column("thing_id", sa.Integer(), nullable=True),
        sa.Column("device_type", sa.String(length=64), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=True),
        sa.Column("template", sa.String(length=100), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["datastream_id"], ["iot_datastreams.id"],
                                name=op.f("fk_iot_rules_datastream_id_iot_datastreams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thing_id"], ["iot_things.id"], name=op.f("fk_iot_rules_thing_id_iot_things"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"],
                                name=op.f("fk_iot_rules_department_id_department")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_rules")),
    )
    for column in ("datastream_id", "thing_id", "department_id"):
        op.create_index(op.f(f"ix_iot_rules_{column}"), "iot_rules", [column], unique=False)
    op.create_table(
        "iot_rule_states",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("since", TIME, nullable=True),
        sa.Column("last_time", TIME, nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["iot_rules.id"], name=op.f("fk_iot_rule_states_rule_id_iot_rules"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rule_id", "source", name=op.f("pk_iot_rule_states")),
    )
    op.create_table(
        "iot_alarms",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("open_key", sa.String(length=64), nullable=True),
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("datastream_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("raised_at", TIME, nullable=False),
        sa.Column("last_raised_at", TIME, nullable=False),
        sa.Column("acknowledged_at", TIME, nullable=True),
        sa.Column("cleared_at", TIME, nullable=True),
        sa.Column("closed_at", TIME, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["iot_rules.id"], name=op.f("fk_iot_alarms_rule_id_iot_rules"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["thing_id"], ["iot_things.id"], name=op.f("fk_iot_alarms_thing_id_iot_things"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["datastream_id"], ["iot_datastreams.id"],
                                name=op.f("fk_iot_alarms_datastream_id_iot_datastreams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"],
                                name=op.f("fk_iot_alarms_department_id_department")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_alarms")),
        sa.UniqueConstraint("open_key", name=op.f("uq_iot_alarms_open_key")),
    )
    op.create_index(op.f("ix_iot_alarms_rule_id"), "iot_alarms", ["rule_id"], unique=False)
    op.create_index(op.f("ix_iot_alarms_state"), "iot_alarms", ["state"], unique=False)
    op.create_index(op.f("ix_iot_alarms_thing_id"), "iot_alarms", ["thing_id"], unique=False)
    op.create_index("ix_iot_alarms_department_state", "iot_alarms", ["department_id", "state"], unique=False)
    op.create_table(
        "iot_alarm_history",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("alarm_id", BIG_ID, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["alarm_id"], ["iot_alarms.id"],
                                name=op.f("fk_iot_alarm_history_alarm_id_iot_alarms"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_alarm_history")),
    )
    op.create_index(op.f("ix_iot_alarm_history_alarm_id"), "iot_alarm_history", ["alarm_id"], unique=False)


def downgrade() -> None:
    for table in ("iot_alarm_history", "iot_alarms", "iot_rule_states", "iot_rules"):
        op.drop_table(table)
