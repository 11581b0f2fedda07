"""Devices send observations over HTTP with their own token: SensorThings POST Observations (by Datastream link or
path), the Data Array extension and a plain JSON batch. A repeat is accepted and stored once; bad values are
quarantined with a reason while the rest is stored; another device's datastream, an unknown token, an oversized or
malformed body are refused and nothing is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.iot.conftest import bearer, hours_ago, stream
from zhicheng.iot.models import Datastream, FeatureOfInterest, Observation, Quarantined, Thing


def _count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Observation))


def test_a_batch_is_stored_once_and_bad_values_are_quarantined(client, db, world):
    pm25 = stream(db, world.air, "pm25")
    future = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    three, two = hours_ago(3), hours_ago(2)
    body = {"datastream": pm25, "observations": [
        [three, 35], [two, 36.5], [hours_ago(1), 2000], [hours_ago(0.5), "high"],
        [future, 10], ["yesterday", 1], [hours_ago(0.25), float("nan")], [1]]}
    answer = client.post("/api/v1/iot/ingest", headers={**bearer(world.air.token), "Content-Type": "application/json"},
                         content=_json(body))
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert (out["stored"], out["duplicates"], out["quarantined"]) == (2, 0, 6)
    assert [r["reason"] for r in out["refused"]] == ["out_of_range", "wrong_type", "future_time", "bad_time",
                                                     "not_finite", "malformed"]
    again = client.post("/api/v1/iot/ingest", headers=bearer(world.air.token),
                        json={"datastream": "pm25", "observations": [[three, 35], [two, 36.5]]})
    assert again.json()["stored"] == 0 and again.json()["duplicates"] == 2 and again.json()["ids"] == out["ids"]
    assert _count(db) == 2
    rows = db.scalars(select(Quarantined).order_by(Quarantined.id)).all()
    assert len(rows) == 6 and rows[0].thing_id == world.air.thing.id and rows[0].datastream_id == pm25
    assert rows[4].payload[1] == "nan" and rows[0].channel == "batch"
    thing = db.get(Thing, world.air.thing.id)
    assert thing.last_seen is not None
    ds = db.get(Datastream, pm25)
    assert ds.phenomenon_time_start < ds.phenomenon_time_end
    assert db.scalar(select(func.count()).select_from(FeatureOfInterest)) == 1  # made from the Thing's Location


def _json(body) -> str:
    import json

    return json.dumps(body)  # NaN written as the literal devices send


def test_sensorthings_create_observation_by_link_by_path_and_data_array(client, db, world):
    pm25, o3 = stream(db, world.air, "pm25"), stream(db, world.air, "o3")
    token = bearer(world.air.token)
    five = hours_ago(5)
    one = client.post("/sta/v1.1/Observations", headers=token,
                      json={"phenomenonTime": five, "result": 40, "Datastream": {"@iot.id": pm25}})
    assert one.status_code == 201, one.text
    assert one.headers["location"].endswith(f"/Observations({one.json()['@iot.id']})")
    same = client.post(f"/sta/v1.1/Datastreams({pm25})/Observations", headers=token,
                       json={"phenomenonTime": five, "result": 40})
    assert same.status_code == 201 and same.headers["location"] == one.headers["location"]
    bad = client.post(f"/sta/v1.1/Datastreams({pm25})/Observations", headers=token,
                      json={"phenomenonTime": hours_ago(4), "result": -1})
    assert bad.status_code == 400 and bad.json()["code"] == "quarantined" and bad.json()["field"] == "out_of_range"
    arrays = client.post("/sta/v1.1/CreateObservations", headers=token, json=[
        {"Datastream": {"@iot.id": o3}, "components": ["phenomenonTime", "result"],
         "dataArray": [[hours_ago(3), 80], [hours_ago(2), 81], [hours_ago(1), 5000]]}])
    assert arrays.status_code == 201
    links = arrays.json()
    assert links[0].startswith("http") and "/Observations(" in links[1] and links[2] == "error"
    assert _count(db) == 3
    truth = stream(db, world.rain, "door_open")
    assert client.post(f"/sta/v1.1/Datastreams({truth})/Observations", headers=bearer(world.rain.token),
                       json={"phenomenonTime": hours_ago(1), "result": True}).status_code == 201
    assert client.post(f"/sta/v1.1/Datastreams({truth})/Observations", headers=bearer(world.rain.token),
                       json={"phenomenonTime": hours_ago(2), "result": 1}).json()["field"] == "wrong_type"


def test_another_devices_datastream_unknown_streams_and_tokens(client, db, world):
    rain = stream(db, world.rain, "rain")
    token = bearer(world.air.token)
    theirs = client.post("/api/v1/iot/ingest", headers=token, json={"datastream": rain, "observations": [
        [hours_ago(1), 1.5]]})
    assert theirs.status_code == 403 and theirs.json()["code"] == "not_your_datastream"
    mixed = client.post("/sta/v1.1/CreateObservations", headers=token, json=[
        {"Datastream": {"@iot.id": stream(db, world.air, "pm25")}, "components": ["phenomenonTime", "result"],
         "dataArray": [[hours_ago(1), 1]]},
        {"Datastream": {"@iot.id": rain}, "components": ["phenomenonTime", "result"], "dataArray": [[hours_ago(1), 1]]}])
    assert mixed.status_code == 403
    unknown = client.post("/api/v1/iot/ingest", headers=token, json={"datastream": 99999, "observations": [
        [hours_ago(1), 1]]})
    assert unknown.status_code == 200 and unknown.json()["refused"][0]["reason"] == "unknown_datastream"
    assert client.post("/api/v1/iot/ingest", headers=bearer("zcd_nope"), json={}).status_code == 401
    missing = client.post("/api/v1/iot/ingest", json={"datastream": rain, "observations": []})
    assert missing.status_code == 401 and missing.json()["code"] == "device_token_required"
    assert _count(db) == 0


def test_malformed_and_oversized_bodies_are_refused(client, db, world):
    token = {**bearer(world.air.token), "Content-Type": "application/json"}
    broken = client.post("/api/v1/iot/ingest", headers=token, content=b'{"datastream": 1, "observations": [')
    assert broken.status_code == 400 and broken.headers["content-type"].startswith("application/problem+json")
    assert broken.json()["field"] == "body"
    shape = client.post("/api/v1/iot/ingest", headers=token, content=b'{"datastream": 1, "observations": 5}')
    assert shape.status_code == 400 and shape.json()["field"] == "observations"
    no_result = client.post("/sta/v1.1/Observations", headers=token,
                            content=b'{"phenomenonTime": "2026-01-01T00:00:00Z", "Datastream": {"@iot.id": 1}}')
    assert no_result.status_code == 400 and no_result.json()["field"] == "result"
    huge = b'{"datastream": 1, "observations": [' + b"[0, 1]," * 400_000 + b"[0, 1]]}"
    too_large = client.post("/api/v1/iot/ingest", headers=token, content=huge)
    assert too_large.status_code == 413
    assert _count(db) == 0
