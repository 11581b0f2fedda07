"""SensorThings Create-Update-Delete by staff: a department's data officer creates a Thing deep with its Location and
Datastreams (inline Sensor and ObservedProperty), adds Observations through ingest, updates properties and results
(rollups follow), deletes an Observation and the Thing with what depends on it; every change audited. Another
department's officer, a plain user, an anonymous caller or a device token changes nothing; bad input is a 4xx
naming the field and nothing stored changes."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.iot.conftest import bearer, hours_ago, stream
from zhicheng.iot.models import Datastream, HourlyRollup, Location, Observation, Sensor, Thing
from zhicheng.policy.models import AuditEntry

MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"


def _thing_body(name: str = "岳麓山水位站") -> dict:
    return {"name": name, "description": "测试", "properties": {"code": "WL-900"},
            "Locations": [{"name": "岳麓山", "description": "", "encodingType": "application/geo+json",
                           "location": {"type": "Point", "coordinates": [112.93, 28.18]}}],
            "Datastreams": [{"name": "水位", "description": "水位", "observationType": MEASUREMENT,
                             "unitOfMeasurement": {"name": "米", "symbol": "m", "definition": "ucum:m"},
                             "properties": {"key": "level", "validMin": 0, "validMax": 100},
                             "Sensor": {"name": "雷达水位计", "description": "", "encodingType": "text/plain",
                                        "metadata": "radar"},
                             "ObservedProperty": {"name": "水位", "definition": "urn:test:water_level",
                                                  "description": ""}}]}


def _count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def test_an_officer_creates_updates_and_deletes_a_thing_and_its_data(client, db, world, auth_headers):
    officer = auth_headers(world.officer)
    made = client.post("/sta/v1.1/Things", headers=officer, json=_thing_body())
    assert made.status_code == 201, made.text
    thing_id = made.json()["@iot.id"]
    assert made.headers["location"].endswith(f"/sta/v1.1/Things({thing_id})")
    thing = db.get(Thing, thing_id)
    assert thing.department_id == world.officer.department_id and thing.code == "WL-900"
    streams = client.get(f"/sta/v1.1/Things({thing_id})/Datastreams?$expand=Sensor,ObservedProperty",
                         headers=officer).json()["value"]
    assert [(s["name"], s["Sensor"]["metadata"], s["ObservedProperty"]["definition"]) for s in streams] == [
        ("水位", "radar", "urn:test:water_level")]
    ds = streams[0]["@iot.id"]
    loc = client.get(f"/sta/v1.1/Things({thing_id})/Locations", headers=officer).json()["value"]
    assert loc[0]["location"]["coordinates"] == [112.93, 28.18]
    assert client.get(f"/sta/v1.1/Things({thing_id})/HistoricalLocations", headers=officer).json()["value"]

    at = hours_ago(2)
    obs = client.post(f"/sta/v1.1/Datastreams({ds})/Observations", headers=officer,
                      json={"phenomenonTime": at, "result": 3.5})
    assert obs.status_code == 201, obs.text
    other = client.post("/sta/v1.1/Observations", headers=officer,
                        json={"phenomenonTime": hours_ago(1), "result": 4.0, "Datastream": {"@iot.id": ds}})
    assert other.status_code == 201
    bad = client.post("/sta/v1.1/Observations", headers=officer,
                      json={"phenomenonTime": hours_ago(3), "result": 500, "Datastream": {"@iot.id": ds}})
    assert bad.status_code == 422 and bad.json()["field"] == "out_of_range"
    obs_id = obs.json()["@iot.id"]

    renamed = client.patch(f"/sta/v1.1/Things({thing_id})", headers=officer, json={"name": "岳麓山水位站（新）"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "岳麓山水位站（新）"
    assert client.patch(f"/sta/v1.1/Observations({obs_id})", headers=officer,
                        json={"result": 5.5}).json()["result"] == 5.5
    db.expire_all()
    assert db.scalar(select(HourlyRollup.sum).where(HourlyRollup.datastream_id == ds)
                     .order_by(HourlyRollup.bucket)) == 5.5  # the rollup follows the new result
    patched = client.patch(f"/sta/v1.1/Things({thing_id})", headers={**officer, "Content-Type":
                           "application/json-patch+json"}, content=json.dumps([
                               {"op": "add", "path": "/properties/river", "value": "湘江"},
                               {"op": "replace", "path": "/description", "value": "JSON Patch"}]))
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"] == {"code": "WL-900", "river": "湘江"}
    assert patched.json()["description"] == "JSON Patch"
    unappliable = client.patch(f"/sta/v1.1/Things({thing_id})", headers={**officer, "Content-Type":
                               "application/json-patch+json"}, content=json.dumps([
                                   {"op": "remove", "path": "/nothing"}]))
    assert unappliable.status_code == 422 and unappliable.json()["field"] == "body"
    moved = client.patch(f"/sta/v1.1/Locations({loc[0]['@iot.id']})", headers=officer,
                         json={"location": {"type": "Point", "coordinates": [112.94, 28.19]}})
    assert moved.json()["location"]["coordinates"] == [112.94, 28.19]

    assert client.delete(f"/sta/v1.1/Observations({obs_id})", headers=officer).status_code == 200
    assert client.get(f"/sta/v1.1/Observations({obs_id})", headers=officer).status_code == 404
    assert _count(db, HourlyRollup) == 1  # the emptied hour is gone, the other stays
    foi = client.get(f"/sta/v1.1/Observations({other.json()['@iot.id']})/FeatureOfInterest", headers=officer).json()
    assert client.delete(f"/sta/v1.1/FeaturesOfInterest({foi['@iot.id']})", headers=officer).status_code == 200
    assert _count(db, Observation) == 0 and _count(db, HourlyRollup) == 0  # its Observations and their rollups
    assert client.delete(f"/sta/v1.1/Things({thing_id})", headers=officer).status_code == 200
    assert db.get(Thing, thing_id) is None and _count(db, Observation) == 0
    assert db.scalar(select(func.count()).select_from(Datastream).where(Datastream.id == ds)) == 0
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("iot.sta.%"))))
    assert {"iot.sta.create", "iot.sta.update", "iot.sta.delete"} <= actions


def test_sensors_properties_features_and_datastreams_one_by_one(client, db, world, auth_headers):
    officer = auth_headers(world.officer)
    sensor = client.post("/sta/v1.1/Sensors", headers=officer, json={
        "name": "颗粒物监测仪", "description": "", "encodingType": "application/pdf", "metadata": "http://x/pm.pdf"})
    assert sensor.status_code == 201, sensor.text
    prop = client.post("/sta/v1.1/ObservedProperties", headers=officer, json={
        "name": "PM10", "definition": "urn:test:pm10", "description": ""})
    assert prop.status_code == 201
    again = client.post("/sta/v1.1/ObservedProperties", headers=officer, json={
        "name": "PM10", "definition": "urn:test:pm10", "description": ""})
    assert again.status_code == 409 and again.json()["field"] == "definition"
    ds = client.post("/sta/v1.1/Datastreams", headers=officer, json={
        "name": "PM10", "description": "", "observationType": MEASUREMENT,
        "unitOfMeasurement": {"name": "微克每立方米", "symbol": "μg/m³", "definition": "ucum:ug/m3"},
        "Thing": {"@iot.id": world.air.thing.id}, "Sensor": {"@iot.id": sensor.json()["@iot.id"]},
        "ObservedProperty": {"@iot.id": prop.json()["@iot.id"]}})
    assert ds.status_code == 201, ds.text
    assert ds.json()["properties"]["key"] == "pm10"
    foi = client.post("/sta/v1.1/FeaturesOfInterest", headers=officer, json={
        "name": "五一广场", "description": "", "encodingType": "application/geo+json",
        "feature": {"type": "Point", "coordinates": [112.98, 28.19]}})
    assert foi.status_code == 201
    # the device itself still writes with its token, into the new datastream too
    pm10 = stream(db, world.air, "pm10")
    sent = client.post("/api/v1/iot/ingest", headers=bearer(world.air.token),
                       json={"datastream": "pm10", "observations": [[hours_ago(1), 20]]})
    assert sent.json()["stored"] == 1
    assert client.patch(f"/sta/v1.1/Sensors({sensor.json()['@iot.id']})", headers=officer,
                        json={"metadata": "http://x/pm-v2.pdf"}).json()["metadata"] == "http://x/pm-v2.pdf"
    assert client.delete(f"/sta/v1.1/Sensors({sensor.json()['@iot.id']})", headers=officer).status_code == 200
    assert db.get(Datastream, pm10) is None and _count(db, Observation) == 0  # a Sensor's Datastreams go with it


def test_who_may_not_changes_nothing_and_bad_input_is_named(client, db, world, auth_headers):
    officer, other = auth_headers(world.officer), auth_headers(world.other_officer)
    staff = auth_headers(world.staff)
    before = (_count(db, Thing), _count(db, Location), _count(db, Sensor))
    air, rain = world.air.thing.id, world.rain.thing.id
    assert client.post("/sta/v1.1/Things", headers=staff, json=_thing_body()).status_code == 403
    # no login, or a device's token: refused (the CSRF check answers first, as on every staff route)
    assert client.post("/sta/v1.1/Things", json=_thing_body()).status_code in (401, 403)
    assert client.post("/sta/v1.1/Things", headers=bearer(world.air.token), json=_thing_body()).status_code in (
        401, 403)
    assert client.patch(f"/sta/v1.1/Things({air})", headers=other, json={"name": "x"}).status_code == 404  # unseen
    assert client.patch(f"/sta/v1.1/Things({rain})", headers=officer, json={"name": "x"}).status_code == 403  # open
    assert client.delete(f"/sta/v1.1/Things({rain})", headers=officer).status_code == 403
    assert client.delete(f"/sta/v1.1/Things({air})", headers=staff).status_code == 403
    pm25 = stream(db, world.rain, "rain")
    assert client.post("/sta/v1.1/Observations", headers=officer, json={
        "phenomenonTime": hours_ago(1), "result": 1, "Datastream": {"@iot.id": pm25}}).status_code == 403
    for body, field in ((({**_thing_body(), "name": None}), "name"),
                        ({**_thing_body(), "Locations": [{"name": "x", "location": {"type": "Point"}}]}, "location"),
                        ({**_thing_body(), "Datastreams": [{**_thing_body()["Datastreams"][0],
                                                            "observationType": "nonsense"}]}, "observationType"),
                        ({**_thing_body(), "properties": {"code": "AIR-001"}}, "properties.code")):
        refused = client.post("/sta/v1.1/Things", headers=officer, json=body)
        assert refused.status_code in (409, 422) and refused.json()["field"] == field, refused.text
    wrong = client.patch(f"/sta/v1.1/Things({air})", headers=officer, json={"code": "x"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "code"
    nan = client.patch(f"/sta/v1.1/Things({air})", headers=officer, json={"name": ""})
    assert nan.status_code == 422
    assert (_count(db, Thing), _count(db, Location), _count(db, Sensor)) == before
    assert db.get(Thing, air).name == "五一广场空气站"
