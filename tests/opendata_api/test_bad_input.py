"""Hostile and broken input to the CKAN API: clear CKAN-style errors with the right status, no stack trace, no
masked value, no 不予开放 resource, and nothing stored changes."""

from __future__ import annotations

import json

import httpx
import pytest

from zhicheng.opendata.ckan import service as ckan

HIDDEN = ("户籍人口名册", "张三", "13800130000", "Traceback", "sqlite3", "psycopg")


def call(live_server, action: str, params: dict | None = None, *, post: bool = False) -> httpx.Response:
    url = f"{live_server.url}/api/3/action/{action}"
    if post:
        return httpx.post(url, content=json.dumps(params or {}), headers={"Content-Type": "application/json"})
    return httpx.get(url, params=params or {})


def clean(r: httpx.Response) -> dict:
    for word in HIDDEN:
        assert word not in r.text, (word, r.text[:300])
    body = r.json()
    assert set(body) >= {"help", "success"}
    return body


@pytest.mark.parametrize(
    "q",
    [
        '"NEAR(空气 质量)" OR * AND -',
        "'; DROP TABLE catalog_resource; --",
        "空气" * 50_000,
        "户籍 OR 1=1",
        "\x00",
        "a:b:c",
        "(((",
        "* NOT 空气",
    ],
)
def test_hostile_search_queries_are_harmless(open_catalog, live_server, q):
    r = call(live_server, "package_search", {"q": q}, post=True)
    body = clean(r)
    assert r.status_code in (200, 409)
    if body["success"]:
        assert {p["title"] for p in body["result"]["results"]} <= {"长沙市空气质量日报", "守信企业名单"}


@pytest.mark.parametrize(
    "fq",
    [
        "organization:x OR 1=1",
        "state:draft",
        "tags:[a TO b]",
        "metadata_modified:[yesterday TO *]",
        "open_type:(none OR bogus)",
        "x" * 5000,
        'name:"a" ; DROP TABLE x',
        "(open_type:conditional",
        "open_type:conditional)",
        "tags:",
        "organization:(tags:a)",
        "(" * 30 + "tags:a" + ")" * 30,
        "-",
        "*:x",
    ],
)
def test_unsupported_or_hostile_fq_is_a_validation_error(open_catalog, live_server, fq):
    r = call(live_server, "package_search", {"fq": fq})
    body = clean(r)
    assert r.status_code == 409 and body["error"]["__type"] == "Validation Error" and "fq" in body["error"]


def test_not_open_values_in_fq_find_nothing(open_catalog, live_server):
    body = clean(call(live_server, "package_search", {"fq": "open_type:none"}))
    assert body["result"]["count"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"rows": "-1"},
        {"rows": "ten"},
        {"start": "-5"},
        {"sort": "name asc; DROP TABLE x"},
        {"facet.field": "[not json"},
        {"facet.limit": "many"},
    ],
)
def test_bad_search_parameters(open_catalog, live_server, params):
    r = call(live_server, "package_search", params)
    body = clean(r)
    assert r.status_code == 409 and not body["success"]


@pytest.mark.parametrize(
    "ident", [["a", "b"], {"x": 1}, "", " ", "../../etc/passwd", "9" * 300, "1; DROP TABLE x"]
)
def test_unknown_or_malformed_ids(open_catalog, live_server, ident):
    r = call(live_server, "package_show", {"id": ident}, post=True)
    body = clean(r)
    assert r.status_code in (404, 409) and not body["success"]


def test_datastore_bad_input(open_catalog, live_server):
    pkg = clean(call(live_server, "package_show", {"id": open_catalog.air.code}))["result"]
    rid = pkg["resources"][0]["id"]
    cases = [
        ({"limit": -1}, "limit"),
        ({"offset": -1}, "offset"),
        ({"filters": "{bad json"}, "filters"),
        ({"filters": "[1, 2]"}, "filters"),
        ({"filters": {"nope": 1}}, "filters.nope"),
        ({"filters": {"aqi": "abc"}}, "filters.aqi"),
        ({"filters": {"station": {"$ne": 1}}}, "filters.station"),
        ({"sort": "aqi; DROP TABLE x"}, "sort"),
        ({"sort": "nope desc"}, "sort"),
        ({"fields": ["station", "nope"]}, "fields"),
        ({"q": "x" * 1000}, "q"),
        ({"q": {"nope": "x"}}, "q.nope"),
        ({"records_format": "xml"}, "records_format"),
        ({"filters": {"aqi": list(range(500))}}, "filters.aqi"),
    ]
    for params, field in cases:
        r = call(live_server, "datastore_search", {"resource_id": rid, **params}, post=True)
        body = clean(r)
        assert r.status_code == 409, (params, r.text[:300])
        assert body["error"]["__type"] == "Validation Error" and field in body["error"], (
            params,
            body["error"],
        )
    missing = call(live_server, "datastore_search", {}, post=True)
    assert missing.status_code == 409 and "resource_id" in clean(missing)["error"]
    # an injection attempt in a filter value is a value like any other: it matches nothing
    body = clean(
        call(
            live_server,
            "datastore_search",
            {"resource_id": rid, "filters": {"station": "' OR 1=1 --"}},
            post=True,
        )
    )
    assert body["result"]["total"] == 0 and body["result"]["records"] == []


def test_nothing_stored_changes(open_catalog, live_server):
    before_list = clean(call(live_server, "package_list"))["result"]
    rid = ckan.resource_uuid(open_catalog.air.id, 1, "csv")
    for q in ("'; DROP TABLE ds_1_v1; --", "1); DELETE FROM catalog_resource; --"):
        call(live_server, "package_search", {"q": q})
        call(
            live_server,
            "datastore_search",
            {"resource_id": rid, "q": q, "filters": json.dumps({"station": q})},
        )
    assert clean(call(live_server, "package_list"))["result"] == before_list
    page = clean(call(live_server, "datastore_search", {"resource_id": rid, "limit": 1}))["result"]
    assert page["total"] == 30


def test_garbage_bodies(open_catalog, live_server):
    url = f"{live_server.url}/api/3/action/package_show"
    for content, ctype in (
        (b"\xff\xfe\x00", "application/json"),
        (b"[1,2,3]", "application/json"),
        (b"x" * 2_000_000, "application/json"),
        (b"id=%ZZ", "application/x-www-form-urlencoded"),
    ):
        r = httpx.post(url, content=content, headers={"Content-Type": ctype})
        body = clean(r)
        assert r.status_code in (404, 409) and not body["success"]
