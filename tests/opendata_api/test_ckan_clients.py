"""Open data as real clients use it (issue #11): ckanext-harvest's sorts and incremental harvests, CKAN's q,
caps instead of refusals, formats that agree with what is served, typed DataStore records, the actions clients
call, GeoJSON from longitude/latitude columns, and content negotiation as curl, httpx and browsers send it."""

from __future__ import annotations

import json
import time

import ckanapi
import httpx
import pytest

from tests.opendata_api.helpers import _csv, _import
from zhicheng.opendata.ckan import search as ckan_search
from zhicheng.opendata.ckan import service as ckan

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PLACE_ITEMS = [
    {"name": "mc", "label": "场所名称", "type": "string", "length": 50, "required": True},
    {"name": "lng", "label": "经度", "type": "decimal", "length": 12, "scale": 6},
    {"name": "lat", "label": "纬度", "type": "decimal", "length": 12, "scale": 6},
    {"name": "rs", "label": "容纳人数", "type": "integer"},
]


@pytest.fixture
def more(open_catalog, make_resource, departments, db, tmp_path):
    """Beside the open catalog: an open dataset with no data yet, and shelters located by longitude/latitude
    columns (no geometry item) with some capacities unknown."""
    empty = make_resource(
        "城市公园名录（待导入）",
        department=departments["housing"],
        state="published",
        open_type="unconditional",
        catalog_class="theme",
        subclass="environment",
        tags=["公园"],
        items=PLACE_ITEMS[:1],
        summary="尚未导入数据。",
    )
    places = make_resource(
        "应急避难场所",
        department=departments["police"],
        state="published",
        open_type="unconditional",
        tags=["应急"],
        items=PLACE_ITEMS,
        spatial=True,
        summary="应急避难场所位置与容纳人数。",
    )
    rows = [
        ["贺龙体育中心", "112.981234", "28.180011", "5000"],
        ["烈士公园", "113.012345", "28.210022", ""],
        ["橘子洲", "112.958765", "28.190033", "3000"],
        ["省植物园", "113.021111", "28.110044", ""],
    ]
    _import(db, places, _csv(tmp_path / "places.csv", [i["name"] for i in PLACE_ITEMS], rows))
    ckan_search.clear_cache()
    return {"empty": empty, "places": places}


def _ids(found):
    return [p["id"] for p in found["results"]]


def test_harvesters_sort_on_every_sortable_field(open_catalog, more, ckan_client):
    everything = ckan_client.action.package_search(rows=100)["results"]
    by = {p["id"]: p for p in everything}
    assert ckan_client.action.package_search(sort="id asc", rows=100)["count"] == 4  # ckanext-harvest's gather
    assert _ids(ckan_client.action.package_search(sort="id asc", rows=100)) == sorted(by)
    assert _ids(ckan_client.action.package_search(sort="id desc", rows=100)) == sorted(by, reverse=True)
    names = [p["name"] for p in ckan_client.action.package_search(sort="name asc", rows=100)["results"]]
    assert names == sorted(names)
    titles = [p["title"] for p in ckan_client.action.package_search(sort="title_string desc", rows=100)["results"]]
    assert titles == sorted(titles, reverse=True)
    newest = ckan_client.action.package_search(sort="metadata_modified desc", rows=100)["results"]
    stamps = [p["metadata_modified"] for p in newest]
    assert stamps == sorted(stamps, reverse=True)
    created = ckan_client.action.package_search(sort="metadata_created asc, name desc", rows=100)["results"]
    assert [p["metadata_created"] for p in created] == sorted(p["metadata_created"] for p in created)
    assert ckan_client.action.package_search(q="空气", sort="score desc, metadata_modified desc")["count"] == 1
    with pytest.raises(ckanapi.ValidationError):
        ckan_client.action.package_search(sort="contact asc")


