"""Who may change a SensorThings entity: the Things it belongs to, each managed by its department's data officer or
the admin (the device rules of `iot.access`); an entity of no Thing by any data officer or the admin."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.iot import access
from zhicheng.iot.models import (
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    Observation,
    Thing,
    ThingLocation,
)
from zhicheng.policy.service import Target, authorize_audited


def manage_thing(db: Session, actor: Actor, thing: Thing, action: str) -> None:
    """Forbidden unless `actor` manages `thing` (its department's data officer or the admin)."""
    authorize_audited(db, actor, "update", access.target(thing), audit_action=f"iot.sta.{action}")


def manage_department(db: Session, actor: Actor, department_id: int | None, action: str) -> None:
    authorize_audited(db, actor, "create", Target(access.DEVICE, department_id=department_id),
                      audit_action=f"iot.sta.{action}")


def _things_of(db: Session, set_name: str, ident: int) -> list[Thing]:
    """The Things an entity belongs to (whose managers may change it)."""
    things = select(Thing)
    if set_name == "Things":
        stmt = things.where(Thing.id == ident)
    elif set_name == "Locations":
        stmt = things.where(Thing.id.in_(select(ThingLocation.thing_id).where(ThingLocation.location_id == ident)))
    elif set_name == "HistoricalLocations":
        stmt = things.where(Thing.id == select(HistoricalLocation.thing_id).where(HistoricalLocation.id == ident)
                            .scalar_subquery())
    elif set_name == "Datastreams":
        stmt = things.where(Thing.id == select(Datastream.thing_id).where(Datastream.id == ident).scalar_subquery())
    elif set_name == "Observations":
        stmt = things.where(Thing.id == select(Datastream.thing_id).join(
            Observation, Observation.datastream_id == Datastream.id).where(Observation.id == ident).scalar_subquery())
    elif set_name == "Sensors":
        stmt = things.where(Thing.id.in_(select(Datastream.thing_id).where(Datastream.sensor_id == ident)))
    elif set_name == "ObservedProperties":
        stmt = things.where(Thing.id.in_(select(Datastream.thing_id).where(Datastream.observed_property_id == ident)))
    else:  # FeaturesOfInterest: the Things of its Location and of the Datastreams observing it
        located = select(ThingLocation.thing_id).join(FeatureOfInterest, FeatureOfInterest.location_id ==
                                                      ThingLocation.location_id).where(FeatureOfInterest.id == ident)
        observed = select(Datastream.thing_id).where(Datastream.id.in_(
            select(Observation.datastream_id).where(Observation.feature_of_interest_id == ident).distinct()))
        stmt = things.where(Thing.id.in_(located) | Thing.id.in_(observed))
    return list(db.scalars(stmt.order_by(Thing.id)))


def check_may_change(db: Session, actor: Actor, set_name: str, ident: int, action: str) -> None:
    """Forbidden unless `actor` manages every Thing the entity belongs to (one belonging to none: any data officer
    or the admin, as for making a new one)."""
    things = _things_of(db, set_name, ident)
    if not things:
        manage_department(db, actor, actor.department_id, action)
    for thing in things:
        manage_thing(db, actor, thing, action)
