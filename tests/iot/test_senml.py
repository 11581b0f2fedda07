"""A device sends SenML JSON (RFC 8428): base name, time and unit are applied, relative times count back from now,
records find the device's datastreams by name, and a wrong unit, NaN, a far-future time or a malformed record is
quarantined with its reason while the rest is stored; a malformed pack, another device's datastream, a wrong media
type or no token is refused and nothing is stored."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.iot.conftest import bearer, stream
from zhicheng.iot import senml
from zhicheng.iot.models import Observation, Quarantined

SENML = {"Content-Type": senml.MEDIA_TYPE}
NOW = 1_765_000_000.0


def _post(client, token: str, pack) -> object:
    return client.post("/api/v1/iot/ingest/senml", headers={**bearer(token), **SENML}, content=json.dumps(pack))


def _observations(db) -> list[Observation]:
    db.expire_all()
    return list(db.scalars(select(Observation).order_by(Observation.phenomenon_time)))


def _at(o: Observation) -> float:
    return o.phenomenon_time.replace(tzinfo=UTC).timestamp()


def test_the_rfc_resolution_of_base_fields_and_relative_times():
    pack = [{"bn": "urn:dev:ow:10e2073a01080063:", "bt": 1.320067464e9, "bu": "%RH", "v": 20},
            {"u": "lon", "v": 24.30621}, {"n": "temp", "u": "Cel", "t": 60, "v": 23.1},
            {"bn": "dev2:", "bt": -10, "bv": 100, "n": "level", "v": 5}, {"n": "flag", "vb": True},
            {"n": "label", "vs": "正常", "t": -5}, {"n": "blob", "vd": "aGk"}, {"n": "rain", "s": 3.5, "bs": 1}]
    records = senml.resolve(pack, NOW)
    assert [r.name for r in records] == ["urn:dev:ow:10e2073a01080063:", "urn:dev:ow:10e2073a01080063:",
                                         "urn:dev:ow:10e2073a01080063:temp", "dev2:level", "dev2:flag",
                                         "dev2:label", "dev2:blob", "dev2:rain"]
    assert [r.unit for r in records][:4] == ["%RH", "lon", "Cel", "%RH"]
    assert [r.time for r in records][:3] == [1.320067464e9, 1.320067464e9, 1.320067464e9 + 60]
    assert records[3].time == NOW - 10 and records[5].time == NOW - 15  # relative to now (below 2**28)
    assert [r.value for r in records[3:]] == [105, True, "正常", "aGk", 4.5]
    assert not any(r.malformed for r in records[1:])  # the first has an empty own name but a full name: fine


@pytest.mark.parametrize(("pack", "field"), [
    ({"n": "pm25", "v": 1}, "body"), ([], "body"), ([1], "[0]"), ([{"n": "pm25", "v": 1, "x_": 1}], "[0].x_"),
    ([{"bver": 99, "n": "pm25", "v": 1}], "[0].bver"), ([{"bn": 5, "n": "pm25", "v": 1}], "[0].bn"),
    ([{"n": "pm25", "v": 1}, {"bt": "now", "n": "pm25", "v": 1}], "[1].bt"),
])
def test_a_malformed_pack_is_refused_whole(pack, field):
    with pytest.raises(senml.BadPack) as caught:
        senml.resolve(pack, NOW)
    assert caught.value.field == field


def test_malformed_records_are_marked():
    records = senml.resolve([{"n": "pm25"}, {"n": "pm25", "v": 1, "vs": "x"}, {"n": "pm 25", "v": 1},
                             {"n": "pm25", "v": "1"}, {"n": "pm25", "vd": "***"}, {"n": 3, "v": 1},
                             {"n": "pm25", "t": "0", "v": 1}, {"n": "pm25", "v": 1}], NOW)
    assert [bool(r.malformed) for r in records] == [True] * 7 + [False]
    assert records[0].malformed == "no value (v, vs, vb, vd or s)"


def test_a_pack_is_stored_by_name_with_its_units_checked(client, db, world):
    pm25, o3 = stream(db, world.air, "pm25"), stream(db, world.air, "o3")
    before = datetime.now(UTC).timestamp()
    pack = [{"bn": "AIR-001:", "bt": -7200, "bu": "ug/m3", "n": "pm25", "v": 35},
            {"n": "pm25", "t": 3600, "v": 36.5},
            {"n": "o3", "t": 3600, "v": 80},
            {"n": "o3", "u": "mg/m3", "t": 1800, "v": 0.08},  # not the datastream's unit
            {"n": "pm25", "t": 1800, "v": float("nan")},
            {"n": "pm25", "bt": 4.0e9, "t": 0, "v": 1},  # year 2096
            {"n": "pm25", "bt": -60, "t": 0, "v": "high"},  # v must be a number
            {"n": "no2", "t": 0, "v": 1}]  # the device has no such datastream
    answer = _post(client, world.air.token, pack)
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert (out["stored"], out["duplicates"], out["quarantined"]) == (3, 0, 5)
    assert [r["reason"] for r in out["refused"]] == ["wrong_unit", "not_finite", "future_time", "malformed",
                                                     "unknown_datastream"]
    stored = _observations(db)
    assert [(o.datastream_id, o.result_number) for o in stored] == [(pm25, 35), (pm25, 36.5), (o3, 80)]
    after = datetime.now(UTC).timestamp()
    assert before - 7200 - 1 <= _at(stored[0]) <= after - 7200 + 1
    assert math.isclose(_at(stored[2]) - _at(stored[0]), 3600, abs_tol=1e-3)
    rows = db.scalars(select(Quarantined).order_by(Quarantined.id)).all()
    assert [r.channel for r in rows] == ["senml"] * 5 and rows[0].payload["u"] == "mg/m3"
    assert rows[1].payload["v"] == "nan" and rows[4].datastream_ref == "AIR-001:no2"
    # relative times move with the clock; the same instant sent again (absolute) is stored once
    again = _post(client, world.air.token, [{"bn": "AIR-001:", "bt": _at(stored[0]), "n": "pm25", "v": 35}])
    assert again.json()["duplicates"] == 1 and again.json()["ids"] == [stored[0].id] and len(_observations(db)) == 3


def test_truth_values_and_the_code_as_the_name(client, db, world):
    door, rain = stream(db, world.rain, "door_open"), stream(db, world.rain, "rain")
    pack = [{"bt": -600, "n": "RAIN-001/door_open", "vb": False}, {"n": "RAIN-001.rain", "u": "mm", "v": 1.5},
            {"n": "door_open", "t": 300, "v": 1}]  # a number for a truth datastream
    out = _post(client, world.rain.token, pack).json()
    assert out["stored"] == 2 and [r["reason"] for r in out["refused"]] == ["wrong_type"]
    assert {(o.datastream_id, o.result_json, o.result_number) for o in _observations(db)} == {
        (door, False, None), (rain, None, 1.5)}


def test_refused_requests_store_nothing(client, db, world):
    good = [{"n": "pm25", "bt": -60, "v": 1}]
    assert _post(client, world.air.token, {"n": "pm25", "v": 1}).json()["field"] == "body"
    bad = client.post("/api/v1/iot/ingest/senml", headers={**bearer(world.air.token), **SENML}, content=b"[{")
    assert bad.status_code == 400 and bad.json()["code"] == "malformed_json"
    other = _post(client, world.air.token, [{"bn": "RAIN-001:", "bt": -60, "n": "rain", "v": 1}])
    assert other.status_code == 403 and other.json()["code"] == "not_your_datastream"
    wrong_type = client.post("/api/v1/iot/ingest/senml", headers={**bearer(world.air.token),
                                                                   "Content-Type": "text/plain"},
                             content=json.dumps(good))
    assert wrong_type.status_code == 415 and wrong_type.json()["field"] == "Content-Type"
    assert client.post("/api/v1/iot/ingest/senml", headers=SENML, content=json.dumps(good)).status_code == 401
    assert _post(client, "zcd_" + "0" * 43, good).status_code == 401
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Observation)) == 0
    assert db.scalar(select(func.count()).select_from(Quarantined)) == 0
    assert _post(client, world.air.token, good).json()["stored"] == 1  # the device itself was never blocked
