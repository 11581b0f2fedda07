"""The base databases over HTTP: problem+json with the field at fault, provenance by API, the pages."""

from __future__ import annotations

import pytest

from tests.helpers.basedb import P2, fields
from zhicheng.accounts import service as accounts
from zhicheng.basedb import service


@pytest.fixture
def users(db, basedb_actors):
    return {
        k: accounts.get_user_by_username(db, f"bdb_{k}") for k in ("admin", "housing", "outsider", "leader")
    }


def test_define_run_and_ask_where_a_value_came_from(client, db, sources, users, auth_headers, departments):
    a, b = sources
    h = auth_headers(users["admin"])
    bad = client.post(
        "/api/v1/basedb/assemblies",
        headers=h,
        json={
            "name": "人口基础库",
            "template": "population",
            "department_id": departments["data_bureau"].id,
            "fields": [{"field": "name", "source": {"resource_id": a, "item": "xm"}}],
        },
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["field"] == "fields"
    made = client.post(
        "/api/v1/basedb/assemblies",
        headers=h,
        json={
            "name": "人口基础库",
            "template": "population",
            "department_id": departments["data_bureau"].id,
            "fields": fields(a, b),
        },
    )
    assert made.status_code == 201, made.text
    aid = made.json()["id"]
    run = client.post(f"/api/v1/basedb/assemblies/{aid}/runs", headers=h)
    assert run.status_code == 201, run.text
    assert run.json()["records"] == 5 and run.json()["conflicts"] == 1
    prov = client.get(
        f"/api/v1/basedb/assemblies/{aid}/provenance", params={"key": P2, "field": "address"}, headers=h
    )
    assert prov.status_code == 200, prov.text
    [f] = prov.json()["fields"]
    assert (
        f["source"]["resource_id"] == a
        and f["source"]["row"] == 2
        and f["conflicts"][0]["source"]["row"] == 1
    )
    missing = client.get(f"/api/v1/basedb/assemblies/{aid}/provenance", params={"row": 999}, headers=h)
    assert missing.status_code == 404 and missing.json()["field"] == "row"
    recs = client.get(f"/api/v1/basedb/assemblies/{aid}/records", headers=h)
    assert recs.status_code == 200 and len(recs.json()["rows"]) == 5
    listed = client.get("/api/v1/basedb/assemblies", headers=auth_headers(users["leader"])).json()
    assert listed[0]["last_run"]["stats"]["by_er"] == 3
    assert (
        client.get(f"/api/v1/basedb/assemblies/{aid}", headers=auth_headers(users["outsider"])).status_code
        == 403
    )
    inbox = client.get("/api/v1/basedb/conflicts", headers=auth_headers(users["housing"])).json()
    assert [t["conflicts"] for t in inbox] == [1]
    assert len(client.get("/api/v1/basedb/templates", headers=h).json()) == 7


def test_the_pages(client, db, assembled, users, login):
    asm, run, a, b = assembled
    csrf = login(client, users["admin"])
    again = client.post(f"/basedb/{asm.id}/run", data={"csrf_token": csrf}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == f"/basedb/{asm.id}"
    assert client.post(f"/basedb/{asm.id}/run", follow_redirects=False).status_code == 403  # no CSRF token
    listing = client.get("/basedb")
    assert (
        listing.status_code == 200 and "人口基础库" in listing.text and 'class="records">5<' in listing.text
    )
    detail = client.get(f"/basedb/{asm.id}", params={"key": P2})
    assert detail.status_code == 200 and 'id="provenance-table"' in detail.text
    assert (
        "常住人口登记" in detail.text and "长沙市岳麓区****" in detail.text
    )  # the housing bureau's value, masked
    client.cookies.clear()
    login(client, users["housing"])
    inbox = client.get("/basedb/conflicts")
    assert inbox.status_code == 200 and "住房保障对象" in inbox.text
    task_id = service.list_tasks(db, actor=accounts.actor_for(users["housing"]))[0]["id"]
    task = client.get(f"/basedb/conflicts/{task_id}")
    assert (
        task.status_code == 200
        and "长沙市岳麓区麓山南路22号" in task.text
        and 'id="resolve-form"' in task.text
    )
