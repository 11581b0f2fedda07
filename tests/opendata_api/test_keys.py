"""有条件开放 rows through the machine APIs with a portal API key: approved keys read (ckanapi's apikey, X-API-Key,
Bearer), others are refused, and every call is counted for the key."""

from __future__ import annotations

from datetime import date

import ckanapi
import httpx
import pytest

from zhicheng.core.actor import SYSTEM
from zhicheng.core.ids import citizen_id
from zhicheng.opendata import service
from zhicheng.opendata.users import service as accounts


def _user(db, settings, username: str, n: int):
    return accounts.register(
        db,
        settings=settings,
        kind="citizen",
        username=username,
        password="Zhicheng2026",
        display_name=f"开发者{n}",
        id_number=citizen_id.make("430104", date(1990, 1, n), n, "M"),
        phone=f"1390000{n:04d}",
    )


@pytest.fixture
def keys(db, settings, open_catalog):
    approved = _user(db, settings, "dev_approved", 1)
    app = service.apply(
        db, user=approved, resource_id=open_catalog.credit.id, purpose="开发企业信用查询小程序"
    )
    service.decide_application(db, actor=SYSTEM, application_id=app.id, decision="approve")
    _row, good = service.create_key(db, user=approved, name="小程序")
    other = _user(db, settings, "dev_other", 2)
    _row, bad = service.create_key(db, user=other, name="未申请")
    return {"good": good, "bad": bad}


def test_an_approved_key_reads_conditional_rows_through_ckanapi(open_catalog, keys, live_server):
    anon = ckanapi.RemoteCKAN(live_server.url)
    rid = anon.action.package_show(id=open_catalog.credit.code)["resources"][0]["id"]
    with ckanapi.RemoteCKAN(live_server.url, apikey=keys["good"]) as client:
        page = client.action.datastore_search(resource_id=rid)
    assert page["total"] == 2 and page["records"][0]["qymc"] == "长沙某科技有限公司"
    with (
        ckanapi.RemoteCKAN(live_server.url, apikey=keys["bad"]) as client,
        pytest.raises(ckanapi.NotAuthorized),
    ):
        client.action.datastore_search(resource_id=rid)


def test_an_approved_key_reads_conditional_rows_through_rest(open_catalog, keys, live_server):
    url = f"{live_server.url}/api/v1/open/datasets/{open_catalog.credit.id}/rows"
    assert httpx.get(url, headers={"X-API-Key": keys["good"]}).json()["total"] == 2
    assert httpx.get(url, headers={"Authorization": f"Bearer {keys['good']}"}).status_code == 200
    assert httpx.get(url, headers={"X-API-Key": keys["bad"]}).status_code == 403
    assert httpx.get(url).status_code == 401


def test_a_staff_token_reads_open_data_as_the_public_does(open_catalog, client, make_user, departments, auth_headers):
    staff = auth_headers(make_user("env_analyst", roles=["dept_user"], department=departments["housing"]))
    url = "/api/3/action/datastore_search"
    air = client.get("/api/3/action/package_show", params={"id": open_catalog.air.code}).json()["result"]
    r = client.get(url, params={"resource_id": air["resources"][0]["id"], "limit": 2}, headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["result"]["records"][0]["contact"] == "138****0000"  # masked as for everyone
    rest = client.get(f"/api/v1/open/datasets/{open_catalog.air.id}/rows", params={"size": 2}, headers=staff)
    assert rest.status_code == 200 and rest.json()["count"] == 2
    credit = client.get("/api/3/action/package_show", params={"id": open_catalog.credit.code}).json()["result"]
    r = client.get(url, params={"resource_id": credit["resources"][0]["id"]}, headers=staff)
    assert r.status_code == 403, r.text  # CKAN's NotAuthorized: a portal key is needed, not "a bad key"
    assert "API 密钥" in r.json()["error"]["message"]
    bad = client.get(url, params={"resource_id": air["resources"][0]["id"]}, headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401  # an unknown bearer token is refused, staff or portal