def test_q_reads_solr_syntax_and_caps_instead_of_refusing(open_catalog, more, ckan_client):
    def titles(**params):
        return sorted(p["title"] for p in ckan_client.call_action("package_search", params)["results"])

    assert ckan_client.action.package_search(q="*:*")["count"] == 4  # CKAN: everything
    assert titles(q="tags:信用") == ["守信企业名单"]
    assert titles(q="tags:信用 OR tags:应急") == ["守信企业名单", "应急避难场所"]
    assert titles(q="空气 OR 守信") == ["守信企业名单", "长沙市空气质量日报"]
    assert titles(q="空气 open_type:unconditional") == ["长沙市空气质量日报"]
    assert titles(q="text:空气") == ["长沙市空气质量日报"]
    with pytest.raises(ckanapi.ValidationError):
        ckan_client.action.package_search(q="nofield:x")
    capped = ckan_client.action.package_search(rows=5000)  # CKAN caps at ckan.search.rows_max (1000)
    assert capped["count"] == 4 and len(capped["results"]) == 4
    pkg = ckan_client.action.package_show(id=open_catalog.air.code)
    page = ckan_client.action.datastore_search(resource_id=pkg["resources"][0]["id"], limit=100_000)
    assert page["limit"] == 32_000 and len(page["records"]) == 30


def test_a_new_data_version_is_a_change_harvesters_see(open_catalog, ckan_client, client, db, tmp_path):
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCTERMS

    def dcat_modified() -> str:
        g = Graph().parse(data=client.get(f"/dataset/{open_catalog.air.id}.ttl").content, format="turtle")
        return str(g.value(URIRef(f"http://testserver/dataset/{open_catalog.air.id}"), DCTERMS.modified))

    before = ckan_client.action.package_show(id=open_catalog.air.code)["metadata_modified"]
    last_run = max(p["metadata_modified"] for p in ckan_client.action.package_search(rows=100)["results"])
    dcat_before = dcat_modified()
    time.sleep(1.1)  # DCAT's dct:modified has whole seconds
    rows = [["岳麓山站", "2026-12-01", "61", "20.5", "13800138000"]]
    _import(db, open_catalog.air, _csv(tmp_path / "air2.csv", ["station", "day", "aqi", "pm25", "contact"], rows))
    after = ckan_client.action.package_show(id=open_catalog.air.code)
    assert after["metadata_modified"] > before and after["version"] == "2"
    assert dcat_modified() > dcat_before
    # ckanext-harvest's incremental gather: what changed since its last run
    since = ckan_client.action.package_search(fq=f"metadata_modified:{{{last_run} TO *]")
    assert [p["title"] for p in since["results"]] == ["长沙市空气质量日报"]
    g = Graph().parse(data=client.get("/catalog.ttl", params={"modified_since": last_run}).content, format="turtle")
    codes = {str(o) for o in g.objects(None, DCTERMS.identifier)}  # inclusive, as ckanext-dcat's [since TO NOW]
    assert open_catalog.air.code in codes and len(codes) <= 2


def test_formats_and_counters_agree_with_what_is_served(open_catalog, more, ckan_client, client):
    empty = ckan_client.action.package_show(id=more["empty"].code)
    assert empty["resources"] == [] and empty["num_resources"] == 0
    found = ckan_client.call_action("package_search", {"fq": "res_format:CSV", "facet.field": ["res_format"]})
    assert empty["id"] not in _ids(found)
    assert found["facets"]["res_format"]["CSV"] == found["count"] == 3
    assert found["facets"]["res_format"]["GeoJSON"] == 1  # only the dataset that can be served so
    assert client.get(f"/api/v1/open/datasets/{more['empty'].id}").json()["downloads"] == {}
    air = ckan_client.action.package_show(id=open_catalog.air.code)
    for res in air["resources"]:  # the served file is written per download: no size or digest of another file
        assert res["size"] is None and res["hash"] == ""
    page = client.get(f"/open/datasets/{more['empty'].id}").text
    assert "下载 CSV" not in page and "浏览 " not in page
    listing = client.get("/open/datasets", params={"q": "城市公园名录"}).text
    card = listing.split("城市公园名录（待导入）", 1)[1].split("</article>", 1)[0]
    assert "CSV" not in card


