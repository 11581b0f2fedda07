"""The flood API over real ingested observations: rain accumulations and classes, levels against 警戒/保证水位 with
their trend, waterlogging grades; the IoT visibility rule (open devices to all, a department its own), one audit
entry a read, the thresholds set by the owning department only, and bad input as problem+json naming the field."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.scenarios.flood.conftest import send
from zhicheng.policy.models import AuditEntry as AuditLog

H = timedelta(hours=1)
M5 = timedelta(minutes=5)


def _at(flood) -> dict:
    return {"at": flood.end.isoformat()}


def _rain_day(db, flood):
    """5-minute rain at the open gauge: 0.5 mm every 5 minutes in the last hour (6 mm), 1 mm every 5 minutes in the
    two hours before (24 mm), 0.2 mm every 5 minutes from 24 h to 3 h before (0.2 × 12 × 21 = 50.4 mm); one value
    exactly 24 h before the end (outside (end − 24 h, end]) and one after the end (not yet counted)."""
    pts = [(flood.end - k * M5, 0.5) for k in range(12)]
    pts += [(flood.end - H - k * M5, 1.0) for k in range(24)]
    pts += [(flood.end - 3 * H - k * M5, 0.2) for k in range(12 * 21)]
    pts += [(flood.end - 24 * H, 9.0), (flood.end + M5, 9.0)]
    send(db, flood.gauge, "precipitation_5min", pts)
    # hourly data at the closed gauge: 21 mm in the last hour, 4 mm in each of the 3 before
    send(db, flood.hourly_gauge, "precipitation_1h", [(flood.end, 21.0)] + [(flood.end - k * H, 4.0) for k in (1, 2, 3)])


def test_rain_accumulations_and_classes_at_the_gauges(client, db, flood, login):
    _rain_day(db, flood)
    login(client, flood.staff)
    body = client.get("/api/v1/flood/rain", params=_at(flood)).json()
    gauges = {g["code"]: g for g in body["gauges"]}
    fine = gauges["RG-001"]
    assert {w: fine["accumulations"][w]["mm"] for w in body["windows"]} == {
        "1h": 6.0, "3h": 30.0, "6h": 37.2, "12h": 51.6, "24h": 80.4}
    assert fine["accumulations"]["1h"]["observations"] == 12 and fine["datastream"] == "precipitation_5min"
    assert fine["classes"]["24h"]["class"]["name"] == "暴雨"  # 80.4 in 24 h: 50.0–99.9
    assert fine["classes"]["12h"]["class"]["name"] == "暴雨"  # 51.6 in 12 h: 30.0–69.9
    assert fine["class"]["name"] == "暴雨" and fine["class"]["colour"] == "#0000fe"
    assert fine["classes"]["1h"]["class"]["name"] == "中雨" and not fine["short_duration_heavy"]
    assert fine["position"] == [112.93, 28.18] and fine["description"] == "测试数据 / test data"
    hourly = gauges["RG-002"]
    assert hourly["datastream"] == "precipitation_1h" and hourly["accumulations"]["1h"]["mm"] == 21.0
    assert hourly["accumulations"]["24h"]["mm"] == 33.0 and hourly["short_duration_heavy"]
    assert hourly["classes"]["1h"]["class"]["name"] == "暴雨" and hourly["classes"]["24h"]["class"]["name"] == "大雨"
    assert hourly["class"]["name"] == "暴雨"  # 33.0 in 12 h (30.0–69.9) is worse than 33.0 in 24 h (25.0–49.9)


def test_each_reader_sees_what_the_iot_rule_allows_and_each_read_is_audited(client, db, flood, login):
    _rain_day(db, flood)
    anonymous = client.get("/api/v1/flood/rain", params=_at(flood))
    assert anonymous.status_code == 200 and [g["code"] for g in anonymous.json()["gauges"]] == ["RG-001"]
    assert client.get("/api/v1/flood/levels").json()["stations"] == []  # the level station is not open
    assert [p["code"] for p in client.get("/api/v1/flood/waterlogging").json()["points"]] == ["WD-001"]
    login(client, flood.outsider)  # another department's staff: the open ones only
    assert [g["code"] for g in client.get("/api/v1/flood/rain").json()["gauges"]] == ["RG-001"]
    login(client, flood.staff)
    assert [g["code"] for g in client.get("/api/v1/flood/rain").json()["gauges"]] == ["RG-001", "RG-002"]
    assert [s["code"] for s in client.get("/api/v1/flood/levels").json()["stations"]] == ["WL-001"]
    db.expire_all()
    actions = [a for a in db.scalars(select(AuditLog.action).order_by(AuditLog.seq)) if a.startswith("flood.")]
    assert actions == ["flood.rain.read", "flood.levels.read", "flood.waterlogging.read", "flood.rain.read",
                       "flood.rain.read", "flood.levels.read"]


def test_levels_against_warning_and_guaranteed_levels_with_the_trend(client, db, flood, login):
    # rising 10 cm an hour for 3 hours to 36.30 m: 0.30 m over the warning level (36.00), 2.07 m under 38.37
    send(db, flood.level, "water_level", [(flood.end - k * M5, round(36.30 - 0.1 * k / 12, 4)) for k in range(37)])
    login(client, flood.staff)
    station = client.get("/api/v1/flood/levels", params=_at(flood)).json()["stations"][0]
    assert station["level_m"] == 36.3 and station["warning_level_m"] == 36.0 and station["guarantee_level_m"] == 38.37
    assert station["over_warning_m"] == 0.3 and station["over_guarantee_m"] == -2.07
    assert station["state"] == "above_warning" and station["state_name"] == "超警戒"
    assert station["trend"]["direction"] == "rising" and station["trend"]["rate_cm_per_h"] == 10.0
    assert station["trend"]["name"] == "涨" and station["observed_at"].endswith("+08:00")  # Beijing time
    # four hours later nothing new came: the last value still stands, but no trend is read from nothing
    later = {"at": (flood.end + 4 * H).isoformat()}
    station = client.get("/api/v1/flood/levels", params=later).json()["stations"][0]
    assert station["level_m"] == 36.3 and station["trend"] is None
    # an hour later the river is over its guaranteed level: 超保证
    send(db, flood.level, "water_level", [(flood.end + H, 38.5)])
    station = client.get("/api/v1/flood/levels", params={"at": (flood.end + H).isoformat()}).json()["stations"][0]
    assert station["state"] == "above_guarantee" and station["over_guarantee_m"] == 0.13


def test_the_owning_department_sets_the_thresholds(client, db, flood, login):
    url = f"/api/v1/flood/levels/{flood.level.thing.id}/thresholds"
    csrf = login(client, flood.outsider)
    refused = client.put(url, json={"warning_level": 35, "guarantee_level": 37}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 404  # not even visible to another department
    csrf = login(client, flood.officer)
    bad = client.put(url, json={"warning_level": 37, "guarantee_level": 35}, headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422 and bad.json()["field"] == "guarantee_level"
    ok = client.put(url, json={"warning_level": 35.5, "guarantee_level": None}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json() == {"warning_level": 35.5, "guarantee_level": None}
    not_a_level = client.put(f"/api/v1/flood/levels/{flood.gauge.thing.id}/thresholds",
                             json={"warning_level": 1, "guarantee_level": 2}, headers={"X-CSRF-Token": csrf})
    assert not_a_level.status_code == 422 and not_a_level.json()["field"] == "thing_id"
    db.expire_all()
    assert db.scalar(select(AuditLog.action).where(AuditLog.action == "iot.device.properties").limit(1))


def test_a_level_written_as_text_through_sensorthings_shows_as_unset_and_keeps_the_device_type(client, db, flood,
                                                                                                  login):
    send(db, flood.level, "water_level", [(flood.end, 36.3)])
    csrf = login(client, flood.officer)
    thing = f"/sta/v1.1/Things({flood.level.thing.id})"
    patched = client.patch(thing, json={"properties": {"warning_level": "high", "deviceType": "x"}},
                           headers={"X-CSRF-Token": csrf})
    assert patched.status_code == 200, patched.text
    station = client.get("/api/v1/flood/levels", params=_at(flood)).json()["stations"][0]
    assert station["state"] == "no_thresholds" and station["warning_level_m"] is None
    assert client.get("/flood").status_code == 200
    assert client.get(thing).json()["properties"]["deviceType"] == "water_level_station"


def test_waterlogging_depth_grade_and_trend(client, db, flood):
    send(db, flood.logging, "water_depth", [(flood.end - k * M5, 30.0 - k) for k in range(13)])
    point = client.get("/api/v1/flood/waterlogging", params=_at(flood)).json()["points"][0]
    assert point["depth_cm"] == 30.0 and point["grade"] == "no_cars" and point["grade_name"] == "严重积水，小型车禁止通行"
    assert point["trend"]["direction"] == "rising" and point["trend"]["rate_cm_per_h"] == 12.0
    send(db, flood.logging, "water_depth", [(flood.end + M5, 40.0)])
    at = {"at": (flood.end + M5).isoformat()}
    assert client.get("/api/v1/flood/waterlogging", params=at).json()["points"][0]["grade"] == "closed"


def test_the_rain_class_calculator_and_bad_input(client, flood):
    r = client.post("/api/v1/flood/rain-class", json={"amount": 50, "period": "24h"})
    assert r.status_code == 200 and r.json()["class"]["name"] == "暴雨" and r.json()["amount"] == 50
    hour = client.post("/api/v1/flood/rain-class", json={"amount": 20.0, "period": "1h"}).json()
    assert hour["short_duration_heavy"] and hour["class"]["key"] == "rainstorm"
    for body, field in (({"amount": 5, "period": "6h"}, "period"), ({"amount": -1, "period": "1h"}, "amount"),
                        ({"amount": "x", "period": "1h"}, "amount"), ({"period": "1h"}, "amount")):
        bad = client.post("/api/v1/flood/rain-class", json=body)
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        assert field in str(bad.json().get("field")), bad.json()
    wrong_at = client.get("/api/v1/flood/rain", params={"at": "yesterday"})
    assert wrong_at.status_code == 422 and wrong_at.json()["field"] == "at"
    for at in ("0001-01-01T00:00", "9999-12-31T23:00"):  # the 24-hour windows around it would leave the calendar
        edge = client.get("/api/v1/flood/levels", params={"at": at})
        assert edge.status_code == 422 and edge.json()["field"] == "at"
