"""The SensorThings entity sets over the iot tables: each set's properties (as JSON and as SQL columns for
$filter and $orderby), its navigation properties, and what an actor may see of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.iot.access import readable_things
from zhicheng.iot.models import (
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    Location,
    Observation,
    ObservedProperty,
    Sensor,
    Thing,
    ThingLocation,
)


def iso(at: datetime | None) -> str | None:
    """An instant as SensorThings writes it: ISO 8601 in UTC with Z."""
    if at is None:
        return None
    return clock.aware(at).astimezone(UTC).isoformat().replace("+00:00", "Z")


def interval(start: datetime | None, end: datetime | None) -> str | None:
    """A time extent (start/end), or None before anything came."""
    if start is None:
        return None
    return iso(start) if end is None or start == end else f"{iso(start)}/{iso(end)}"


def observation_result(o: Observation) -> Any:
    if o.result_number is not None:
        n = o.result_number
        return int(n) if n.is_integer() and abs(n) < 2**53 else n
    return o.result_text if o.result_text is not None else o.result_json


@dataclass(frozen=True)
class Nav:
    """A navigation property: the set it leads to, whether to many, and the condition on that set's rows for a
    parent id."""

    target: str
    many: bool
    related: Callable[[Any], ColumnElement[bool]]


@dataclass(frozen=True)
class EntitySet:
    name: str  # Things
    singular: str  # Thing
    model: type
    properties: Callable[[Any], dict[str, Any]]  # row -> its properties, in SensorThings names
    columns: dict[str, Any]  # SensorThings name -> SQL column ($filter, $orderby)
    navs: dict[str, Nav] = field(default_factory=dict)


def _thing_of(model, column) -> Callable[[Any], ColumnElement[bool]]:
    return lambda pid: Thing.id == select(column).where(model.id == pid).scalar_subquery()


SETS: dict[str, EntitySet] = {s.name: s for s in (
    EntitySet("Things", "Thing", Thing,
              lambda t: {"name": t.name, "description": t.description, "properties": t.properties or {}},
              {"id": Thing.id, "name": Thing.name, "description": Thing.description},
              {"Datastreams": Nav("Datastreams", True, lambda pid: Datastream.thing_id == pid),
               "Locations": Nav("Locations", True, lambda pid: Location.id.in_(
                   select(ThingLocation.location_id).where(ThingLocation.thing_id == pid))),
               "HistoricalLocations": Nav("HistoricalLocations", True, lambda pid: HistoricalLocation.thing_id == pid)}),
    EntitySet("Locations", "Location", Location,
              lambda x: {"name": x.name, "description": x.description, "encodingType": x.encoding_type,
                         "location": x.location, "properties": x.properties or {}},
              {"id": Location.id, "name": Location.name, "description": Location.description,
               "encodingType": Location.encoding_type},
              {"Things": Nav("Things", True, lambda pid: Thing.id.in_(
                  select(ThingLocation.thing_id).where(ThingLocation.location_id == pid))),
               "HistoricalLocations": Nav("HistoricalLocations", True,
                                          lambda pid: HistoricalLocation.location_id == pid)}),
    EntitySet("HistoricalLocations", "HistoricalLocation", HistoricalLocation,
              lambda h: {"time": iso(h.time)},
              {"id": HistoricalLocation.id, "time": HistoricalLocation.time},
              {"Thing": Nav("Things", False, _thing_of(HistoricalLocation, HistoricalLocation.thing_id)),
               "Locations": Nav("Locations", True, lambda pid: Location.id == select(
                   HistoricalLocation.location_id).where(HistoricalLocation.id == pid).scalar_subquery())}),
    EntitySet("Sensors", "Sensor", Sensor,
              lambda s: {"name": s.name, "description": s.description, "encodingType": s.encoding_type,
                         "metadata": s.sensor_metadata, "properties": s.properties or {}},
              {"id": Sensor.id, "name": Sensor.name, "description": Sensor.description,
               "encodingType": Sensor.encoding_type, "metadata": Sensor.sensor_metadata},
              {"Datastreams": Nav("Datastreams", True, lambda pid: Datastream.sensor_id == pid)}),
    EntitySet("ObservedProperties", "ObservedProperty", ObservedProperty,
              lambda p: {"name": p.name, "definition": p.definition, "description": p.description,
                         "properties": p.properties or {}},
              {"id": ObservedProperty.id, "name": ObservedProperty.name, "definition": ObservedProperty.definition,
               "description": ObservedProperty.description},
              {"Datastreams": Nav("Datastreams", True, lambda pid: Datastream.observed_property_id == pid)}),
    EntitySet("Datastreams", "Datastream", Datastream,
              lambda d: {"name": d.name, "description": d.description, "unitOfMeasurement": d.unit_of_measurement,
                         "observationType": d.observation_type,
                         "phenomenonTime": interval(d.phenomenon_time_start, d.phenomenon_time_end),
                         "resultTime": interval(d.result_time_start, d.result_time_end),
                         "properties": {**(d.properties or {}), "key": d.key, "validMin": d.valid_min,
                                        "validMax": d.valid_max, "samplingInterval": d.sampling_interval}},
              {"id": Datastream.id, "name": Datastream.name, "description": Datastream.description,
               "observationType": Datastream.observation_type},
              {"Thing": Nav("Things", False, _thing_of(Datastream, Datastream.thing_id)),
               "Sensor": Nav("Sensors", False, lambda pid: Sensor.id == select(Datastream.sensor_id).where(
                   Datastream.id == pid).scalar_subquery()),
               "ObservedProperty": Nav("ObservedProperties", False, lambda pid: ObservedProperty.id == select(
                   Datastream.observed_property_id).where(Datastream.id == pid).scalar_subquery()),
               "Observations": Nav("Observations", True, lambda pid: Observation.datastream_id == pid)}),
    EntitySet("Observations", "Observation", Observation,
              lambda o: {"phenomenonTime": iso(o.phenomenon_time), "resultTime": iso(o.result_time),
                         "result": observation_result(o), "resultQuality": o.result_quality,
                         "parameters": o.parameters or {}},
              {"id": Observation.id, "phenomenonTime": Observation.phenomenon_time,
               "resultTime": Observation.result_time, "result": Observation.result_number,
               "resultQuality": Observation.result_quality},
              {"Datastream": Nav("Datastreams", False, lambda pid: Datastream.id == select(
                  Observation.datastream_id).where(Observation.id == pid).scalar_subquery()),
               "FeatureOfInterest": Nav("FeaturesOfInterest", False, lambda pid: FeatureOfInterest.id == select(
                   Observation.feature_of_interest_id).where(Observation.id == pid).scalar_subquery())}),
    EntitySet("FeaturesOfInterest", "FeatureOfInterest", FeatureOfInterest,
              lambda f: {"name": f.name, "description": f.description, "encodingType": f.encoding_type,
                         "feature": f.feature, "properties": f.properties or {}},
              {"id": FeatureOfInterest.id, "name": FeatureOfInterest.name,
               "description": FeatureOfInterest.description, "encodingType": FeatureOfInterest.encoding_type},
              {"Observations": Nav("Observations", True, lambda pid: Observation.feature_of_interest_id == pid)}),
)}


def visible(name: str, actor: Actor) -> ColumnElement[bool]:
    """The condition on set `name`'s rows of what `actor` may read: what belongs to a Thing it may read."""
    things = select(Thing.id).where(readable_things(actor))
    streams = select(Datastream.id).where(Datastream.thing_id.in_(things))
    locations = select(ThingLocation.location_id).where(ThingLocation.thing_id.in_(things))
    if name == "Things":
        return readable_things(actor)
    if name == "Datastreams":
        return Datastream.thing_id.in_(things)
    if name == "Observations":
        return Observation.datastream_id.in_(streams)
    if name == "Locations":
        return Location.id.in_(locations)
    if name == "HistoricalLocations":
        return HistoricalLocation.thing_id.in_(things)
    if name == "Sensors":
        return Sensor.id.in_(select(Datastream.sensor_id).where(Datastream.thing_id.in_(things)))
    if name == "ObservedProperties":
        return ObservedProperty.id.in_(select(Datastream.observed_property_id).where(Datastream.thing_id.in_(things)))
    if name == "FeaturesOfInterest":
        return or_(FeatureOfInterest.location_id.in_(locations), FeatureOfInterest.id.in_(
            select(Observation.feature_of_interest_id).where(Observation.datastream_id.in_(streams))))
    raise KeyError(name)
