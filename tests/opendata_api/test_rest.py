"""The open REST API (/api/v1/open): search with facets, a dataset, its rows (filters, fields, sort, keyset and
offset pages, CSV), masking, conditional access and bad input."""

from __future__ import annotations

import csv
import io

from zhicheng.policy.models import AuditEntry


def test_search_with_facets_and_pagination(open_catalog, client):
    r = client.get("/api/v1/open/datasets", params={"q": "空气质量"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 1 and body["items"][0]["name"] == "长沙市空气质量日报"
    assert body["items"][0]["theme"] == {
        "key": "environment",
        "label": "生态环保",
        "label_en": "Ecology and environment",
    }
    assert {f["value"] for f in body["facets"]["open_type"]} == {"unconditional"}
    everything = client.get("/api/v1/open/datasets", params={"size": 1}).json()
    assert everything["total"] == 2 and len(everything["items"]) == 1
    page2 = client.get("/api/v1/open/datasets", params={"size": 1, "page": 2}).json()
    assert page2["items"][0]["id"] != everything["items"][0]["id"]
    cond = client.get("/api/v1/open/datasets", params={"open_type": "有条件开放"}).json()
    assert [d["name"] for d in cond["items"]] == ["守信企业名单"]
    assert client.get("/api/v1/open/datasets", params={"open_type": "none"}).json()["total"] == 0


def test_dataset_detail(open_catalog, client):
    body = client.get(f"/api/v1/open/datasets/{open_catalog.air.id}").json()
    assert body["code"] == open_catalog.air.code and body["versions"][0]["rows"] == 30
    assert body["downloads"]["csv"].endswith(f"/open/datasets/{open_catalog.air.id}/download.csv?columns=names")
    assert [i["name"] for i in body["items"] if i["masked"]] == ["contact"]
    slug = open_catalog.air.code.replace("/", "-")
    assert client.get(f"/api/v1/open/datasets/{slug}").json()["id"] == open_catalog.air.id
    for hidden in (open_catalog.people.id, open_catalog.draft.id, 999999, "x" * 100):
        r = client.get(f"/api/v1/open/datasets/{hidden}")
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_rows_filters_sort_fields_and_keyset_pages(open_catalog, client, db):
    url = f"/api/v1/open/datasets/{open_catalog.air.id}/rows"
    r = client.get(
        url,
        params={
            "filter[station]": "岳麓山站",
            "filter[aqi][gte]": "50",
            "sort": "-aqi",
            "fields": "station,aqi",
            "size": 2,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 5 and [i["aqi"] for i in body["items"]] == [69, 65]
    assert set(body["items"][0]) == {"_id", "station", "aqi"}
    seen = [i["aqi"] for i in body["items"]]
    while body["next"]:
        body = client.get(
            url,
            params={
                "filter[station]": "岳麓山站",
                "filter[aqi][gte]": "50",
                "sort": "-aqi",
                "fields": "station,aqi",
                "size": 2,
                "after": body["next"],
            },
        ).json()
        seen += [i["aqi"] for i in body["items"]]
    assert seen == [69, 65, 61, 57, 53]
    # natural order, keyset and offset agree
    first = client.get(url, params={"size": 10}).json()
    second = client.get(url, params={"size": 10, "after": first["next"]}).json()
    by_offset = client.get(url, params={"size": 10, "offset": 10}).json()
    assert (
        [i["_id"] for i in second["items"]] == [i["_id"] for i in by_offset["items"]] == list(range(11, 21))
    )
    assert all(i["contact"].startswith("138****") for i in first["items"])
    assert db.query(AuditEntry).filter(AuditEntry.action == "opendata.rows").count() >= 3


def test_rows_as_csv(open_catalog, client):
    r = client.get(f"/api/v1/open/datasets/{open_catalog.air.id}/rows", params={"format": "csv", "size": 3})
    assert r.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(r.text)))
    assert table[0] == ["_id", "station", "day", "aqi", "pm25", "contact"] and len(table) == 4
    assert table[1][5] == "138****0000" and r.headers["x-masked-fields"] == "contact"


def test_rows_bad_input_is_refused_clearly(open_catalog, client):
    url = f"/api/v1/open/datasets/{open_catalog.air.id}/rows"
    cases = [
        ({"filter[contact]": "13800130000"}, "filter[contact]"),
        ({"sort": "contact"}, "sort"),
        ({"filter[aqi][gte]": "abc"}, "filter[aqi][gte]"),
        ({"filter[aqi][like]": "1"}, "filter[aqi][like]"),
        ({"filter[nope]": "1"}, "filter[nope]"),
        ({"size": "20000"}, "size"),
        ({"after": "!!!"}, "after"),
        ({"fields": "station,'; DROP TABLE x;--"}, "fields"),
        ({"bogus": "1"}, "bogus"),
        ({"filter[station]": "x" * 5000}, "filter[station]"),
    ]
    for params, field in cases:
        r = client.get(url, params=params)
        assert r.status_code == 422, (params, r.text)
        problem = r.json()
        assert problem["field"] == field and "Traceback" not in r.text and "13800130000" not in r.text
    hostile = client.get(url, params={"filter[station]": "' OR 1=1 --"}).json()
    assert hostile["total"] == 0


def test_conditional_rows_need_a_key_and_not_open_rows_are_hidden(open_catalog, client):
    r = client.get(f"/api/v1/open/datasets/{open_catalog.credit.id}/rows")
    assert r.status_code in (401, 403)
    r = client.get(f"/api/v1/open/datasets/{open_catalog.people.id}/rows")
    assert r.status_code == 404 and "张三" not in r.text


def test_openapi_documents_the_open_api(client):
    spec = client.get("/api/openapi.json").json()
    assert "/api/v1/open/datasets/{dataset_id}/rows" in spec["paths"]
    assert "/api/3/action/{name}" in spec["paths"]