def test_datastore_records_are_typed_nulls_last_and_distinct(open_catalog, more, ckan_client):
    rid = ckan.slug(more["places"].code)
    page = ckan_client.action.datastore_search(resource_id=rid, sort="rs asc")
    assert [r["rs"] for r in page["records"]] == [3000, 5000, None, None]  # as PostgreSQL sorts
    assert isinstance(page["records"][0]["lng"], float) and page["records"][0]["lng"] == 112.958765
    desc = ckan_client.action.datastore_search(resource_id=rid, sort="rs desc, mc asc")
    assert [r["rs"] for r in desc["records"]] == [None, None, 5000, 3000]
    air = ckan_client.action.package_show(id=open_catalog.air.code)["resources"][0]["id"]
    plain = ckan_client.action.datastore_search(resource_id=air, limit=1)["records"][0]
    assert plain["pm25"] == 10.0 and plain["aqi"] == 40  # numbers, not text
    stations = ckan_client.action.datastore_search(resource_id=air, fields=["station"], distinct=True, sort="station")
    assert stations["total"] == 4 and len(stations["records"]) == 4
    assert stations["records"] == sorted(stations["records"], key=lambda r: r["station"])
    assert all(set(r) == {"station"} for r in stations["records"])
    with pytest.raises(ckanapi.ValidationError):
        ckan_client.action.datastore_search(resource_id=air, distinct=True)  # contact is masked


def test_the_actions_clients_call(open_catalog, more, ckan_client, departments):
    licences = ckan_client.action.license_list()
    assert [lic["id"] for lic in licences] == ["cc-by-4.0"]
    tag = ckan_client.action.tag_show(id="空气质量", include_datasets=True)
    assert tag["name"] == "空气质量" and [p["title"] for p in tag["packages"]] == ["长沙市空气质量日报"]
    with pytest.raises(ckanapi.NotFound):
        ckan_client.action.tag_show(id="没有这个标签")
    found = ckan_client.action.package_autocomplete(q="空气")
    assert found == [
        {
            "name": ckan.slug(open_catalog.air.code),
            "title": "长沙市空气质量日报",
            "match_field": "title",
            "match_displayed": f"长沙市空气质量日报 ({ckan.slug(open_catalog.air.code)})",
        }
    ]
    assert ckan_client.action.package_autocomplete(q=open_catalog.air.code[:9], limit=1)[0]["match_field"] == "name"
    current = ckan_client.action.current_package_list_with_resources(limit=2)
    assert len(current) == 2 and all("resources" in p for p in current)
    stamps = [p["metadata_modified"] for p in ckan_client.action.current_package_list_with_resources()]
    assert stamps == sorted(stamps, reverse=True) and len(stamps) == 4
    res_id = ckan_client.action.package_show(id=open_catalog.air.code)["resources"][0]["id"]
    info = ckan_client.action.datastore_info(id=res_id)
    assert info["meta"]["count"] == 30
    assert [f["id"] for f in info["fields"]] == ["station", "day", "aqi", "pm25", "contact"]
    group = ckan_client.action.group_show(id="environment", include_datasets=True)
    assert sorted(p["title"] for p in group["packages"]) == ["城市公园名录（待导入）", "长沙市空气质量日报"]
    by_count = ckan_client.action.organization_list(sort="package_count desc", all_fields=True)
    counts = [o["package_count"] for o in by_count]
    assert counts == sorted(counts, reverse=True) and counts[0] == 2
    names = ckan_client.action.organization_list(sort="name desc")
    assert names == sorted(names, reverse=True)


def test_geojson_from_longitude_latitude_columns(open_catalog, more, ckan_client, client):
    pkg = ckan_client.action.package_show(id=more["places"].code)
    assert "GeoJSON" in {r["format"] for r in pkg["resources"]}
    r = client.get(f"/open/datasets/{more['places'].id}/download.geojson")
    assert r.status_code == 200, r.text
    features = json.loads(r.content)["features"]
    assert len(features) == 4
    first = next(f for f in features if f["properties"]["mc"] == "贺龙体育中心")
    assert first["geometry"] == {"type": "Point", "coordinates": [112.981234, 28.180011]}
    assert first["properties"]["rs"] == 5000
    air = ckan_client.action.package_show(id=open_catalog.air.code)
    assert "GeoJSON" not in {r["format"] for r in air["resources"]}  # no coordinates: not advertised


