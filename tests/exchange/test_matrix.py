"""Authorization matrix: every exchange route × role × grant state; only what the grant allows leaves, masked."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest

from zhicheng.catalog.datasets import service as datasets
from zhicheng.core import clock
from zhicheng.core.ids import citizen_id
from zhicheng.core.workdays import service as workdays
from zhicheng.exchange import service as exchange

ITEMS = [
    {"name": "sfzh", "label": "公民身份号码", "type": "string", "length": 18, "required": True, "personal": True,
     "sensitivity": "important", "check": "citizen_id"},
    {"name": "xm", "label": "姓名", "type": "string", "length": 50, "personal": True},
    {"name": "dqdm", "label": "行政区划代码", "type": "string", "length": 6},
    {"name": "nl", "label": "年龄", "type": "integer"},
]
ROLES = ("consumer_user", "consumer_officer", "provider_user", "provider_officer", "admin", "auditor", "other_user",
         "anonymous")
STATES = ("none", "pending", "granted", "expired", "revoked", "other_department")
GRANTED_ITEMS, PLAIN = ["sfzh", "xm", "dqdm"], ["xm"]


@pytest.fixture
def world(db, tmp_path, departments, make_resource, exchange_users, exchange_actors):
    """公安局 publishes 8 people; a request/grant in the given state is made for 住建局 (or 岳麓区)."""
    resource = make_resource("人口信息矩阵", department=departments["police"], state="published", items=ITEMS)
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([i["name"] for i in ITEMS])
        for i in range(8):
            region = "430104" if i % 2 else "430102"
            w.writerow([citizen_id.make(region, date(1985, 1, 1) + timedelta(days=i), i, "F"), f"李{i}梅", region,
                        30 + i])
    report = datasets.import_file(db, actor=exchange_actors["provider_officer"], resource_id=resource.id, path=path,
                                  filename="people.csv")
    assert report.ok, report.errors

    def make(state: str):
        if state == "none":
            return None, None
        consumer = exchange_actors["other_user" if state == "other_department" else "consumer_user"]
        today = workdays.china_today()
        req = exchange.submit_request(db, actor=consumer, resource_id=resource.id, purpose="保障房资格审核",
                                      basis="公共租赁住房管理办法", items=GRANTED_ITEMS + ["nl"],
                                      row_filter={"dqdm": {"prefix": "4301"}}, period_start=today,
                                      period_end=today + timedelta(days=30))
        if state == "pending":
            return req, None
        grant = exchange.approve(db, actor=exchange_actors["provider_officer"], request_id=req.id,
                                 items=GRANTED_ITEMS, plain_items=PLAIN, row_filter={"dqdm": {"prefix": "430104"}})
        if state == "revoked":
            exchange.revoke_grant(db, actor=exchange_actors["admin"], grant_id=grant.id, reason="核查结束")
        if state == "expired":
            clock.advance(timedelta(days=40))
        return req, grant

    return resource, make


def _headers(who: str, exchange_users, auth_headers) -> dict:
    return {} if who == "anonymous" else auth_headers(exchange_users[who])


def _data_holder(state: str) -> set[str]:
    """Who may read rows in this state: the live grant's department, nobody else."""
    if state == "granted":
        return {"consumer_user", "consumer_officer"}
    if state == "other_department":
        return {"other_user"}
    return set()


def _readers(state: str) -> set[str]:
    """Who may read the request and grant records: both departments and the admin."""
    consumer = {"other_user"} if state == "other_department" else {"consumer_user", "consumer_officer"}
    return consumer | {"provider_user", "provider_officer", "admin"}


