"""The CKAN action API through the real ckanapi client against a live server: catalog actions, DataStore rows,
masking, visibility of open and not-open resources, and CKAN's errors."""

from __future__ import annotations

import ckanapi
import httpx
import pytest

from zhicheng.core.events import bus
from zhicheng.opendata.ckan import service as ckan


def test_package_list_shows_only_published_open_resources(open_catalog, ckan_client):
    names = ckan_client.action.package_list()
    assert names == sorted([ckan.slug(open_catalog.air.code), ckan.slug(open_catalog.credit.code)])
    assert ckan.slug(open_catalog.people.code) not in names  # 不予开放
    assert ckan.slug(open_catalog.draft.code) not in names  # never published


def test_package_search_in_chinese_with_facets(open_catalog, ckan_client):
    found = ckan_client.call_action(
        "package_search", {"q": "空气质量", "facet.field": ["organization", "open_type"], "rows": 5}
    )
    assert found["count"] == 1
    pkg = found["results"][0]
    assert pkg["title"] == "长沙市空气质量日报" and pkg["name"] == ckan.slug(open_catalog.air.code)
    assert found["facets"]["open_type"] == {"unconditional": 1}
    org = pkg["organization"]["name"]
    assert found["facets"]["organization"] == {org: 1}
    items = found["search_facets"]["organization"]["items"]
    assert items[0]["display_name"] == "长沙市住房和城乡建设局"
    # every open package, the not-open one never counted even in the open_type facet
    everything = ckan_client.action.package_search(facet_field=["open_type"])
    assert everything["count"] == 2
    assert everything["facets"]["open_type"] == {"unconditional": 1, "conditional": 1}


def test_package_search_fq_rows_and_start(open_catalog, ckan_client):
    org = ckan_client.action.package_show(id=open_catalog.air.code)["organization"]["name"]
    only = ckan_client.action.package_search(fq=f'organization:"{org}"')
    assert [p["title"] for p in only["results"]] == ["长沙市空气质量日报"]
    cond = ckan_client.action.package_search(fq="open_type:conditional")
    assert [p["title"] for p in cond["results"]] == ["守信企业名单"]
    assert ckan_client.action.package_search(fq="open_type:none")["count"] == 0
    first = ckan_client.action.package_search(rows=1, start=0)["results"]
    second = ckan_client.action.package_search(rows=1, start=1)["results"]
    assert len(first) == len(second) == 1 and first[0]["id"] != second[0]["id"]
    assert ckan_client.action.package_search(rows=0)["count"] == 2


def test_package_show_by_name_id_and_code(open_catalog, ckan_client):
    by_name = ckan_client.action.package_show(id=ckan.slug(open_catalog.air.code))
    assert ckan_client.action.package_show(id=by_name["id"]) == by_name
    assert ckan_client.action.package_show(id=open_catalog.air.code)["id"] == by_name["id"]
    assert by_name["notes"].startswith("长沙市各国控监测站点")
    assert [t["name"] for t in by_name["tags"]] == ["空气质量", "环境"]
    assert by_name["groups"][0]["name"] == "environment"
    assert {r["format"] for r in by_name["resources"]} == {"CSV", "XLSX", "JSON"}
    csv = next(r for r in by_name["resources"] if r["format"] == "CSV")
    assert csv["url"].endswith(f"/open/datasets/{open_catalog.air.id}/download.csv?columns=names")
    assert csv["datastore_active"] is True and csv["rows"] == 30
    # the file a harvester fetches is headed by the DataStore's field ids (people get the labels on the portal)
    import httpx

    header = httpx.get(csv["url"]).content.decode("utf-8-sig").splitlines()[0].split(",")
    fields = [f["id"] for f in ckan_client.action.datastore_info(id=csv["id"])["fields"]]
    assert header == [f for f in fields if f != "_id"]
    masked = {i["name"]: i["masked"] for i in by_name["items"]}
    assert masked == {"station": False, "day": False, "aqi": False, "pm25": False, "contact": True}


def test_not_open_and_unknown_packages_are_not_found_alike(open_catalog, ckan_client):
    for ident in (
        open_catalog.people.code,
        ckan.slug(open_catalog.draft.code),
        ckan.package_id(open_catalog.people.id),
        "nope",
        "9" * 40,
        str(open_catalog.people.id),
    ):
        with pytest.raises(ckanapi.NotFound):
            ckan_client.action.package_show(id=ident)


