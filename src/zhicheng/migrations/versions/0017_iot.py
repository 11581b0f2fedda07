"""iot: the SensorThings 1.1 model (things, locations, sensors, observed properties, datastreams, observations,
features of interest), device credentials and the quarantine of refused observations

Revision ID: 0017_iot
Revises: 0016_geo_feature_ids
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_iot"
down_revision = "0016_geo_feature_ids"
branch_labels = None
depends_on = None

# SQLite's rowid alias needs INTEGER; PostgreSQL gets BIGINT (observations grow past 2^31)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "iot_locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=64), nullable=False),
        sa.Column("location", sa.JSON(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_locations"))
    )
    op.create_table(
        "iot_observed_properties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_observed_properties")),
        sa.UniqueConstraint("definition", name=op.f("uq_iot_observed_properties_definition"))
    )
    op.create_table(
        "iot_sensors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=64), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_sensors"))
    )
    op.create_table(
        "iot_features_of_interest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("encoding_type", sa.String(length=64), nullable=False),
        sa.Column("feature", sa.JSON(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["location_id"], ["iot_locations.id"], name=op.f("fk_iot_features_of_interest_location_id_iot_locations"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_features_of_interest")),
        sa.UniqueConstraint("location_id", name=op.f("uq_iot_features_of_interest_location_id"))
    )
    op.create_table(
        "iot_things",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("device_type", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_rotated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["department.id"], name=op.f("fk_iot_things_department_id_department")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_things")),
        sa.UniqueConstraint("code", name=op.f("uq_iot_things_code")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_iot_things_token_hash"))
    )
    op.create_index(op.f("ix_iot_things_department_id"), "iot_things", ["department_id"], unique=False)
    op.create_index(op.f("ix_iot_things_device_type"), "iot_things", ["device_type"], unique=False)

    op.create_table(
        "iot_datastreams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("observed_property_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("unit_of_measurement", sa.JSON(), nullable=False),
        sa.Column("observation_type", sa.String(length=200), nullable=False),
        sa.Column("valid_min", sa.Float(), nullable=True),
        sa.Column("valid_max", sa.Float(), nullable=True),
        sa.Column("sampling_interval", sa.Integer(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=True),
        sa.Column("phenomenon_time_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("phenomenon_time_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_time_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_time_end", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["observed_property_id"], ["iot_observed_properties.id"], name=op.f("fk_iot_datastreams_observed_property_id_iot_observed_properties")),
        sa.ForeignKeyConstraint(["sensor_id"], ["iot_sensors.id"], name=op.f("fk_iot_datastreams_sensor_id_iot_sensors")),
        sa.ForeignKeyConstraint(["thing_id"], ["iot_things.id"], name=op.f("fk_iot_datastreams_thing_id_iot_things"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_datastreams")),
        sa.UniqueConstraint("thing_id", "key", name="uq_iot_datastreams_thing_key")
    )
    op.create_index(op.f("ix_iot_datastreams_observed_property_id"), "iot_datastreams", ["observed_property_id"], unique=False)
    op.create_index(op.f("ix_iot_datastreams_sensor_id"), "iot_datastreams", ["sensor_id"], unique=False)
    op.create_index(op.f("ix_iot_datastreams_thing_id"), "iot_datastreams", ["thing_id"], unique=False)

    op.create_table(
        "iot_historical_locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["iot_locations.id"], name=op.f("fk_iot_historical_locations_location_id_iot_locations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thing_id"], ["iot_things.id"], name=op.f("fk_iot_historical_locations_thing_id_iot_things"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_historical_locations"))
    )
    op.create_index(op.f("ix_iot_historical_locations_location_id"), "iot_historical_locations", ["location_id"], unique=False)
    op.create_index(op.f("ix_iot_historical_locations_thing_id"), "iot_historical_locations", ["thing_id"], unique=False)

    op.create_table(
        "iot_thing_locations",
        sa.Column("thing_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["location_id"], ["iot_locations.id"], name=op.f("fk_iot_thing_locations_location_id_iot_locations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thing_id"], ["iot_things.id"], name=op.f("fk_iot_thing_locations_thing_id_iot_things"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("thing_id", "location_id", name=op.f("pk_iot_thing_locations"))
    )
    op.create_index(op.f("ix_iot_thing_locations_location_id"), "iot_thing_locations", ["location_id"], unique=False)

    op.create_table(
        "iot_observations",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("datastream_id", sa.Integer(), nullable=False),
        sa.Column("feature_of_interest_id", sa.Integer(), nullable=True),
        sa.Column("phenomenon_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_number", sa.Float(), nullable=True),
        sa.Column("result_text", sa.Text(), nullable=True),
        sa.Column("result_json", sa.JSON(), nullable=True),
        sa.Column("result_quality", sa.String(length=200), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["datastream_id"], ["iot_datastreams.id"], name=op.f("fk_iot_observations_datastream_id_iot_datastreams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["feature_of_interest_id"], ["iot_features_of_interest.id"], name=op.f("fk_iot_observations_feature_of_interest_id_iot_features_of_interest")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_observations")),
        sa.UniqueConstraint("datastream_id", "phenomenon_time", name="uq_iot_observations_datastream_time")
    )
    op.create_index("ix_iot_observations_foi", "iot_observations", ["feature_of_interest_id"], unique=False)

    op.create_table(
        "iot_quarantine",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("thing_id", sa.Integer(), nullable=True),
        sa.Column("datastream_id", sa.Integer(), nullable=True),
        sa.Column("datastream_ref", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["datastream_id"], ["iot_datastreams.id"], name=op.f("fk_iot_quarantine_datastream_id_iot_datastreams"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["thing_id"], ["iot_things.id"], name=op.f("fk_iot_quarantine_thing_id_iot_things"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_iot_quarantine"))
    )
    op.create_index(op.f("ix_iot_quarantine_received_at"), "iot_quarantine", ["received_at"], unique=False)
    op.create_index(op.f("ix_iot_quarantine_thing_id"), "iot_quarantine", ["thing_id"], unique=False)



def downgrade() -> None:
    op.drop_index(op.f("ix_iot_quarantine_thing_id"), table_name="iot_quarantine")
    op.drop_index(op.f("ix_iot_quarantine_received_at"), table_name="iot_quarantine")

    op.drop_table("iot_quarantine")
    op.drop_index("ix_iot_observations_foi", table_name="iot_observations")

    op.drop_table("iot_observations")
    op.drop_index(op.f("ix_iot_thing_locations_location_id"), table_name="iot_thing_locations")

    op.drop_table("iot_thing_locations")
    op.drop_index(op.f("ix_iot_historical_locations_thing_id"), table_name="iot_historical_locations")
    op.drop_index(op.f("ix_iot_historical_locations_location_id"), table_name="iot_historical_locations")

    op.drop_table("iot_historical_locations")
    op.drop_index(op.f("ix_iot_datastreams_thing_id"), table_name="iot_datastreams")
    op.drop_index(op.f("ix_iot_datastreams_sensor_id"), table_name="iot_datastreams")
    op.drop_index(op.f("ix_iot_datastreams_observed_property_id"), table_name="iot_datastreams")

    op.drop_table("iot_datastreams")
    op.drop_index(op.f("ix_iot_things_device_type"), table_name="iot_things")
    op.drop_index(op.f("ix_iot_things_department_id"), table_name="iot_things")

    op.drop_table("iot_things")
    op.drop_table("iot_features_of_interest")
    op.drop_table("iot_sensors")
    op.drop_table("iot_observed_properties")
    op.drop_table("iot_locations")
