"""The SensorThings read API: the service root, entity sets, entities, navigation, properties, $top/$skip with a
nextLink walk equal to everything, $count, $orderby, $select, $expand with options, $filter compiled by odata-query;
the department and the admin see their Things, everyone else the open ones; reads of observations are audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from tests.iot.conftest import bearer, stream
from zhicheng.policy.models import AuditEntry

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _load(client, db, world, n: int = 25) -> int:
    pm25 = stream(db, world.air, "pm25")
    rows = [[_iso(T0 + timedelta(hours=i)), float(i)] for i in range(n)]
    assert client.post("/api/v1/iot/ingest", headers=bearer(world.air.token),
                       json={"datastream": pm25, "observations": rows}).json()["stored"] == n
    rain = stream(db, world.rain, "rain")
    client.post("/api/v1/iot/ingest", headers=bearer(world.rain.token),
                json={"datastream": rain, "observations": [[_iso(T0), 1.5]]})
    return pm25


def _path(url: str) -> str:
    parsed = httpx.URL(url)
    return parsed.raw_path.decode()


def test_root_entities_navigation_and_properties(client, db, world, auth_headers):
    pm25 = _load(client, db, world)
    root = client.get("/sta/v1.1").json()
    assert {v["name"] for v in root["value"]} >= {"Things", "Datastreams", "Observations", "FeaturesOfInterest"}
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel" in root["serverSettings"]["conformance"]
    staff = auth_headers(world.staff)
    thing_id = world.air.thing.id
    thing = client.get(f"/sta/v1.1/Things({thing_id})", headers=staff).json()
    assert thing["@iot.id"] == thing_id and thing["name"] == "五一广场空气站"
    assert thing["@iot.selfLink"].endswith(f"/sta/v1.1/Things({thing_id})")
    assert thing["Datastreams@iot.navigationLink"].endswith(f"Things({thing_id})/Datastreams")
    streams = client.get(f"/sta/v1.1/Things({thing_id})/Datastreams", headers=staff).json()["value"]
    assert [s["properties"]["key"] for s in streams] == ["pm25", "o3"]
    assert streams[0]["unitOfMeasurement"]["definition"] == "ucum:ug/m3"
    assert streams[0]["phenomenonTime"] == f"{_iso(T0)}/{_iso(T0 + timedelta(hours=24))}"
    assert client.get(f"/sta/v1.1/Things({thing_id})/name", headers=staff).json() == {"name": "五一广场空气站"}
    assert client.get(f"/sta/v1.1/Things({thing_id})/name/$value", headers=staff).text == "五一广场空气站"
    first = client.get(f"/sta/v1.1/Datastreams({pm25})/Observations?$orderby=phenomenonTime&$top=1",
                       headers=staff).json()["value"][0]
    assert first["result"] == 0 and first["phenomenonTime"] == _iso(T0)
    back = client.get(f"/sta/v1.1/Observations({first['@iot.id']})/Datastream", headers=staff).json()
    assert back["@iot.id"] == pm25
    foi = client.get(f"/sta/v1.1/Observations({first['@iot.id']})/FeatureOfInterest", headers=staff).json()
    assert foi["feature"]["coordinates"] == [112.98, 28.19]
    loc = client.get(f"/sta/v1.1/Things({thing_id})/Locations", headers=staff).json()["value"][0]
    assert loc["encodingType"] == "application/geo+json"
    assert client.get("/sta/v1.1/Things(99999)", headers=staff).status_code == 404
    assert client.get("/sta/v1.1/Nothing", headers=staff).status_code == 404
    assert client.get(f"/sta/v1.1/Things({thing_id})/nope", headers=staff).status_code == 404


def test_paging_count_order_select_expand(client, db, world, auth_headers):
    pm25 = _load(client, db, world)
    staff = auth_headers(world.staff)
    url = f"/sta/v1.1/Datastreams({pm25})/Observations?$top=7&$count=true&$orderby=phenomenonTime desc"
    page = client.get(url, headers=staff).json()
    assert page["@iot.count"] == 25 and len(page["value"]) == 7
    seen = [o["result"] for o in page["value"]]
    while "@iot.nextLink" in page:
        page = client.get(_path(page["@iot.nextLink"]), headers=staff).json()
        seen += [o["result"] for o in page["value"]]
    assert seen == [float(i) for i in range(24, -1, -1)]
    everything = client.get(f"/sta/v1.1/Datastreams({pm25})/Observations?$top=10000", headers=staff).json()
    assert "@iot.nextLink" not in everything and len(everything["value"]) == 25
    assert client.get("/sta/v1.1/Observations?$top=10001", headers=staff).json()["field"] == "$top"
    selected = client.get("/sta/v1.1/Observations?$select=result,phenomenonTime&$top=2", headers=staff).json()
    assert set(selected["value"][0]) == {"result", "phenomenonTime"}
    assert client.get("/sta/v1.1/Observations?$select=nope", headers=staff).status_code == 400
    expanded = client.get(f"/sta/v1.1/Things({world.air.thing.id})?$expand=Datastreams($expand=Observations("
                          "$top=1;$orderby=phenomenonTime desc);$select=name,Observations)", headers=staff).json()
    latest = [s for s in expanded["Datastreams"] if s["Observations"]][0]
    assert set(latest) == {"name", "Observations", "Observations@iot.navigationLink", "Observations@iot.nextLink"}
    assert latest["Observations"][0]["result"] == 24
    nested = client.get("/sta/v1.1/Observations?$top=1&$expand=Datastream/Thing", headers=staff).json()
    assert nested["value"][0]["Datastream"]["Thing"]["@iot.id"] in (world.air.thing.id, world.rain.thing.id)
    assert client.get("/sta/v1.1/Things?$expand=Nope", headers=staff).json()["field"] == "$expand"


def test_filter(client, db, world, auth_headers):
    pm25 = _load(client, db, world)
    staff = auth_headers(world.staff)
    base = f"/sta/v1.1/Datastreams({pm25})/Observations"
    high = client.get(f"{base}?$filter=result gt 20", headers=staff).json()["value"]
    assert sorted(o["result"] for o in high) == [21, 22, 23, 24]
    since = client.get(f"{base}?$filter=phenomenonTime ge 2026-01-01T20:00:00Z and result lt 23&$count=true",
                       headers=staff).json()
    assert since["@iot.count"] == 3
    beijing = client.get(f"{base}?$filter=phenomenonTime lt 2026-01-01T10:00:00%2B08:00", headers=staff).json()
    assert len(beijing["value"]) == 2  # 00:00 and 01:00 UTC
    named = client.get("/sta/v1.1/Things?$filter=name eq '五一广场空气站' or startswith(name, '湘江')",
                       headers=staff).json()["value"]
    assert {t["name"] for t in named} == {"五一广场空气站", "湘江雨量站"}
    for wrong in ("result gtt 1", "nope eq 1", "result eq"):
        refused = client.get(f"{base}?$filter={wrong}", headers=staff)
        assert refused.status_code == 400 and refused.json()["field"] == "$filter"


def test_who_sees_what_and_reads_are_audited(client, db, world, auth_headers):
    _load(client, db, world)
    names = lambda headers: {t["name"] for t in client.get("/sta/v1.1/Things", headers=headers).json()["value"]}  # noqa: E731
    assert names({}) == {"湘江雨量站"}  # anonymous: the open one
    assert names(auth_headers(world.outsider)) == {"湘江雨量站"}
    assert names(auth_headers(world.staff)) == {"五一广场空气站", "湘江雨量站"}
    assert names(auth_headers(world.admin)) == {"五一广场空气站", "湘江雨量站"}
    assert client.get(f"/sta/v1.1/Things({world.air.thing.id})").status_code == 404
    public = client.get("/sta/v1.1/Observations?$count=true").json()
    assert public["@iot.count"] == 1
    before = db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "iot.observations.read"))
    client.get("/sta/v1.1/Things?$expand=Datastreams/Observations", headers=auth_headers(world.staff))
    client.get("/sta/v1.1/Things", headers=auth_headers(world.staff))  # no observations: not audited
    db.expire_all()
    after = db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "iot.observations.read"))
    assert after == before + 1
