"""One row protocol: the same filter text gives the same rows, in the same order and pages, through the sharing
API (under a grant) and the open REST API; a bad or tampered request is refused by both, naming the same field."""

from __future__ import annotations

import csv
import urllib.parse

import pytest

from zhicheng.catalog.datasets import service as datasets
from zhicheng.catalog.datasets.rowquery import cursor
from zhicheng.core.actor import SYSTEM
from zhicheng.opendata.ckan import search as ckan_search

ITEMS = [
    {"name": "station", "label": "监测站点", "type": "string", "length": 50},
    {"name": "day", "label": "监测日期", "type": "date"},
    {"name": "aqi", "label": "空气质量指数", "type": "integer"},
    {"name": "pm25", "label": "PM2.5浓度", "type": "decimal", "length": 8, "scale": 1},
]
STATIONS = ["湘江中路站", "岳麓山站", "火车站站", "马坡岭站"]
QUERIES = [
    "",
    "filter[aqi][gte]=50&sort=-aqi",
    "filter[station][in]=岳麓山站,火车站站&filter[day][lt]=2026-11-20&sort=station,-day",
    "filter[station][prefix]=岳&fields=station,aqi&sort=aqi",
    "filter[pm25][ne]=20.0&filter[aqi][lte]=60&sort=-pm25,station",
    "filter[day]=2026-11-05",
]


@pytest.fixture
def both(db, client, tmp_path, make_resource, departments, make_grant, exchange_users, auth_headers):
    """公安局 opens a resource without personal fields (unconditional) and grants all of it to 住建局;
    `read(api, query)` pages through one API with `size=4` and returns every row (without `_id`)."""
    ckan_search.clear_cache()
    res = make_resource("统一行协议测试", department=departments["police"], state="published", items=ITEMS,
                        open_type="unconditional", catalog_class="theme", subclass="environment")
    path = tmp_path / "air.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([i["name"] for i in ITEMS])
        for n in range(23):
            writer.writerow([STATIONS[n % 4], f"2026-11-{n % 9 + 1:02d}", "" if n % 7 == 3 else 40 + n % 11,
                             f"{10 + n % 5 * 2.5:.1f}"])
    report = datasets.import_file(db, actor=SYSTEM, resource_id=res.id, path=path, filename="air.csv")
    assert report.ok, report.errors[:3]
    make_grant(res, items=[i["name"] for i in ITEMS])
    ckan_search.clear_cache()
    urls = {"sharing": f"/api/v1/exchange/resources/{res.id}/rows", "open": f"/api/v1/open/datasets/{res.id}/rows"}
    headers = {"sharing": auth_headers(exchange_users["consumer_user"]), "open": {}}

    def get(api: str, query: str):
        return client.get(f"{urls[api]}?{query}", headers=headers[api])

    def read(api: str, query: str) -> list[dict]:
        seen, after = [], None
        for _ in range(20):
            extra = "size=4" + (f"&after={urllib.parse.quote(after)}" if after else "")
            r = get(api, f"{query}&{extra}" if query else extra)
            assert r.status_code == 200, (api, query, r.text)
            body = r.json()
            seen += [{k: str(v) for k, v in row.items() if k != "_id"} for row in body["items"]]
            if not (after := body["next"]):
                return seen
        raise AssertionError("more than 20 pages")

    return get, read


@pytest.mark.parametrize("query", QUERIES)
def test_the_same_filter_text_gives_the_same_rows_through_both_apis(both, query):
    _get, read = both
    sharing, opened = read("sharing", query), read("open", query)
    assert sharing == opened and sharing, query


@pytest.mark.parametrize(("query", "field"), [
    ("filter[aqi][gte]=many", "filter[aqi][gte]"),
    ("filter[aqi][like]=1", "filter[aqi][like]"),
    ("filter[nope]=1", "filter[nope]"),
    ("sort=-nope", "sort"),
    ("fields=", "fields"),
    ("bogus=1", "bogus"),
    ("sort=aqi&sort=day", "sort"),
    ("filter[station][in]=" + ",".join(["x"] * 101), "filter[station][in]"),
    ("sort=aqi&after=" + cursor.encode([40, 2**40]), "after"),  # a row number no table holds
    ("sort=aqi&after=" + cursor.encode([40]), "after"),
])
def test_both_apis_refuse_a_bad_request_naming_the_same_field(both, query, field):
    get, _read = both
    for api in ("sharing", "open"):
        r = get(api, query)
        assert r.status_code == 422 and r.json()["field"] == field, (api, query, r.text)