def test_organizations_groups_tags(open_catalog, ckan_client, departments):
    names = ckan_client.action.organization_list()
    assert departments["housing"].code.lower() in names
    full = ckan_client.action.organization_list(all_fields=True)
    counts = {o["title"]: o["package_count"] for o in full}
    assert (
        counts["长沙市住房和城乡建设局"] == 1 and counts["长沙市公安局"] == 1
    )  # the not-open one is not counted
    org = ckan_client.action.organization_show(id=departments["housing"].code.lower(), include_datasets=True)
    assert org["title"] == "长沙市住房和城乡建设局" and [p["title"] for p in org["packages"]] == [
        "长沙市空气质量日报"
    ]
    groups = ckan_client.action.group_list(all_fields=True)
    env = next(g for g in groups if g["name"] == "environment")
    assert env["title"] == "生态环保" and env["package_count"] == 1
    assert ckan_client.action.tag_list() == sorted(["信用", "空气质量", "环境"])
    assert ckan_client.action.tag_list(query="空气") == ["空气质量"]
    with pytest.raises(ckanapi.NotFound):
        ckan_client.action.organization_show(id="no-such-org")


def test_resource_show_and_datastore_search_masks_personal_fields(open_catalog, ckan_client):
    pkg = ckan_client.action.package_show(id=open_catalog.air.code)
    res_id = next(r["id"] for r in pkg["resources"] if r["format"] == "CSV")
    assert ckan_client.action.resource_show(id=res_id)["package_id"] == pkg["id"]
    used = []

    def hear(_name, payload):
        used.append({k: v for k, v in payload.items() if k != "db"})

    bus.subscribe("opendata.used", hear)
    try:
        page = ckan_client.action.datastore_search(resource_id=res_id, limit=5)
    finally:
        bus._handlers["opendata.used"].remove(hear)
    assert page["total"] == 30 and len(page["records"]) == 5
    assert [f["id"] for f in page["fields"]] == ["_id", "station", "day", "aqi", "pm25", "contact"]
    first = page["records"][0]
    assert first["_id"] == 1 and first["station"] == "湘江中路站" and first["aqi"] == 40
    assert first["contact"] == "138****0000"  # masked as for the anonymous public
    assert all("0013" not in r["contact"] for r in page["records"])
    assert used == [
        {
            "resource_id": open_catalog.air.id,
            "department_id": open_catalog.air.department_id,
            "kind": "api",
            "rows": 5,
            "via": "ckan",
            "key_id": None,
        }
    ]
    assert "next" in page["_links"]


def test_datastore_search_filters_sort_fields_q_offset(open_catalog, ckan_client):
    pkg = ckan_client.action.package_show(id=open_catalog.air.code)
    rid = pkg["resources"][0]["id"]
    got = ckan_client.action.datastore_search(
        resource_id=rid, filters={"station": "岳麓山站"}, sort="aqi desc", fields=["station", "aqi"], limit=3
    )
    assert got["total"] == 8
    assert [r["aqi"] for r in got["records"]] == [69, 65, 61]
    assert set(got["records"][0]) == {"_id", "station", "aqi"}
    many = ckan_client.action.datastore_search(resource_id=rid, filters={"station": ["岳麓山站", "马坡岭站"]})
    assert many["total"] == 15
    q = ckan_client.action.datastore_search(resource_id=rid, q="火车")
    assert q["total"] == 7 and {r["station"] for r in q["records"]} == {"火车站站"}
    deep = ckan_client.action.datastore_search(resource_id=rid, offset=25, limit=10)
    assert [r["_id"] for r in deep["records"]] == [26, 27, 28, 29, 30] and deep["total"] == 30
    # the package name stands for its newest version; GET works too
    by_pkg = ckanapi.RemoteCKAN(ckan_client.address, get_only=True).action.datastore_search(
        resource_id=pkg["name"], limit=2, filters='{"aqi": 41}'
    )
    assert [r["_id"] for r in by_pkg["records"]] == [2]


def test_masked_fields_cannot_be_filtered_sorted_or_searched(open_catalog, ckan_client):
    rid = ckan_client.action.package_show(id=open_catalog.air.code)["resources"][0]["id"]
    for kwargs in (
        {"filters": {"contact": "13800130000"}},
        {"sort": "contact asc"},
        {"q": {"contact": "138"}},
    ):
        with pytest.raises(ckanapi.ValidationError) as err:
            ckan_client.action.datastore_search(resource_id=rid, **kwargs)
        assert "13800130000" not in str(err.value.error_dict)
    # a plain-text q never matches inside a masked column
    assert ckan_client.action.datastore_search(resource_id=rid, q="0013")["total"] == 0


