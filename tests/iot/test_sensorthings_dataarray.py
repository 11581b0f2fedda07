"""Reading Observations with $resultFormat=dataArray (SensorThings 1.1 Data Array extension): one entry per
Datastream with its link, the components ($select or the default), dataArray@iot.count and the rows; paging, $count
and $filter work as for the default format, other sets and $expand are refused, and what one may not see stays
unseen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.iot.conftest import bearer, stream

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _load(client, db, world) -> tuple[int, int, int]:
    pm25, o3, rain = stream(db, world.air, "pm25"), stream(db, world.air, "o3"), stream(db, world.rain, "rain")
    client.post("/api/v1/iot/ingest", headers=bearer(world.air.token), json=[
        {"datastream": pm25, "observations": [[_iso(T0 + timedelta(hours=i)), 10 + i] for i in range(5)]},
        {"datastream": o3, "observations": [[_iso(T0 + timedelta(hours=i)), 50.5 + i] for i in range(3)]}])
    client.post("/api/v1/iot/ingest", headers=bearer(world.rain.token),
                json={"datastream": rain, "observations": [[_iso(T0), 1.5]]})
    return pm25, o3, rain


def test_observations_as_data_arrays_per_datastream(client, db, world, auth_headers):
    pm25, o3, rain = _load(client, db, world)
    staff = auth_headers(world.staff)
    answer = client.get("/sta/v1.1/Observations?$resultFormat=dataArray&$orderby=phenomenonTime&$count=true",
                        headers=staff)
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert out["@iot.count"] == 9  # the staff sees its own station and the open rain gauge
    by_stream = {g["Datastream@iot.navigationLink"].rsplit("(", 1)[1].rstrip(")"): g for g in out["value"]}
    assert set(by_stream) == {str(pm25), str(o3), str(rain)}
    group = by_stream[str(pm25)]
    assert group["components"] == ["id", "phenomenonTime", "resultTime", "result"]
    assert group["dataArray@iot.count"] == 5 == len(group["dataArray"])
    assert group["dataArray"][0][1:] == [_iso(T0), None, 10]
    assert group["Datastream@iot.navigationLink"].endswith(f"/sta/v1.1/Datastreams({pm25})")

    chosen = client.get(f"/sta/v1.1/Datastreams({o3})/Observations?$resultFormat=dataArray"
                        "&$select=result,phenomenonTime&$orderby=phenomenonTime desc", headers=staff).json()
    assert chosen["value"] == [{"Datastream@iot.navigationLink": chosen["value"][0]["Datastream@iot.navigationLink"],
                                "components": ["result", "phenomenonTime"], "dataArray@iot.count": 3,
                                "dataArray": [[52.5, _iso(T0 + timedelta(hours=2))],
                                              [51.5, _iso(T0 + timedelta(hours=1))], [50.5, _iso(T0)]]}]

    page = client.get("/sta/v1.1/Observations?$resultFormat=dataArray&$top=4&$filter=result ge 11&"
                      "$orderby=phenomenonTime,id", headers=staff).json()
    rows = [r for g in page["value"] for r in g["dataArray"]]
    assert len(rows) == 4 and "$resultFormat=dataArray" in page["@iot.nextLink"]
    following = client.get(page["@iot.nextLink"], headers=staff).json()
    assert sum(g["dataArray@iot.count"] for g in following["value"]) == 3 and "@iot.nextLink" not in following


def test_data_array_is_refused_where_it_does_not_apply_and_hides_what_is_closed(client, db, world,
                                                                                 auth_headers):
    _load(client, db, world)
    staff = auth_headers(world.staff)
    for url in ("/sta/v1.1/Things?$resultFormat=dataArray",
                "/sta/v1.1/Observations?$resultFormat=dataArray&$expand=Datastream",
                "/sta/v1.1/Observations?$resultFormat=csv"):
        refused = client.get(url, headers=staff)
        assert refused.status_code == 400 and refused.json()["field"] == "$resultFormat", url
    anonymous = client.get("/sta/v1.1/Observations?$resultFormat=dataArray").json()
    assert [g["dataArray@iot.count"] for g in anonymous["value"]] == [1]  # the open rain gauge only
