"""The iot tables: the SensorThings 1.1 model (Things, Locations, HistoricalLocations, Sensors, ObservedProperties,
Datastreams, Observations, FeaturesOfInterest), device credentials and the quarantine of refused observations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.db import Base

# SQLite's rowid alias needs INTEGER; PostgreSQL gets BIGINT (observations grow past 2^31)
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Thing(Base):
    """A device (or station) of a department: the SensorThings Thing, with its credential and liveness."""

    __tablename__ = "iot_things"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the device's own identifier (serial, station code)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    device_type: Mapped[str] = mapped_column(String(64), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    open: Mapped[bool] = mapped_column(Boolean, default=False)  # readable by everyone (anonymous included)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the device token
    token_rotated_at: Mapped[datetime]
    last_seen: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Location(Base):
    """Where a Thing is: a GeoJSON point in CGCS2000 (EPSG:4490)."""

    __tablename__ = "iot_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(64), default="application/geo+json")
    location: Mapped[dict[str, Any]] = mapped_column(JSON)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ThingLocation(Base):
    """The current Locations of a Thing (SensorThings: many to many)."""

    __tablename__ = "iot_thing_locations"

    thing_id: Mapped[int] = mapped_column(ForeignKey("iot_things.id", ondelete="CASCADE"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("iot_locations.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)


class HistoricalLocation(Base):
    """When a Thing was (or started being) at a Location."""

    __tablename__ = "iot_historical_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    thing_id: Mapped[int] = mapped_column(ForeignKey("iot_things.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("iot_locations.id", ondelete="CASCADE"), index=True)
    time: Mapped[datetime]


class Sensor(Base):
    """The instrument that observes (one per device, described by its device type)."""

    __tablename__ = "iot_sensors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(64), default="text/plain")
    sensor_metadata: Mapped[str] = mapped_column("metadata", Text, default="")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ObservedProperty(Base):
    """What is observed (PM2.5, water level ...), one row per definition URI, shared by every datastream."""

    __tablename__ = "iot_observed_properties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[str] = mapped_column(String(300), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Datastream(Base):
    """One series of a Thing: an observed property in a unit (UCUM), with the device type's valid range."""

    __tablename__ = "iot_datastreams"
    __table_args__ = (UniqueConstraint("thing_id", "key", name="uq_iot_datastreams_thing_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thing_id: Mapped[int] = mapped_column(ForeignKey("iot_things.id", ondelete="CASCADE"), index=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("iot_sensors.id"), index=True)
    observed_property_id: Mapped[int] = mapped_column(ForeignKey("iot_observed_properties.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))  # the device type's datastream name (pm25, level ...)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit_of_measurement: Mapped[dict[str, Any]] = mapped_column(JSON)  # {name, symbol, definition (UCUM)}
    observation_type: Mapped[str] = mapped_column(String(200))
    valid_min: Mapped[float | None] = mapped_column(Float)
    valid_max: Mapped[float | None] = mapped_column(Float)
    sampling_interval: Mapped[int] = mapped_column(Integer)  # seconds
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    phenomenon_time_start: Mapped[datetime | None]
    phenomenon_time_end: Mapped[datetime | None]
    result_time_start: Mapped[datetime | None]
    result_time_end: Mapped[datetime | None]


class FeatureOfInterest(Base):
    """What an observation is about; made from the Thing's Location when an observation names none."""

    __tablename__ = "iot_features_of_interest"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    encoding_type: Mapped[str] = mapped_column(String(64), default="application/geo+json")
    feature: Mapped[dict[str, Any]] = mapped_column(JSON)
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("iot_locations.id", ondelete="SET NULL"),
                                                    unique=True)


class Observation(Base):
    """One value of a datastream at a phenomenon time; (datastream, phenomenon time) is unique: a repeat is a no-op."""

    __tablename__ = "iot_observations"
    __table_args__ = (
        UniqueConstraint("datastream_id", "phenomenon_time", name="uq_iot_observations_datastream_time"),
        Index("ix_iot_observations_foi", "feature_of_interest_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    datastream_id: Mapped[int] = mapped_column(ForeignKey("iot_datastreams.id", ondelete="CASCADE"))
    feature_of_interest_id: Mapped[int | None] = mapped_column(ForeignKey("iot_features_of_interest.id"))
    phenomenon_time: Mapped[datetime]
    result_time: Mapped[datetime | None]
    result_number: Mapped[float | None] = mapped_column(Float)
    result_text: Mapped[str | None] = mapped_column(Text)
    result_json: Mapped[Any | None] = mapped_column(JSON)
    result_quality: Mapped[str | None] = mapped_column(String(200))
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Quarantined(Base):
    """An observation refused at ingest: what came, from which device, why, when."""

    __tablename__ = "iot_quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    thing_id: Mapped[int | None] = mapped_column(ForeignKey("iot_things.id", ondelete="CASCADE"), index=True)
    datastream_id: Mapped[int | None] = mapped_column(ForeignKey("iot_datastreams.id", ondelete="CASCADE"))
    datastream_ref: Mapped[str | None] = mapped_column(String(200))  # as the device named it
    channel: Mapped[str] = mapped_column(String(32))  # sta | dataArray | batch
    reason: Mapped[str] = mapped_column(String(32))  # out_of_range | wrong_type | not_finite | future_time ...
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[Any | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(index=True)


class _Rollup:
    """The columns of a rollup bucket: the numeric observations of one datastream in [bucket, bucket + interval)."""

    datastream_id: Mapped[int] = mapped_column(ForeignKey("iot_datastreams.id", ondelete="CASCADE"), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(primary_key=True)  # the bucket's start, UTC
    count: Mapped[int] = mapped_column(Integer)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)
    sum: Mapped[float] = mapped_column(Float)  # the mean is sum / count, taken when read


class HourlyRollup(_Rollup, Base):
    """Count, min, max and sum of a datastream's numeric observations per hour (UTC-aligned, equal in +08:00)."""

    __tablename__ = "iot_rollups_hourly"


class DailyRollup(_Rollup, Base):
    """Count, min, max and sum of a datastream's numeric observations per day of Beijing time (00:00–24:00 +08:00)."""

    __tablename__ = "iot_rollups_daily"


class LakePart(Base):
    """One Parquet file of the data lake (iot/lake.py): its partition (device type, Beijing date), where it lies
    under the lake root and which observations (by id) it holds. History reads only the files listed here."""

    __tablename__ = "iot_lake_parts"
    __table_args__ = (Index("ix_iot_lake_parts_partition", "device_type", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_type: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, Beijing date of the phenomenon times
    path: Mapped[str] = mapped_column(String(500), unique=True)  # relative to the lake root
    rows: Mapped[int] = mapped_column(BigInteger)
    min_id: Mapped[int] = mapped_column(BigInteger)
    max_id: Mapped[int] = mapped_column(BigInteger)
    bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class LakeState(Base):
    """The lake's counters: `watermark` (every observation with id ≤ it is in the lake) and `lease_until` (epoch
    seconds until which one process holds the right to write the lake)."""

    __tablename__ = "iot_lake_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Rule(Base):
    """An alarm rule as data (iot/rules.py validates it): its kind and parameters, severity, scope (a datastream,
    a device or the devices of a type), the department it belongs to, active windows in Beijing time."""

    __tablename__ = "iot_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))  # threshold | rate | no_data | composite
    severity: Mapped[str] = mapped_column(String(16))  # info | minor | major | critical
    scope: Mapped[str] = mapped_column(String(16))  # datastream | device | device_type
    datastream_id: Mapped[int | None] = mapped_column(ForeignKey("iot_datastreams.id", ondelete="CASCADE"),
                                                      index=True)
    thing_id: Mapped[int | None] = mapped_column(ForeignKey("iot_things.id", ondelete="CASCADE"), index=True)
    device_type: Mapped[str | None] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)  # None: every one
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    windows: Mapped[list[Any] | None] = mapped_column(JSON)  # [{start, end, days}], Beijing time; None: always
    template: Mapped[str | None] = mapped_column(String(100))  # the template it was made from
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RuleState(Base):
    """Where a rule stands for one source (a datastream, or a device for composite and offline rules): in an
    episode or not, since when its condition holds, the last value seen (rate) and latest values (composite)."""

    __tablename__ = "iot_rule_states"

    rule_id: Mapped[int] = mapped_column(ForeignKey("iot_rules.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)  # ds:<id> | thing:<id>
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime | None]  # the condition holds since (pending the minimum duration)
    last_time: Mapped[datetime | None]  # phenomenon time of the last observation evaluated
    last_value: Mapped[float | None] = mapped_column(Float)
    values: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # composite: datastream key -> latest value
    updated_at: Mapped[datetime]


class Alarm(Base):
    """An alarm: raised → acknowledged → cleared → closed; one open alarm per rule × source (`open_key`), repeats
    counted on it."""

    __tablename__ = "iot_alarms"
    __table_args__ = (Index("ix_iot_alarms_department_state", "department_id", "state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("iot_rules.id", ondelete="SET NULL"), index=True)
    rule_name: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)  # raised | acknowledged | cleared | closed
    source: Mapped[str] = mapped_column(String(32))
    open_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # <rule>:<source> while not closed
    thing_id: Mapped[int] = mapped_column(ForeignKey("iot_things.id", ondelete="CASCADE"), index=True)
    datastream_id: Mapped[int | None] = mapped_column(ForeignKey("iot_datastreams.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    value: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text, default="")
    count: Mapped[int] = mapped_column(Integer, default=1)  # times raised while open
    raised_at: Mapped[datetime]  # first raised
    last_raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class AlarmHistory(Base):
    """One transition of an alarm: from which state to which, who (None: the rule engine), when, why."""

    __tablename__ = "iot_alarm_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(BigId, ForeignKey("iot_alarms.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # raised | repeated | acknowledged | cleared | closed
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime]