def test_masked_coordinates_are_never_drawn(open_catalog, make_resource, departments, ckan_client, client, db, tmp_path):
    items = [dict(i, personal=True) if i["name"] in ("lng", "lat") else i for i in PLACE_ITEMS]
    homes = make_resource(
        "独居老人走访点位",
        department=departments["police"],
        state="published",
        open_type="unconditional",
        items=items,
        spatial=True,
        summary="点位坐标为个人信息。",
    )
    _import(db, homes, _csv(tmp_path / "homes.csv", [i["name"] for i in items],
                            [["甲", "112.981234", "28.180011", "1"]]))
    ckan_search.clear_cache()
    pkg = ckan_client.action.package_show(id=homes.code)
    assert {r["format"] for r in pkg["resources"]} == {"CSV", "XLSX", "JSON"}  # not offered as a map
    text = client.get(f"/open/datasets/{homes.id}/download.geojson").content.decode("utf-8")
    # the precise point never leaves; what does is the coordinates rule's coarse value, as at every other door
    assert "112.981234" not in text and "28.180011" not in text
    geometry = json.loads(text)["features"][0]["geometry"]
    assert geometry is None or geometry["coordinates"] == [112.98, 28.18]


def test_dataset_iri_negotiates_as_curl_httpx_and_browsers_ask(open_catalog, live_server):
    url = f"{live_server.url}/dataset/{open_catalog.air.id}"
    page = f"/open/datasets/{open_catalog.air.id}"
    for accept in ("*/*", None, BROWSER, "text/html"):
        headers = {"Accept": accept} if accept is not None else {}
        with httpx.Client() as http:
            if accept is None:
                http.headers.pop("Accept", None)
            r = http.get(url, headers=headers, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == page, (accept, r.status_code)
    r = httpx.get(url, headers={"Accept": "application/rdf+xml;q=0.5, text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    r = httpx.get(url, headers={"Accept": "application/ld+json;q=0.9, text/html;q=0.1"})
    assert r.headers["content-type"].startswith("application/ld+json")
    assert httpx.get(url, headers={"Accept": "image/png"}).status_code == 406


def test_the_dcat_catalog_has_an_iri_of_its_own(open_catalog, more, client):
    from rdflib import Graph, URIRef
    from rdflib.namespace import DCAT, RDF

    r = client.get("/dcat/catalog", headers={"Accept": "*/*"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.content, format="turtle")
    assert (URIRef("http://testserver/dcat/catalog"), RDF.type, DCAT.Catalog) in g
    assert client.get("/dcat/catalog", headers={"Accept": BROWSER}, follow_redirects=False).status_code == 303
    assert client.get("/catalog", follow_redirects=False).status_code in (302, 303, 401)  # still the staff page
    for fmt in ("jsonld", "rdf"):
        body = client.get(f"/catalog.{fmt}", params={"page_size": 1, "page": 2}).text
        assert f"/catalog.{fmt}?page=1" in body and f"/catalog.{fmt}?page=4" in body
        assert "/catalog.ttl" not in body  # the paging links stay in the format asked for
    one = Graph().parse(data=client.get("/catalog.ttl", params={"page_size": 1}).content, format="turtle")
    assert len(list(one.objects(None, DCAT.dataset))) == 1
    assert client.get("/catalog.ttl", params={"page_size": 100_000}).status_code == 200  # capped
    later = Graph().parse(
        data=client.get("/catalog.ttl", params={"modified_since": "2999-01-01"}).content, format="turtle"
    )
    assert list(later.objects(None, DCAT.dataset)) == []
    bad = client.get("/catalog.ttl", params={"modified_since": "yesterday"})
    assert bad.status_code == 422 and bad.json()["field"] == "modified_since"


def test_every_negotiation_reads_q_values(client):
    """The error pages choose by the same helper (web.negotiation): q=0 refuses HTML, a browser gets a page."""
    page = client.get("/no/such/page", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    problem = client.get("/no/such/page", headers={"Accept": "text/html;q=0, application/json"})
    assert problem.status_code == 404 and problem.headers["content-type"].startswith("application/problem+json")
    assert client.get("/no/such/page", headers={"Accept": "*/*"}).headers["content-type"].startswith(
        "application/problem+json"
    )
