"""The calculators' API: open to a visitor and to a logged-in user alike, problem+json naming the field for bad
input, never a 5xx whatever the body."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

AQI = "/api/v1/environment/aqi"
WATER = "/api/v1/environment/water-class"
NOISE = "/api/v1/environment/noise"


def test_a_visitor_gets_an_hourly_report(client):
    r = client.post(AQI, json={"kind": "hour", "so2": 6, "no2": 66, "co": 1.0, "o3": 34, "pm10": 55, "pm25": 39})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["aqi"] == 55 and body["primary_pollutants"] == ["pm25"] and body["category"] == "良"
    assert body["level"] == 2 and body["level_name"] == "二级" and body["rgb"] == [255, 255, 0]
    assert body["hex"] == "#FFFF00" and body["advice"] == "极少数异常敏感人群应减少户外活动"
    assert body["pollutants"]["co"] == {
        "pollutant": "co", "name": "一氧化碳", "name_en": "CO", "column": "co_1h", "averaging": "1h",
        "unit": "mg/m³", "concentration": 1.0, "used": 1.0, "iaqi": 10, "above_table": False, "note": None,
        "note_en": None}
    assert body["pollutants"]["pm25"]["concentration"] == 39  # an integer stays one
    assert body["missing"] == [] and body["exceedances"] == [] and body["standard"] == "HJ 633-2012"


def test_a_daily_report_with_a_missing_pollutant(client):
    r = client.post(AQI, json={"kind": "day", "pm25": 155, "pm10": 171, "no2": 85, "o3_1h": 72, "o3_8h": 50})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["aqi"] == 205 and body["category"] == "重度污染" and body["primary_pollutant_names"] == ["细颗粒物(PM2.5)"]
    assert body["missing"] == ["so2", "co"] and body["exceedances"] == ["pm25", "pm10", "no2"]


def test_logged_in_users_get_the_same_answer(client, make_user, auth_headers, login):
    user = make_user("env_reader")
    bearer = client.post(AQI, json={"pm25": 80}, headers=auth_headers(user))
    assert bearer.status_code == 200 and bearer.json()["aqi"] == 107
    login(client, user)  # a session cookie: no CSRF token needed to compute (nothing is changed)
    by_cookie = client.post(AQI, json={"pm25": 80})
    assert by_cookie.status_code == 200 and by_cookie.json() == bearer.json()
    assert client.post(NOISE, json={"zone": "2", "leq": 55, "period": "night"}).json()["exceedance_db"] == 5


def test_water_and_noise(client):
    w = client.post(WATER, json={"ph": 7.4, "do": 6.8, "codmn": 3.1, "nh3n": 1.62, "tp": 0.11, "target": "III"})
    assert w.status_code == 200, w.text
    assert w.json()["water_class"] == "V" and w.json()["deciding"] == ["nh3n"] and w.json()["exceeding"] == ["nh3n"]
    lake = client.post(WATER, json={"water_body": "lake", "tp": 0.08, "target": None}).json()
    assert lake["water_class"] == "IV" and lake["meets_target"] is None
    n = client.post(NOISE, json={"zone": "4a", "leq": 58.1, "time": "23:30", "lmax": 72})
    assert n.status_code == 200, n.text
    assert n.json()["period"] == "night" and n.json()["exceedance_db"] == pytest.approx(3.1)
    assert n.json()["lmax_compliant"] is False


@pytest.mark.parametrize(("path", "body", "field"), [
    (AQI, {"pm25": -5}, "pm25"), (AQI, {"kind": "week", "pm25": 5}, "kind"), (AQI, {"kind": "day", "o3": 40}, "o3"),
    (AQI, {"pm25": "abc"}, "pm25"), (AQI, {"pm26": 4}, "pm26"), (AQI, {"pm25": 10 ** 400}, "pm25"),
    (AQI, {"so2": 900}, "so2_24h"), (WATER, {"do": -1}, "do"), (WATER, {"ph": 7, "target": "VI"}, "target"),
    (WATER, {"ph": 7, "water_body": "sea"}, "water_body"), (NOISE, {"zone": "4", "leq": 60, "period": "day"}, "zone"),
    (NOISE, {"zone": "2", "period": "day"}, "leq"), (NOISE, {"zone": "2", "leq": 50}, "period"),
    (NOISE, {"zone": "2", "leq": 50, "time": "25:61"}, "time"),
])
def test_bad_input_is_problem_json_naming_the_field(client, path, body, field):
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field and r.json()["status"] == 422 and r.json()["detail"]


def test_nan_and_nothing(client):
    nan = client.post(AQI, content=b'{"pm25": NaN}', headers={"content-type": "application/json"})
    assert nan.status_code == 422 and nan.json()["field"] == "pm25" and nan.json()["code"] == "not_finite"
    empty = client.post(AQI, json={})
    assert empty.status_code == 422 and empty.json()["code"] == "no_pollutant"
    assert {e["field"] for e in empty.json()["errors"]} == {"so2", "no2", "co", "o3", "pm10", "pm25"}
    english = client.post(AQI + "?lang=en", json={"pm25": -1})
    assert english.json()["detail"] == "PM2.5 (pm25) cannot be negative: -1.0"
    assert client.post(AQI, content=b"{", headers={"content-type": "application/json"}).status_code == 422


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                      max_size=3), max_leaves=6)
BODIES = st.dictionaries(st.sampled_from(["kind", "so2", "no2", "co", "o3", "pm10", "pm25", "so2_24h", "o3_1h",
                                          "o3_8h", "zone", "leq", "period", "time", "lmax", "ph", "do", "tp",
                                          "water_body", "target", "x"]), JSONISH, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from([AQI, WATER, NOISE]), body=BODIES)
def test_no_body_makes_a_server_error(client, path, body):
    r = client.post(path, content=json.dumps(body, allow_nan=True).encode(),
                    headers={"content-type": "application/json"})
    assert r.status_code in (200, 422), (r.status_code, r.text)
    if r.status_code == 422:
        assert r.headers["content-type"].startswith("application/problem+json")


def test_the_calculators_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (AQI, WATER, NOISE):
        assert "post" in paths[path]
    assert paths[AQI]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("AqiRequest")
