"""OGC API - Features through HTTP (TestClient): landing page, conformance, OpenAPI, collections, items with paging
links, one item, queryables, CRS, CQL2, HTML pages, and bad input as problem+json, never a 5xx."""

from __future__ import annotations

import pytest

from zhicheng.geo.layers import features_api, service

BASE = "/ogc/features"


def cid(res) -> str:
    return service.collection_id(res.code)


def test_landing_conformance_and_api(client):
    r = client.get(BASE + "/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    rels = {link["rel"] for link in r.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = client.get(BASE + "/conformance").json()["conformsTo"]
    assert conf == features_api.CONFORMANCE
    api = client.get(BASE + "/api")
    assert api.status_code == 200 and api.json()["openapi"].startswith("3.0")
    assert "/collections/{collectionId}/items" in api.json()["paths"]
    page = client.get(BASE + "/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "要素服务" in page.text


def test_collections_and_collection(client, parks_layer, closed_layer):
    doc = client.get(BASE + "/collections").json()
    ids = [c["id"] for c in doc["collections"]]
    assert cid(parks_layer) in ids and cid(closed_layer) not in ids  # anonymous: open layers only
    one = client.get(f"{BASE}/collections/{cid(parks_layer)}").json()
    assert one["title"] == "城市公园" and one["itemType"] == "feature"
    assert one["extent"]["spatial"]["bbox"][0] == pytest.approx([112.90, 28.10, 113.02, 28.26])
    assert "http://www.opengis.net/def/crs/EPSG/0/3857" in one["crs"]
    assert one["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/4490"
    html = client.get(f"{BASE}/collections/{cid(parks_layer)}?f=html")
    assert html.status_code == 200 and "城市公园" in html.text and "几何类型" in html.text


def test_items_paging_links_and_counts(client, parks_layer):
    r = client.get(f"{BASE}/collections/{cid(parks_layer)}/items", params={"limit": 3, "sortby": "mc"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    doc = r.json()
    assert doc["numberMatched"] == 7 and doc["numberReturned"] == 3
    seen = [f["id"] for f in doc["features"]]
    while True:
        nxt = [link["href"] for link in doc["links"] if link["rel"] == "next"]
        if not nxt:
            break
        doc = client.get(nxt[0]).json()
        seen += [f["id"] for f in doc["features"]]
        assert any(link["rel"] == "prev" for link in doc["links"])
    assert sorted(seen) == [1, 2, 3, 4, 5, 6, 7]


def test_items_bbox_filter_crs(client, parks_layer):
    url = f"{BASE}/collections/{cid(parks_layer)}/items"
    doc = client.get(url, params={"bbox": "112.95,28.18,112.99,28.20"}).json()
    assert doc["numberMatched"] == 4
    # the same box in Web Mercator
    doc = client.get(url, params={"bbox": "12573759,3271800,12578212,3274344",
                                  "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/3857"}).json()
    assert {f["properties"]["mc"] for f in doc["features"]} >= {"橘子洲", "天心阁"}
    doc = client.get(url, params={"filter": "lx = '湿地' OR mj BETWEEN 100 AND 140", "filter-lang": "cql2-text"}).json()
    assert {f["properties"]["mc"] for f in doc["features"]} == {"洋湖湿地", "烈士公园", "月湖公园"}
    r = client.get(url, params={"filter": "mc = '橘子洲'", "crs": "http://www.opengis.net/def/crs/EPSG/0/4326"})
    assert r.headers["content-crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4326>"
    assert r.json()["features"][0]["geometry"]["coordinates"] == pytest.approx([28.186, 112.962])
    r = client.get(url, params={"filter": "mc = '橘子洲'", "crs": "http://www.opengis.net/def/crs/zhicheng/0/GCJ02"})
    assert r.status_code == 200 and r.headers["content-crs"].endswith("GCJ02>")
    one = client.get(f"{url}/2").json()
    assert one["type"] == "Feature" and one["id"] == 2 and one["properties"]["lxdh"] == "138****0002"


def test_queryables_as_query_parameters(client, parks_layer):
    url = f"{BASE}/collections/{cid(parks_layer)}/items"
    doc = client.get(url, params={"lx": "湿地"}).json()
    assert [f["properties"]["mc"] for f in doc["features"]] == ["洋湖湿地"]
    assert client.get(url, params={"rs": "12000", "mc": "烈士公园"}).json()["numberMatched"] == 1
    r = client.get(url, params={"rs": "many"})
    assert r.status_code == 400 and r.json()["field"] == "rs"
    r = client.get(url, params={"lxdh": "13807310002"})  # masked for the public: refused, not answered
    assert r.status_code == 400 and r.json()["field"] == "lxdh"
    api = client.get(f"{BASE}/api").json()
    names = {p.get("name") for p in api["paths"][f"/collections/{cid(parks_layer)}/items"]["get"]["parameters"]}
    assert {"mc", "lx", "mj"} <= names and "lxdh" not in names


def test_queryables_leave_out_masked_items(client, parks_layer):
    r = client.get(f"{BASE}/collections/{cid(parks_layer)}/queryables")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/schema+json")
    props = r.json()["properties"]
    assert props["mj"]["type"] == "number" and props["fw"]["format"] == "geometry-any" and "lxdh" not in props


def test_html_pages(client, parks_layer):
    items = client.get(f"{BASE}/collections/{cid(parks_layer)}/items", params={"f": "html", "limit": 2})
    assert items.status_code == 200 and "共 7 个要素" in items.text and "下一页" in items.text
    one = client.get(f"{BASE}/collections/{cid(parks_layer)}/items/1", headers={"Accept": "text/html"})
    assert one.status_code == 200 and "岳麓山公园" in one.text
    assert client.get(f"{BASE}/collections?f=html").status_code == 200
    assert client.get(f"{BASE}/conformance?f=html").status_code == 200
    assert client.get(f"{BASE}/collections/{cid(parks_layer)}/queryables?f=html").status_code == 200


@pytest.mark.parametrize("params,field", [
    ({"bbox": "-200,-100,200,100"}, "bbox"),
    ({"bbox": "a,b,c,d"}, "bbox"),
    ({"limit": "0"}, "limit"),
    ({"limit": "100001"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"offset": "-1"}, "offset"),
    ({"filter": "mc = = 3"}, "filter"),
    ({"filter": "S_INTERSECTS(fw, POINT(1 2)"}, "filter"),
    ({"filter": "{\"op\": \"=\"", "filter-lang": "cql2-json"}, "filter"),
    ({"filter-lang": "sql", "filter": "1=1"}, "filter-lang"),
    ({"crs": "EPSG:2000"}, "crs"),
    ({"sortby": "lxdh"}, "sortby"),
    ({"datetime": "yesterday"}, "datetime"),
    ({"f": "xml"}, "f"),
])
def test_bad_input_is_problem_json(client, parks_layer, params, field):
    r = client.get(f"{BASE}/collections/{cid(parks_layer)}/items", params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field


def test_unknown_collection_and_feature(client, parks_layer, closed_layer):
    for url in (f"{BASE}/collections/nope", f"{BASE}/collections/nope/items", f"{BASE}/collections/1-2/items/1",
                f"{BASE}/collections/{cid(closed_layer)}/items", f"{BASE}/collections/{cid(parks_layer)}/items/999",
                f"{BASE}/collections/{cid(parks_layer)}/items/abc"):
        r = client.get(url)
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json"), url


def test_malformed_cql2_names_the_position(client, parks_layer):
    r = client.get(f"{BASE}/collections/{cid(parks_layer)}/items", params={"filter": "mc = = 3"})
    assert r.status_code == 400 and "第 1 行第 6 列" in r.json()["detail"]


def test_datetime_picks_the_version_in_force(client, db, parks_layer, layer_actors, tmp_path):
    from datetime import timedelta

    from tests.geo.layers.conftest import PARKS, write_geojson
    from zhicheng.catalog.datasets import service as datasets
    from zhicheng.core import clock

    before = clock.now()
    path = tmp_path / "parks2.geojson"
    write_geojson(path, PARKS[:3])
    clock.advance(timedelta(hours=1))
    assert datasets.import_file(db, actor=layer_actors["officer"], resource_id=parks_layer.id, path=path,
                                filename="parks2.geojson").ok
    from zhicheng.geo.layers import index

    built = index.registered(db.connection(), parks_layer.id, 2)  # built by the import's event, before any read
    assert built is not None and built.feature_count == 3
    url = f"{BASE}/collections/{cid(parks_layer)}/items"
    assert client.get(url).json()["numberMatched"] == 3
    old = (before + timedelta(minutes=1)).isoformat()
    assert client.get(url, params={"datetime": old}).json()["numberMatched"] == 7
    r = client.get(url, params={"datetime": "2000-01-01T00:00:00Z"})
    assert r.status_code == 404 and r.json()["field"] == "datetime"


def test_next_links_page_by_row_and_give_what_offsets_give(client, parks_layer):
    """In row order a `next` link starts after the page's last row (keyset: a deep page costs what the first does);
    the walk gives exactly the offset pages' features; with sortby the links keep offsets; a bad `after` is a 400."""
    url = f"{BASE}/collections/{cid(parks_layer)}/items"
    seen, link, pages = [], f"{url}?limit=2", 0
    while link:
        doc = client.get(link).json()
        seen += [f["id"] for f in doc["features"]]
        nxt = [x["href"] for x in doc["links"] if x["rel"] == "next"]
        if nxt:
            assert "after=" in nxt[0]
        link = nxt[0].replace("http://testserver", "") if nxt else None
        pages += 1
        assert doc["numberMatched"] == 7
    by_offset = [f["id"] for o in range(0, 8, 2)
                 for f in client.get(url, params={"limit": 2, "offset": o}).json()["features"]]
    assert seen == by_offset == sorted(seen) and len(seen) == 7 and pages == 4
    boxed = client.get(url, params={"limit": 1, "bbox": "112.95,28.17,113.02,28.22"}).json()
    more = [x["href"] for x in boxed["links"] if x["rel"] == "next"][0]
    assert "bbox=" in more and "after=" in more  # the filter goes on with the cursor
    prev = [x["href"] for x in client.get(more.replace("http://testserver", "")).json()["links"] if x["rel"] == "prev"]
    assert prev and "after=" not in prev[0]
    sorted_doc = client.get(url, params={"limit": 2, "sortby": "-mj"}).json()
    assert all("after=" not in x["href"] for x in sorted_doc["links"])
    for params in ({"after": "-1"}, {"after": "x"}, {"after": str(2**31)}, {"after": "3", "sortby": "mj"}):
        r = client.get(url, params=params)
        assert r.status_code == 400 and "after" in r.text, params


@pytest.mark.parametrize("box", ["112.95,28.17,113.02,28.22", "112.0,27.0,114.0,29.0", "100,20,101,21"])
def test_bbox_pages_taken_in_the_index_give_what_one_page_gives(client, parks_layer, box):
    """A bbox alone pages in the spatial index (`index.spatial_page`): walking its `next` links one feature at a time,
    and its offset pages, give exactly the features of one page holding them all, in id order; with another condition
    (a CQL2 filter) the whole condition is used and agrees with it."""
    url = f"{BASE}/collections/{cid(parks_layer)}/items"
    whole = client.get(url, params={"bbox": box, "limit": 100}).json()
    ids = [f["id"] for f in whole["features"]]
    assert ids == sorted(ids) and whole["numberMatched"] == len(ids)
    walked, link = [], f"{url}?limit=1&bbox={box}"
    while link:
        doc = client.get(link).json()
        assert doc["numberMatched"] == len(ids)
        walked += [f["id"] for f in doc["features"]]
        nxt = [x["href"] for x in doc["links"] if x["rel"] == "next"]
        link = nxt[0].replace("http://testserver", "") if nxt else None
    by_offset = [f["id"] for o in range(len(ids) + 1)
                 for f in client.get(url, params={"limit": 1, "offset": o, "bbox": box}).json()["features"]]
    filtered = client.get(url, params={"bbox": box, "limit": 100, "filter": "mj >= 0"}).json()
    assert walked == by_offset == ids == [f["id"] for f in filtered["features"]]