def test_conditional_rows_need_an_approved_key(open_catalog, ckan_client):
    pkg = ckan_client.action.package_show(id=open_catalog.credit.code)
    assert pkg["open_type"] == "conditional" and pkg["resources"]
    with pytest.raises(ckanapi.NotAuthorized):
        ckan_client.action.datastore_search(resource_id=pkg["resources"][0]["id"])


def test_not_open_rows_are_not_found(open_catalog, ckan_client):
    for rid in (
        ckan.resource_uuid(open_catalog.people.id, 1, "csv"),
        ckan.slug(open_catalog.people.code),
        ckan.resource_uuid(open_catalog.air.id, 9, "csv"),
        "7a686301-zzzz",
    ):
        with pytest.raises(ckanapi.NotFound):
            ckan_client.action.datastore_search(resource_id=rid)


def test_errors_are_ckan_envelopes_with_statuses(open_catalog, live_server):
    url = live_server.url + "/api/3/action/"
    r = httpx.get(url + "package_show", params={"id": "missing"})
    assert r.status_code == 404
    body = r.json()
    assert body["success"] is False and body["error"]["__type"] == "Not Found Error" and "help" in body
    r = httpx.get(url + "package_search", params={"rows": "-1"})
    assert r.status_code == 409 and r.json()["error"]["__type"] == "Validation Error"
    assert r.json()["error"]["rows"]
    r = httpx.post(url + "package_search", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 409
    r = httpx.get(url + "no_such_action")
    assert r.status_code == 400 and r.json()["success"] is False
    credit = httpx.get(url + "package_show", params={"id": open_catalog.credit.code}).json()["result"]
    r = httpx.get(url + "datastore_search", params={"resource_id": credit["resources"][0]["id"]})
    assert r.status_code in (401, 403) and r.json()["error"]["__type"] == "Authorization Error"


def test_pages_written_by_the_database_match_the_python_path(open_catalog, ckan_client, client):
    # plain pages of unmasked, unconverted columns are written as JSON by the database; filtered ones in Python
    rid = ckan_client.action.package_show(id=open_catalog.air.code)["resources"][0]["id"]
    fields = ["station", "day", "aqi"]
    for fmt in ("objects", "lists"):
        fast = ckan_client.action.datastore_search(
            resource_id=rid, fields=fields, limit=7, offset=3, records_format=fmt
        )
        slow = ckan_client.action.datastore_search(
            resource_id=rid, fields=fields, limit=7, offset=3, records_format=fmt, q="站"
        )
        assert fast["records"] == slow["records"] and len(fast["records"]) == 7
        assert fast["total"] == slow["total"] == 30
    assert fast["records"][0] == [4, "马坡岭站", "2026-11-04", 43]
    end = ckan_client.action.datastore_search(resource_id=rid, fields=fields, limit=10, offset=25)
    assert [r["_id"] for r in end["records"]] == [26, 27, 28, 29, 30] and "next" not in end["_links"]
    url = f"/api/v1/open/datasets/{open_catalog.air.id}/rows"
    fast = client.get(url, params={"fields": "station,day,aqi", "size": 4}).json()
    slow = client.get(url, params={"fields": "station,day,aqi", "size": 4, "filter[aqi][gte]": "0"}).json()
    assert fast["items"] == slow["items"] and fast["count"] == 4 and fast["next"]
    after = client.get(url, params={"fields": "station,day,aqi", "size": 4, "after": fast["next"]}).json()
    assert [i["_id"] for i in after["items"]] == [5, 6, 7, 8]


def test_only_the_live_revision_counts_and_withdrawal_hides_at_once(open_catalog, ckan_client, db):
    from zhicheng.catalog import service as catalog
    from zhicheng.core.actor import SYSTEM

    air = open_catalog.air
    rid = ckan_client.action.package_show(id=air.code)["resources"][0]["id"]
    catalog.revise(db, actor=SYSTEM, resource_id=air.id)
    catalog.update_resource(
        db, actor=SYSTEM, resource_id=air.id, data={"open_type": "none", "name": "改名草稿"}
    )
    live = ckan_client.action.package_show(id=air.code)  # the draft revision does not leak
    assert live["title"] == "长沙市空气质量日报" and live["open_type"] == "unconditional"
    assert ckan_client.action.datastore_search(resource_id=rid, limit=1)["total"] == 30
    credit = open_catalog.credit
    credit_rid = ckan_client.action.package_show(id=credit.code)["resources"][0]["id"]
    assert ckan.slug(credit.code) in ckan_client.action.package_list()
    catalog.withdraw(db, actor=SYSTEM, resource_id=credit.id, reason="数据停止更新")
    with pytest.raises(ckanapi.NotFound):
        ckan_client.action.package_show(id=credit.code)
    with pytest.raises(ckanapi.NotFound):
        ckan_client.action.resource_show(id=credit_rid)
    assert ckan.slug(credit.code) not in ckan_client.action.package_list()


def test_status_and_help(ckan_client):
    assert "datastore" in ckan_client.action.status_show()["extensions"]
    assert "resource_id" in ckan_client.action.help_show(name="datastore_search")
    with pytest.raises(ckanapi.NotFound):
        ckan_client.action.help_show(name="package_create")


def test_harvester_filters_tags_groups_and_modification_dates(open_catalog, ckan_client):
    def titles(**params):
        found = ckan_client.call_action("package_search", params)
        return found["count"], [p["title"] for p in found["results"]]

    assert titles(fq="tags:信用") == (1, ["守信企业名单"])
    assert titles(fq="groups:environment open_type:unconditional") == (1, ["长沙市空气质量日报"])
    assert titles(fq="metadata_modified:[2000-01-01T00:00:00Z TO *]")[0] == 2
    assert titles(fq="metadata_modified:[* TO 2000-01-01T00:00:00Z]")[0] == 0
    facets = ckan_client.call_action("package_search", {"fq": "tags:环境", "facet.field": ["organization"]})
    assert list(facets["facets"]["organization"].values()) == [1]
    # with words too: the query's matches, filtered
    assert titles(q="空气", fq="tags:环境") == (1, ["长沙市空气质量日报"])
    assert titles(q="空气", fq="tags:信用")[0] == 0


def test_fq_as_ckan_harvesters_write_it(open_catalog, ckan_client):
    """Solr's syntax as ckanext-harvest and CKAN's own front end send it: OR, negation, groups of values, *:*."""

    def titles(fq, **params):
        found = ckan_client.call_action("package_search", {"fq": fq, **params})
        return sorted(p["title"] for p in found["results"])

    air, credit = "长沙市空气质量日报", "守信企业名单"
    air_org = ckan_client.action.package_show(id=open_catalog.air.code)["organization"]["name"]
    credit_org = ckan_client.action.package_show(id=open_catalog.credit.code)["organization"]["name"]
    assert air_org != credit_org
    assert titles(f"organization:{air_org} OR organization:{credit_org}") == sorted([air, credit])
    assert titles(f"-organization:{credit_org}") == [air]
    assert titles(f"NOT organization:{credit_org}") == [air]
    assert titles(f"organization:({air_org} OR {credit_org}) -tags:信用") == [air]
    assert titles(f"organization:{air_org} AND organization:{credit_org}") == []  # one organization each
    assert titles("open_type:(none OR unconditional)") == [air]  # what is not open stays unfound
    assert titles("-open_type:conditional") == [air]
    assert titles("*:*") == sorted([air, credit])
    assert titles("(tags:信用 OR groups:environment) AND metadata_modified:[2000-01-01T00:00:00Z TO NOW]") == sorted(
        [air, credit]
    )
    assert titles("metadata_modified:{* TO 2000-01-01T00:00:00Z}") == []
    assert titles("res_format:CSV") == sorted([air, credit])  # CKAN's name for the resources' formats
    assert titles('res_format:"csv" license_id:cc-by-4.0') == sorted([air, credit])
    assert titles(f"name:{ckan.slug(open_catalog.air.code)}") == [air]
    assert titles("tags:信*") == [credit]  # a prefix


def test_facets_ckan_clients_ask_for(open_catalog, ckan_client):
    """CKAN's default facets (organization, groups, tags, res_format, license_id) are all counted."""
    found = ckan_client.call_action(
        "package_search", {"facet.field": ["organization", "groups", "tags", "res_format", "license_id"]}
    )
    facets = found["facets"]
    assert found["count"] == 2
    assert facets["res_format"]["CSV"] == 2 and facets["license_id"] == {"cc-by-4.0": 2}
    assert facets["tags"]["信用"] == 1 and facets["tags"]["环境"] == 1
    assert facets["groups"]["environment"] == 1
    assert sum(facets["organization"].values()) == 2
    items = found["search_facets"]["groups"]["items"]
    assert any(i["name"] == "environment" and i["display_name"] for i in items)
    # the same counts under an fq the catalog indexes
    narrowed = ckan_client.call_action(
        "package_search", {"fq": "open_type:unconditional", "facet.field": ["tags", "open_type"]}
    )
    assert narrowed["count"] == 1 and narrowed["facets"]["open_type"] == {"unconditional": 1}
    assert "信用" not in narrowed["facets"]["tags"]
