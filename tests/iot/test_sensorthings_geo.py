"""Spatial $filter: geo.intersects, geo.distance and the st_* functions over Locations, Things (by their
Locations), Datastreams, FeaturesOfInterest and Observations (by their FeatureOfInterest): the same answers on
SQLite and PostgreSQL as Shapely gives, polygons as well as points, combined with other conditions and never
showing what the reader may not see; a bad literal or property is a 400 naming $filter."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import select

from tests.iot.conftest import bearer, hours_ago, stream
from zhicheng.iot.models import Location, ThingLocation

BOX = "POLYGON((112.97 28.18, 112.99 28.18, 112.99 28.195, 112.97 28.195, 112.97 28.18))"  # the air station only
AIR_PT, RAIN_PT = (112.98, 28.19), (112.95, 28.20)
PARK = {"type": "Polygon", "coordinates": [[[112.90, 28.10], [112.93, 28.10], [112.93, 28.13], [112.90, 28.13],
                                            [112.90, 28.10]]]}


def _ids(client, headers, path: str, flt: str) -> list[int]:
    answer = client.get(f"/sta/v1.1/{path}?$filter={quote(flt)}&$orderby=id", headers=headers)
    assert answer.status_code == 200, (flt, answer.text)
    return [v["@iot.id"] for v in answer.json()["value"]]


@pytest.fixture
def places(db, world):
    """The ids of the air station's and the rain gauge's Locations, and a park polygon also at the air station."""
    def location_of(registered) -> int:
        return db.scalar(select(ThingLocation.location_id).where(ThingLocation.thing_id == registered.thing.id))

    air, rain = location_of(world.air), location_of(world.rain)
    park = Location(name="烈士公园", description="", encoding_type="application/geo+json", location=PARK)
    db.add(park)
    db.flush()
    db.add(ThingLocation(thing_id=world.air.thing.id, location_id=park.id))
    db.commit()
    return {"air": air, "rain": rain, "park": park.id}


def test_intersects_within_contains_and_distance_on_locations(client, world, places, auth_headers):
    admin = auth_headers(world.admin)
    assert _ids(client, admin, "Locations", f"geo.intersects(location, geography'{BOX}')") == [places["air"]]
    assert _ids(client, admin, "Locations", f"st_within(location, geography'{BOX}')") == [places["air"]]
    assert _ids(client, admin, "Locations", f"st_contains(geography'{BOX}', location)") == [places["air"]]
    assert _ids(client, admin, "Locations", f"st_disjoint(location, geography'{BOX}')") == [places["rain"],
                                                                                             places["park"]]
    inside_park = "POINT(112.91 28.11)"
    assert _ids(client, admin, "Locations", f"st_contains(location, geography'{inside_park}')") == [places["park"]]
    assert _ids(client, admin, "Locations", f"geo.intersects(location, geography'SRID=4490;{inside_park}')") == [
        places["park"]]
    near_rain = f"geography'POINT({RAIN_PT[0]} {RAIN_PT[1] + 0.001})'"
    assert _ids(client, admin, "Locations", f"geo.distance(location, {near_rain}) lt 0.01") == [places["rain"]]
    assert _ids(client, admin, "Locations", f"0.01 gt geo.distance(location, {near_rain})") == [places["rain"]]
    assert _ids(client, admin, "Locations", f"geo.distance(location, {near_rain}) ge 0.01") == [places["air"],
                                                                                                 places["park"]]
    assert _ids(client, admin, "Locations", f"st_relate(location, geography'{BOX}', 'T********')") == [
        places["air"]]
    both = f"geo.intersects(location, geography'{BOX}') or name eq '湘江雨量站'"
    assert _ids(client, admin, "Locations", both) == [places["air"], places["rain"]]
    assert _ids(client, admin, "Locations", f"not geo.intersects(location, geography'{BOX}')") == [
        places["rain"], places["park"]]


def test_things_datastreams_features_and_observations_by_place(client, db, world, places, auth_headers):
    pm25 = stream(db, world.air, "pm25")
    client.post("/api/v1/iot/ingest", headers=bearer(world.air.token),
                json={"datastream": pm25, "observations": [[hours_ago(2), 30], [hours_ago(1), 31]]})
    client.post("/api/v1/iot/ingest", headers=bearer(world.rain.token),
                json={"datastream": stream(db, world.rain, "rain"), "observations": [[hours_ago(1), 1.0]]})
    admin = auth_headers(world.admin)
    where = f"st_within(Locations/location, geography'{BOX}')"
    assert _ids(client, admin, "Things", where) == [world.air.thing.id]
    streams = _ids(client, admin, "Datastreams", f"geo.intersects(Thing/Locations/location, geography'{BOX}')")
    assert streams == sorted([pm25, stream(db, world.air, "o3")])
    features = _ids(client, admin, "FeaturesOfInterest", f"geo.intersects(feature, geography'{BOX}')")
    assert len(features) == 1
    observations = _ids(client, admin, "Observations", f"geo.intersects(FeatureOfInterest/feature, geography'{BOX}')"
                        " and result ge 31")
    assert len(observations) == 1
    # the same as Shapely says over every Location
    every = {loc.id: shape(loc.location) for loc in db.scalars(select(Location))}
    ring = shapely.from_wkt("POLYGON((112.80 28.00, 112.96 28.00, 112.96 28.25, 112.80 28.25, 112.80 28.00))")
    expected = sorted(i for i, g in every.items() if g.intersects(ring))
    assert _ids(client, admin, "Locations", f"geo.intersects(location, geography'{ring.wkt}')") == expected


def test_what_one_may_not_see_stays_unseen_and_bad_input_is_named(client, world, places, auth_headers):
    everywhere = "POLYGON((100 20, 120 20, 120 40, 100 40, 100 20))"
    assert _ids(client, {}, "Things", f"geo.intersects(Locations/location, geography'{everywhere}')") == [
        world.rain.thing.id]  # anonymous: the open rain gauge only
    admin = auth_headers(world.admin)
    for flt in ("geo.intersects(location, geography'POLYGON((1 2, 3')",
                "geo.intersects(name, geography'POINT(1 2)')",
                "geo.intersects(location, 'POINT(1 2)')",
                "geo.distance(location, geography'POINT(1 2)')",
                "geo.distance(location, geography'POINT(1 2)') lt 'far'",
                "st_relate(location, geography'POINT(1 2)', 'nonsense')",
                "st_within(location)"):
        refused = client.get(f"/sta/v1.1/Locations?$filter={quote(flt)}", headers=admin)
        assert refused.status_code == 400 and refused.json()["field"] == "$filter", (flt, refused.text)
    wrong_set = client.get("/sta/v1.1/Sensors?$filter=" + quote("geo.intersects(location, geography'POINT(1 2)')"),
                           headers=admin)
    assert wrong_set.status_code == 400 and "Sensors has no geometry" in wrong_set.json()["detail"]
