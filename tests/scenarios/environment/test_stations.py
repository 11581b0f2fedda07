"""The air stations' AQI from real ingested observations: each station's latest hourly report, the city's (the mean
over the stations of that hour, HJ 663), the ranking of stations and districts (a district from the device's
`district_code` when no address layer is there), the daily trend from 24 hourly values, and who sees which station."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.helpers.browser import css, wait
from tests.web.test_browser import log_in
from zhicheng.accounts.service import actor_for
from zhicheng.core import clock
from zhicheng.iot import ingest, rollups, service
from zhicheng.policy.models import AuditEntry
from zhicheng.scenarios.environment import stations

BEIJING = rollups.BEIJING


def send(db, registered, at: datetime, **values) -> None:
    items = [ingest.Incoming(key, at.isoformat(), value) for key, value in values.items()]
    outcome = ingest.ingest(db, thing=registered.thing, items=items, channel="test")
    assert not outcome.quarantined, outcome.as_dict()


@pytest.fixture
def city(db, make_user, departments):
    """Two police stations in two districts reporting the last full hour, and an open housing station two hours
    older; station A also has 24 hourly PM2.5 values two days ago and 10 three days ago."""
    officer = make_user("eco_officer", roles=["data_officer"], department=departments["police"])
    other = make_user("other_officer", roles=["data_officer"], department=departments["housing"])
    staff = make_user("eco_staff", department=departments["police"])
    outsider = make_user("other_staff", department=departments["housing"])

    def station(user, dept, code, name, lon, lat, district, open=False):
        done = service.register_device(db, actor=actor_for(user), department_id=departments[dept].id,
                                       device_type="air_station", code=code, name=name, lon=lon, lat=lat, open=open)
        service.set_properties(db, actor=actor_for(user), thing_id=done.thing.id, values={"district_code": district})
        return done

    a = station(officer, "police", "AIR-A", "岳麓站", 112.93, 28.18, "430104")
    b = station(officer, "police", "AIR-B", "芙蓉站", 113.03, 28.19, "430102")
    c = station(other, "housing", "AIR-C", "开福站", 112.99, 28.25, "430105", open=True)
    hour = rollups.INTERVALS["hour"].floor(clock.now()) - timedelta(hours=1)
    send(db, a, hour + timedelta(minutes=10), pm25=120, pm10=180, o3=60)
    send(db, b, hour + timedelta(minutes=5), pm25=30, pm10=40)
    send(db, c, hour - timedelta(hours=2), pm25=80)
    today = clock.now().astimezone(BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    for h in range(24):
        send(db, a, today - timedelta(days=2) + timedelta(hours=h), pm25=50)
    for h in range(10):
        send(db, a, today - timedelta(days=3) + timedelta(hours=h), pm25=50)
    return {"a": a, "b": b, "c": c, "hour": hour, "officer": officer, "staff": staff, "outsider": outsider}


def test_each_station_and_the_city_of_the_latest_hour(db, city):
    view = stations.overview(db, actor=actor_for(city["staff"]))
    by_code = {s.code: s for s in view.stations}
    assert set(by_code) == {"AIR-A", "AIR-B", "AIR-C"}  # its department's two and the open one
    assert view.hour == city["hour"]
    a, b, c = by_code["AIR-A"], by_code["AIR-B"], by_code["AIR-C"]
    assert a.report.aqi == 158 and a.report.category == "中度污染" and a.report.primary_pollutants == ["pm25"]
    assert b.report.aqi == 43 and b.report.category == "优" and b.report.primary_pollutants == []
    assert c.hour == city["hour"] - timedelta(hours=2)  # older: not in the city's hour
    # the city: PM2.5 (120 + 30) / 2 = 75 → IAQI 100; PM10 110 → 80; O3 from A only 60 → 19
    assert view.city.report.aqi == 100 and view.city.station_count == 2 and view.city.means["pm25"] == 75
    assert view.city.report.category == "良" and view.city.notes  # O3 not from every station
    assert a.district == ("430104", "岳麓区") and a.district_source == "property"


def test_the_ranking_of_stations_and_districts(db, city):
    out = stations.ranking_out(stations.overview(db, actor=actor_for(city["staff"])))
    assert [(s["code"], s["rank"], s["report"]["aqi"]) for s in out["stations"]] == [("AIR-B", 1, 43),
                                                                                     ("AIR-A", 2, 158)]
    assert [(d["name"], d["rank"], d["report"]["aqi"]) for d in out["districts"]] == [("芙蓉区", 1, 43),
                                                                                      ("岳麓区", 2, 158)]
    assert stations.ranked([{"name": "x", "report": {"aqi": 50}}, {"name": "y", "report": {"aqi": 50}},
                            {"name": "z", "report": {"aqi": 70}}, {"name": "w", "report": None}]) == [
        {"name": "x", "report": {"aqi": 50}, "rank": 1}, {"name": "y", "report": {"aqi": 50}, "rank": 1},
        {"name": "z", "report": {"aqi": 70}, "rank": 3}, {"name": "w", "report": None, "rank": None}]


def test_the_daily_trend_needs_twenty_hours(db, city):
    out = stations.daily_trend(db, actor=actor_for(city["staff"]), days=4, station_id=city["a"].thing.id)
    days = {d["date"]: d for d in out["days"]}
    today = clock.now().astimezone(BEIJING).date()
    two, three = (today - timedelta(days=2)).isoformat(), (today - timedelta(days=3)).isoformat()
    assert list(days) == [(today - timedelta(days=n)).isoformat() for n in (3, 2, 1, 0)]
    assert days[two]["hours"] == 24 and days[two]["report"]["aqi"] == 69  # 24-hour PM2.5 50 µg/m³: IAQI 68.75 → 69
    assert days[three]["hours"] == 10 and days[three]["report"] is None and days[three]["notes"]
    city_trend = stations.daily_trend(db, actor=actor_for(city["staff"]), days=3)
    assert {d["date"]: d["report"]["aqi"] if d["report"] else None for d in city_trend["days"]}[two] == 69


def test_the_api_answers_and_audits(client, db, city, login):
    login(client, city["staff"])
    r = client.get("/api/v1/environment/stations")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["city"]["aqi"] == 100 and body["standard"] == "HJ 633-2012"
    assert datetime.fromisoformat(body["hour"]).utcoffset() == timedelta(hours=8)
    a = next(s for s in body["stations"] if s["code"] == "AIR-A")
    assert a["report"]["colour"] == "#FF0000" and a["current"] and a["values"]["pm25"] == 120
    assert a["district"] == {"code": "430104", "name": "岳麓区", "source": "property"}
    assert [lv["colour"] for lv in body["levels"]] == ["#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C",
                                                       "#7E0023"]
    ranking = client.get("/api/v1/environment/ranking").json()
    assert [s["code"] for s in ranking["stations"]] == ["AIR-B", "AIR-A"]
    trend = client.get("/api/v1/environment/trend", params={"days": 3, "station": city["a"].thing.id})
    assert trend.status_code == 200 and len(trend.json()["days"]) == 3
    bad = client.get("/api/v1/environment/trend", params={"days": 40})
    assert bad.status_code == 422 and bad.json()["field"] == "days"
    assert bad.headers["content-type"].startswith("application/problem+json")
    unknown = client.get("/api/v1/environment/trend", params={"station": 999999})
    assert unknown.status_code == 404 and unknown.json()["field"] == "station"
    db.expire_all()
    actions = {e.action for e in db.query(AuditEntry).all()}
    assert {"environment.stations.read", "environment.trend.read"} <= actions


def test_visitors_see_the_open_stations_only(client, db, city, login):
    body = client.get("/api/v1/environment/stations").json()
    assert [s["code"] for s in body["stations"]] == ["AIR-C"]
    assert body["city"]["aqi"] == stations.aqi.calculate("hour", {"pm25": 80}).aqi
    login(client, city["outsider"])  # housing: its own open station only
    assert [s["code"] for s in client.get("/api/v1/environment/stations").json()["stations"]] == ["AIR-C"]
    assert client.get("/api/v1/environment/trend", params={"station": city["a"].thing.id}).status_code == 404


def test_the_page_shows_the_city_rankings_and_the_map_data(client, db, city, login):
    login(client, city["staff"])
    page = client.get("/environment/air")
    assert page.status_code == 200
    assert 'id="city-aqi-value">100<' in page.text and "良" in page.text
    first, second = (f'data-id="{city[k].thing.id}"' for k in ("b", "a"))
    assert page.text.index(first) < page.text.index(second)
    assert "芙蓉区" in page.text and "岳麓区" in page.text and 'id="stale-stations"' in page.text
    assert '/environment/static/air.js' in page.text and "https://" not in page.text.split("<main")[1]
    nav = page.text.split('data-nav-group="iot"')[1].split("</details>")[0]
    assert 'href="/environment/air"' in nav
    en = client.get("/environment/air", params={"lang": "en"})
    assert "Air quality" in en.text and "Station ranking" in en.text and "Good" in en.text
    script = client.get("/environment/static/air.js")
    assert script.status_code == 200 and "maplibre" in script.text


def test_the_page_asks_visitors_to_log_in(client, city):
    r = client.get("/environment/air", follow_redirects=False, headers={"Accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_time_without_observations_has_no_station_report(db, make_user, departments):
    officer = make_user("lonely", roles=["data_officer"], department=departments["police"])
    service.register_device(db, actor=actor_for(officer), department_id=departments["police"].id,
                            device_type="air_station", code="AIR-Z", name="空站", lon=112.9, lat=28.1)
    view = stations.overview(db, actor=actor_for(officer))
    assert view.hour is None and view.city is None and view.stations[0].report is None
    assert stations.ranking_out(view)["stations"] == []


@pytest.mark.browser
def test_the_air_map_colours_each_station_by_its_level(live_server, browser, city):
    log_in(browser, live_server.url, city["staff"].username, start="/environment/air")
    wait(browser).until(lambda d: d.find_elements("css selector", "#air-map[data-ready='1']"))
    script = ("return window.airMap.queryRenderedFeatures({layers: ['stations']})"
              ".map(f => [f.properties.code, f.properties.colour]).sort()")
    wait(browser).until(lambda d: len(d.execute_script(script)) == 3)  # drawn a frame after load
    # A: AQI 158 中度污染 red; B: 43 优 green; C: PM2.5 80 → 107 轻度污染 orange
    assert browser.execute_script(script) == [["AIR-A", "#FF0000"], ["AIR-B", "#00E400"], ["AIR-C", "#FF7E00"]]
    wait(browser).until(lambda d: d.find_elements("css selector", "#air-trend[data-ready='1']"))
    assert css(browser, "#air-trend").get_attribute("data-days") == "7"
    assert css(browser, "#air-trend").get_attribute("data-with-aqi") == "1"
    assert css(browser, "#city-aqi-value").text == "100"
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