@pytest.mark.parametrize("state", STATES)
def test_matrix(state, client, world, exchange_users, auth_headers):
    resource, make = world
    req, grant = make(state)
    for who in ROLES:
        h = _headers(who, exchange_users, auth_headers)
        denied = 401 if who == "anonymous" else 403
        # the data itself
        r = client.get(f"/api/v1/exchange/resources/{resource.id}/rows", headers=h)
        if who in _data_holder(state):
            assert r.status_code == 200, (who, r.text)
            body = r.json()
            assert set(body["fields"]) <= set(GRANTED_ITEMS) and "nl" not in body["fields"]
            assert body["count"] == 4 and all(row["dqdm"].startswith("430104") for row in body["items"])
            assert all("*" in row["sfzh"] for row in body["items"])  # masked: not plain in the grant
            assert all("*" not in row["xm"] for row in body["items"])  # plain: the grant says so
            wider = client.get(f"/api/v1/exchange/resources/{resource.id}/rows?fields=nl", headers=h)
            assert wider.status_code in (403, 422), wider.text  # a consumer cannot widen the grant
        else:
            assert r.status_code == denied, (who, state, r.status_code, r.text)
            assert "李" not in r.text
        # the records
        readers = _readers(state)
        if req is not None:
            r = client.get(f"/api/v1/exchange/requests/{req.id}", headers=h)
            assert r.status_code == (200 if who in readers else denied), (who, state, r.text)
        if grant is not None:
            r = client.get(f"/api/v1/exchange/grants/{grant.id}", headers=h)
            assert r.status_code == (200 if who in readers else denied), (who, state, r.text)
            listed = client.get("/api/v1/exchange/grants", headers=h)
            if who == "anonymous":
                assert listed.status_code == 401
            else:
                assert (grant.id in [g["id"] for g in listed.json()]) == (who in readers), (who, state)
        r = client.get("/api/v1/exchange/inbox", headers=h)
        if who in ("provider_officer", "admin"):
            assert [x["id"] for x in r.json()] == ([req.id] if state == "pending" else [])
        elif who == "consumer_officer":
            assert r.status_code == 200 and r.json() == []
        else:
            assert r.status_code == denied
    _answers(state, client, req, grant, exchange_users, auth_headers)


def _answers(state, client, req, grant, exchange_users, auth_headers):
    """Approve, refuse and revoke: refused to everyone but the provider's officer and the admin."""
    deciders = {"provider_officer", "admin"}
    for who in ROLES:
        if who in deciders:
            continue
        h = _headers(who, exchange_users, auth_headers)
        denied = 403  # anonymous writes stop at the CSRF check, before authentication
        if req is not None:
            for action, body in (("approve", {}), ("refuse", {"reason": "不同意"})):
                r = client.post(f"/api/v1/exchange/requests/{req.id}/{action}", headers=h, json=body)
                assert r.status_code == denied, (who, action, state, r.text)
        if grant is not None:
            r = client.post(f"/api/v1/exchange/grants/{grant.id}/revoke", headers=h, json={"reason": "x"})
            assert r.status_code == denied, (who, state, r.text)
    admin, officer = auth_headers(exchange_users["admin"]), auth_headers(exchange_users["provider_officer"])
    if req is not None:
        r = client.post(f"/api/v1/exchange/requests/{req.id}/approve", headers=admin, json={})
        assert r.status_code == (200 if state == "pending" else 409), (state, r.text)
        r = client.post(f"/api/v1/exchange/requests/{req.id}/refuse", headers=officer, json={"reason": "迟到"})
        assert r.status_code == 409
    if grant is not None:
        r = client.post(f"/api/v1/exchange/grants/{grant.id}/revoke", headers=officer, json={"reason": "到期"})
        assert r.status_code == (409 if state == "revoked" else 200), (state, r.text)


def test_revocation_takes_effect_on_the_very_next_call(client, world, exchange_users, auth_headers):
    resource, make = world
    _req, grant = make("granted")
    consumer = auth_headers(exchange_users["consumer_user"])
    url = f"/api/v1/exchange/resources/{resource.id}/rows"
    assert client.get(url, headers=consumer).status_code == 200
    r = client.post(f"/api/v1/exchange/grants/{grant.id}/revoke", headers=auth_headers(exchange_users["provider_officer"]),
                    json={"reason": "发现违规使用"})
    assert r.status_code == 200
    assert client.get(url, headers=consumer).status_code == 403

