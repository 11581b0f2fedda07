"""Delivery of granted data: a 住建局 user reads 公安局's population rows through the API, only as the grant says."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from zhicheng.accounts import service as accounts
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core import clock
from zhicheng.core.ids import citizen_id
from zhicheng.exchange.models import Grant, ShareRequest
from zhicheng.policy.models import AuditEntry

ITEMS = [
    {"name": "sfzh", "label": "公民身份号码", "type": "string", "length": 18, "required": True, "personal": True,
     "sensitivity": "important", "check": "citizen_id"},
    {"name": "xm", "label": "姓名", "type": "string", "length": 50, "personal": True},
    {"name": "sjhm", "label": "手机号码", "type": "string", "length": 11, "personal": True, "check": "mobile"},
    {"name": "zz", "label": "住址", "type": "string", "length": 200, "personal": True},
    {"name": "yhkh", "label": "银行卡号", "type": "string", "length": 19, "personal": True},
    {"name": "zb", "label": "居住地坐标", "type": "string", "length": 40, "personal": True},
    {"name": "dqdm", "label": "行政区划代码", "type": "string", "length": 6},
    {"name": "nl", "label": "年龄", "type": "integer"},
]
ALL = [i["name"] for i in ITEMS]
ROWS = 30
SURNAMES = "张王李赵刘陈杨黄周吴"


def person(i: int) -> dict:
    region = "430104" if i % 2 else "430102"
    return {"sfzh": citizen_id.make(region, date(1980, 1, 1) + timedelta(days=i), i, "M"),
            "xm": SURNAMES[i % 10] + "三", "sjhm": f"138{i:04d}{5678 + i:04d}",
            "zz": f"湖南省长沙市岳麓区岳麓街道麓山南路{i + 1}号", "yhkh": f"622202123456789{i:04d}",
            "zb": f"112.93{i:04d},28.22{i:04d}", "dqdm": region, "nl": str(20 + i)}


@pytest.fixture
def world(db, tmp_path, departments, make_user, make_resource):
    """公安局 publishes a 30-row population table; 住建局 has a user; make_grant(...) gives 住建局 a grant."""
    resource = make_resource("常住人口", department=departments["police"], state="published", items=ITEMS)
    officer = accounts.actor_for(make_user("gaj_officer", roles=["data_officer"], department=departments["police"]))
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=ALL)
        writer.writeheader()
        writer.writerows(person(i) for i in range(ROWS))
    report = datasets.import_file(db, actor=officer, resource_id=resource.id, path=path, filename="people.csv")
    assert report.ok, report.errors

    def new_version(people):
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=ALL)
            writer.writeheader()
            writer.writerows(people)
        done = datasets.import_file(db, actor=officer, resource_id=resource.id, path=path, filename="v.csv")
        assert done.ok, done.errors
    consumer = make_user("zjj_user", roles=["dept_user"], department=departments["housing"])
    stranger = make_user("district_user", roles=["dept_user"], department=departments["district"])
    admin = make_user("platform_admin", roles=["admin"], department=departments["data_bureau"])

    def make_grant(items=tuple(ALL), *, plain=(), row_filter=None, days=30, delivery="api", approved=False,
                   department=None):
        today = clock.now().date()
        dept = department or departments["housing"]
        req = ShareRequest(resource_id=resource.id, resource_name=resource.name, share_type="conditional",
                           provider_department_id=departments["police"].id, consumer_department_id=dept.id,
                           purpose="住房保障资格审核", basis="《公共租赁住房管理办法》", items=list(items),
                           row_filter=row_filter, period_start=today, period_end=today + timedelta(days=days),
                           delivery=delivery, state="granted", due_date=today + timedelta(days=10))
        db.add(req)
        db.flush()
        grant = Grant(request_id=req.id, resource_id=resource.id, consumer_department_id=dept.id,
                      provider_department_id=departments["police"].id, items=list(items), row_filter=row_filter,
                      plain_items=list(plain), purpose=req.purpose, starts_on=today - timedelta(days=1),
                      expires_at=clock.now() + timedelta(days=days), delivery=delivery,
                      file_export_approved=approved)
        db.add(grant)
        db.commit()
        return grant

    return {"resource": resource, "consumer": consumer, "stranger": stranger, "admin": admin,
            "make_grant": make_grant, "new_version": new_version, "url": f"/api/v1/exchange/resources/{resource.id}/rows"}


def get(client, world, auth_headers, params=None, user=None):
    return client.get(world["url"], params=params or {}, headers=auth_headers(user or world["consumer"]))


def test_granted_rows_are_masked_with_the_default_rules(client, world, auth_headers):
    world["make_grant"]()
    r = get(client, world, auth_headers, {"size": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["fields"] == ALL and body["count"] == 5
    assert set(body["masked"]) == {"sfzh", "xm", "sjhm", "zz", "yhkh", "zb"}
    first, src = body["items"][0], person(0)
    assert first["sfzh"] == src["sfzh"][:4] + "*" * 10 + src["sfzh"][-4:]
    assert first["sjhm"] == "138****5678"
    assert first["xm"] == "张*"
    assert first["zz"] == "湖南省长沙市岳麓区岳麓街道****"
    assert first["yhkh"] == "*" * 15 + src["yhkh"][-4:]
    assert first["zb"] == "112.93,28.22"
    assert first["dqdm"] == "430102" and first["nl"] == 20  # general items pass as they are


def test_plain_items_of_the_grant_are_not_masked_and_may_be_filtered(client, world, auth_headers):
    world["make_grant"](plain=["xm"])
    body = get(client, world, auth_headers, {"filter[xm]": "王三"}).json()
    assert body["masked"] == ["sfzh", "sjhm", "zz", "yhkh", "zb"]
    assert {row["xm"] for row in body["items"]} == {"王三"} and body["count"] == 3


def test_only_granted_items_and_rows_leave(client, world, auth_headers):
    world["make_grant"](["xm", "dqdm", "nl"], row_filter={"dqdm": {"prefix": "430104"}})
    body = get(client, world, auth_headers, {"size": 100}).json()
    assert body["fields"] == ["xm", "dqdm", "nl"]
    assert body["count"] == ROWS // 2 and {row["dqdm"] for row in body["items"]} == {"430104"}
    for asked in ({"fields": "xm,sfzh"}, {"filter[sjhm]": "1"}, {"sort": "zz"}):
        r = get(client, world, auth_headers, asked)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    # a filter cannot widen the grant's rows
    assert get(client, world, auth_headers, {"filter[dqdm]": "430102"}).json()["count"] == 0


def test_filtering_or_sorting_on_a_masked_field_is_refused(client, world, auth_headers):
    world["make_grant"]()
    for params, fld in (({"filter[sfzh][prefix]": "430104"}, "filter[sfzh][prefix]"), ({"filter[xm]": "张三"},
                        "filter[xm]"), ({"sort": "-sjhm"}, "sort"), ({"sort": "nl,zb"}, "sort")):
        r = get(client, world, auth_headers, params)
        assert r.status_code == 422, r.text
        assert r.json()["field"] == fld and r.json()["code"] == "masked_field"
        assert "脱敏" in r.json()["detail"]


def test_operators_sorting_fields_and_csv(client, world, auth_headers):
    world["make_grant"]()
    ages = lambda p: [row["nl"] for row in get(client, world, auth_headers, p).json()["items"]]  # noqa: E731
    assert ages({"filter[nl][gte]": "45", "sort": "-nl"}) == [49, 48, 47, 46, 45]
    assert ages({"filter[nl][lt]": "22"}) == [20, 21]
    assert ages({"filter[nl][in]": "20,25,99"}) == [20, 25]
    assert len(ages({"filter[nl][ne]": "20"})) == ROWS - 1
    assert ages({"filter[nl][lte]": "23", "filter[nl][gt]": "21", "filter[dqdm][eq]": "430102"}) == [22]
    assert len(ages({"filter[dqdm][prefix]": "43010"})) == ROWS
    r = get(client, world, auth_headers, {"fields": "nl,xm", "format": "csv", "size": 2})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(r.text))) == [["nl", "xm"], ["20", "张*"], ["21", "王*"]]
    assert r.headers["X-Next-Cursor"]


@pytest.mark.parametrize("sort", [None, "-nl", "dqdm,-nl"])
def test_keyset_pages_walk_every_row_once(client, world, auth_headers, sort):
    world["make_grant"]()
    params = {"size": 7, "fields": "nl,dqdm"} | ({"sort": sort} if sort else {})
    seen, after, pages = [], None, 0
    while True:
        r = get(client, world, auth_headers, params | ({"after": after} if after else {}))
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [(row["dqdm"], row["nl"]) for row in body["items"]]
        pages += 1
        after = body["next"]
        if not after:
            break
    assert pages == 5 and len(seen) == ROWS and len(set(seen)) == ROWS
    if sort == "-nl":
        assert [n for _, n in seen] == sorted((n for _, n in seen), reverse=True)
    if sort == "dqdm,-nl":
        assert seen == sorted(seen, key=lambda x: (x[0], -x[1]))


@pytest.mark.parametrize("size", ["1001", "1000000", "0", "-1", "abc", "1e3", ""])
def test_huge_or_bad_page_sizes_are_refused(client, world, auth_headers, size):
    world["make_grant"]()
    r = get(client, world, auth_headers, {"size": size})
    assert r.status_code == 422 and r.json()["field"] == "size"


INJECTIONS = ["' OR '1'='1", "1; DROP TABLE exchange_grant; --", "nl) UNION SELECT sfzh FROM ds_1_v1 --",
              "\" OR 1=1 --", "%' --", "nl,(select 1)", "\x00", "ｎｌ", "1 OR 1=1"]


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_attempts_in_every_parameter_are_refused_or_inert(client, world, auth_headers, db, attack):
    world["make_grant"]()
    attempts = [{"filter[nl]": attack}, {"filter[dqdm]": attack}, {"filter[dqdm][prefix]": attack},
                {"filter[nl][in]": attack}, {f"filter[{attack}]": "1"}, {f"filter[nl][{attack}]": "1"},
                {"sort": attack}, {"fields": attack}, {"after": attack}, {"format": attack}, {"size": attack},
                {attack: "1"}]
    for params in attempts:
        r = get(client, world, auth_headers, params)
        assert r.status_code in (200, 422), (params, r.text)
        if r.status_code == 200:  # a string compared as a bound value matches nothing
            assert r.json()["count"] == 0, params
        else:
            assert r.json().get("field"), (params, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert not any(w in r.text.lower() for w in ("traceback", "sqlalchemy", "sqlite", "psycopg"))
    assert get(client, world, auth_headers, {"size": 1000}).json()["count"] == ROWS
    assert db.scalar(select(Grant).where(Grant.resource_id == world["resource"].id)) is not None


def test_revocation_stops_the_very_next_call(client, world, auth_headers, db):
    grant = world["make_grant"]()
    assert get(client, world, auth_headers).status_code == 200
    grant.revoked_at = clock.now()
    db.commit()
    r = get(client, world, auth_headers)
    assert r.status_code == 403 and r.json()["code"] == "no_grant"


def test_no_grant_expired_grant_other_department_and_anonymous(client, world, auth_headers, db):
    assert get(client, world, auth_headers).status_code == 403  # none
    world["make_grant"]()
    assert get(client, world, auth_headers, user=world["stranger"]).status_code == 403  # other department
    grant = db.scalar(select(Grant))
    grant.expires_at = clock.now() - timedelta(seconds=1)
    db.commit()
    assert get(client, world, auth_headers).status_code == 403  # expired
    assert client.get(world["url"]).status_code == 401
    assert client.get("/api/v1/exchange/resources/99999999999/rows",
                      headers=auth_headers(world["consumer"])).status_code in (403, 404, 422)


def test_every_delivery_is_audited(client, world, auth_headers, db):
    grant = world["make_grant"]()
    get(client, world, auth_headers, {"size": 4, "fields": "xm,nl", "filter[nl][gte]": "21"})
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.delivery")).one()
    assert entry.actor_username == "zjj_user" and entry.actor_department_id == world["consumer"].department_id
    assert entry.target_kind == "exchange.grant" and entry.target_id == str(grant.id)
    assert entry.detail["items"] == ["xm", "nl"] and entry.detail["rows"] == 4
    assert entry.detail["masked"] == ["xm"] and entry.detail["masking"] == {"xm": "name"}
    assert entry.detail["grant_id"] == grant.id and entry.detail["filters"] == [["nl", "gte", "21"]]
    db.refresh(grant)
    assert grant.use_count == 1 and grant.rows_delivered == 4


def test_file_export_of_personal_data_needs_the_providers_approval(client, world, auth_headers, db):
    grant = world["make_grant"](delivery="file")
    url = world["url"].replace("/rows", "/export")
    r = client.get(url, headers=auth_headers(world["consumer"]))
    assert r.status_code == 403 and r.json()["code"] == "export_not_approved"
    grant.file_export_approved = True
    db.commit()
    r = client.get(url, headers=auth_headers(world["consumer"]))
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0] == [i["label"] for i in ITEMS] and len(rows) == ROWS + 1  # a file for people: labels
    assert rows[1][1] == "张*" and rows[1][2] == "138****5678"
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.export")).one()
    assert entry.detail["rows"] == ROWS and "sfzh" in entry.detail["masked"]


def test_api_grant_of_general_items_cannot_be_exported_as_a_file(client, world, auth_headers):
    world["make_grant"](["dqdm", "nl"])
    r = client.get(world["url"].replace("/rows", "/export"), headers=auth_headers(world["consumer"]))
    assert r.status_code == 403


def test_cursors_are_checked_whatever_the_parameter_order(client, world, auth_headers):
    world["make_grant"]()
    first = get(client, world, auth_headers, {"sort": "-nl", "size": 3}).json()
    r = client.get(f"{world['url']}?after={first['next']}&size=3&sort=-nl", headers=auth_headers(world["consumer"]))
    assert [row["nl"] for row in r.json()["items"]] == [46, 45, 44]
    # a cursor of one ordering cannot be replayed with another, nor forged
    for params in ({"after": first["next"]}, {"after": first["next"] + "x", "sort": "-nl"},
                   {"after": "W1siYSJdLDFd", "sort": "-nl"}, {"after": "x" * 5000}):
        r = get(client, world, auth_headers, params)
        assert r.status_code == 422 and r.json()["field"] == "after", (params, r.text)


@pytest.mark.parametrize("sort", ["nl", "-nl", "-dqdm,nl"])
def test_keyset_pages_keep_rows_whose_sort_key_is_empty(client, world, auth_headers, sort):
    world["make_grant"]()
    world["new_version"]([person(i) | ({"nl": ""} if i % 3 == 0 else {}) for i in range(ROWS)])
    seen, after = [], None
    while True:
        body = get(client, world, auth_headers, {"size": 4, "sort": sort, "fields": "sfzh,nl,dqdm"}
                   | ({"after": after} if after else {})).json()
        assert body["version"] == 2
        seen += [(row["sfzh"], row["nl"]) for row in body["items"]]
        if not (after := body["next"]):
            break
    assert len(seen) == ROWS and len(set(seen)) == ROWS
    assert sum(1 for _, n in seen if n is None) == ROWS // 3
