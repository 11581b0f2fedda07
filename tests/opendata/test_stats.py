"""Usage statistics: the "opendata.used" event, views and downloads counted per resource per day; the KPIs."""

from __future__ import annotations

from zhicheng.core.events import bus
from zhicheng.opendata.stats import service as stats


def test_events_are_counted_per_day(client, db, open_data, departments):
    free = open_data["free"]
    dept = departments["police"].id
    client.get("/open")  # the app has started: events without a request session count in its database
    for _ in range(3):
        bus.publish(
            "opendata.used", {"resource_id": free.id, "department_id": dept, "kind": "api", "rows": 10}
        )
    stats.publish(db, resource_id=free.id, department_id=dept, kind="view")
    assert stats.totals(db, resource_id=free.id) == {"views": 1, "downloads": 0, "api_calls": 3}
    assert client.get(f"/open/datasets/{free.id}/download.csv").status_code == 200
    data = client.get("/api/v1/open/stats", params={"days": 7}).json()
    assert data["totals"] == {"views": 1, "downloads": 1, "api_calls": 3}
    assert data["daily"][-1] == {"day": stats.today().isoformat(), "views": 1, "downloads": 1, "api_calls": 3}
    assert data["datasets"][0]["resource_id"] == free.id
    assert data["departments"][0]["department_id"] == dept
    police_only = client.get("/api/v1/open/stats", params={"days": 7, "department_id": dept}).json()
    assert police_only["daily"][-1]["api_calls"] == 3
    other = client.get(
        "/api/v1/open/stats", params={"days": 7, "department_id": departments["housing"].id}
    ).json()
    assert other["daily"][-1]["api_calls"] == 0
    one = client.get(f"/api/v1/open/stats/datasets/{free.id}").json()
    assert one["totals"]["api_calls"] == 3
    assert client.get("/api/v1/open/stats", params={"days": 0}).status_code == 422
    page = client.get("/open/stats", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "/static/vendor/echarts/echarts.min.js" in page.text


def test_kpis(db, open_data, make_resource, departments):
    k = stats.kpis(db)
    # four live resources of one department, three of them open
    assert (k["catalogued"], k["open"], k["departments"], k["open_departments"]) == (4, 3, 1, 1)
    assert k["open_rate"] == 0.75 and k["open_rate_met"] and k["coverage"] == 1.0
    make_resource("住建内部数据", department=departments["housing"], state="published")
    k = stats.kpis(db)
    assert k["coverage"] == 0.5 and not k["coverage_met"]


def test_public_statistics_count_only_open_live_resources(client, db, open_data, make_resource, departments):
    """A draft (or a resource not open) with usage on record stays out of the public statistics."""
    dept = departments["police"].id
    draft = make_resource("草稿资源", department=departments["police"], state="draft", open_type="unconditional")
    free = open_data["free"]
    for rid in (draft.id, open_data["closed"].id, free.id):
        stats.count(db, resource_id=rid, department_id=dept, kind="view", day=stats.today(), times=5)
    data = client.get("/api/v1/open/stats", params={"days": 7}).json()
    assert data["totals"]["views"] == 5
    assert [d["resource_id"] for d in data["datasets"]] == [free.id]
    assert data["daily"][-1]["views"] == 5 and data["departments"][0]["views"] == 5
