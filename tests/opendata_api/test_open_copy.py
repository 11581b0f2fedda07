"""Open records served from the materialised open copy (`opendata.rows.open_copy`) are exactly the version table's;
a masking-rule edit applies on the very next call; the CKAN fast lane answers as the route does."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.opendata_api.helpers import STATIONS
from zhicheng.accounts import service as accounts
from zhicheng.exchange import masked_copy
from zhicheng.exchange.masking_rules import service as masking_rules
from zhicheng.opendata.ckan import lane as ckan_lane

URL = "/api/3/action/datastore_search"


def open_copies(db) -> list[str]:
    names = sa.inspect(db.connection()).get_table_names()
    return sorted(n for n in names if masked_copy.NAME.match(n) and "_o" in n.rsplit("_v", 1)[1])


def resource_id(client, open_catalog) -> str:
    pkg = client.get("/api/3/action/package_show", params={"id": open_catalog.air.code}).json()["result"]
    return next(r["id"] for r in pkg["resources"] if r["format"] == "CSV")


def walk(client, rid: str, limit: int, **extra) -> list[dict]:
    """Every record, page by page, following CKAN's `_links.next` (offset paging)."""
    out, url, params = [], URL, {"resource_id": rid, "limit": limit, **extra}
    while True:
        body = client.get(url, params=params).json()
        assert body["success"], body
        out.extend(body["result"]["records"])
        nxt = body["result"]["_links"].get("next")
        if not nxt:
            return out
        url, params = nxt, None


@pytest.mark.parametrize("chunk", [1, 4, 100])
@pytest.mark.parametrize("limit", [1, 3, 7, 30, 31])
def test_copy_pages_are_the_table_pages(open_catalog, client, db, monkeypatch, chunk, limit):
    monkeypatch.setattr(masked_copy, "CHUNK", chunk)
    rid = resource_id(client, open_catalog)
    fast = walk(client, rid, limit)
    assert len(open_copies(db)) == 1  # built at the first plain call (a small version: at once) and read
    # a filter matching every row takes the version table: the same records, masked alike
    slow = walk(client, rid, limit, filters=f'{{"station": {list(STATIONS)!r}}}'.replace("'", '"'))
    assert fast == slow and len(fast) == 30
    assert [r["_id"] for r in fast] == list(range(1, 31))
    assert fast[0]["contact"] == "138****0000" and fast[0]["pm25"] == 10.0  # a JSON number
    middle = client.get(URL, params={"resource_id": rid, "limit": 5, "offset": 13}).json()["result"]
    assert [r["_id"] for r in middle["records"]] == [14, 15, 16, 17, 18] and middle["total"] == 30


def test_a_rule_edit_applies_on_the_very_next_call(open_catalog, client, db, departments, make_user):
    rid = resource_id(client, open_catalog)
    first = client.get(URL, params={"resource_id": rid, "limit": 2}).json()["result"]["records"]
    assert first[0]["contact"] == "138****0000"
    built = open_copies(db)
    admin = accounts.actor_for(make_user("rules_admin", roles=["admin"], department=departments["data_bureau"]))
    masking_rules.update_rule(db, actor=admin, kind="mobile", params={"keep_first": 0, "keep_last": 2})
    again = client.get(URL, params={"resource_id": rid, "limit": 2}).json()["result"]["records"]
    assert again[0]["contact"] == "*********00"
    assert open_copies(db) != built and len(open_copies(db)) == 1  # rebuilt under the new rule, the old dropped


def test_an_import_of_an_open_resource_builds_its_copy(open_catalog, client, db, tmp_path):
    from tests.opendata_api.helpers import AIR_ITEMS, _csv, _import

    rows = [[s, "2026-11-20", 50 + n, "12.5", f"1390000{n:04d}"] for n, s in enumerate(STATIONS * 3)]
    before = open_copies(db)
    _import(db, open_catalog.air, _csv(tmp_path / "air2.csv", [i["name"] for i in AIR_ITEMS], rows))
    after = open_copies(db)
    assert after != before and len(after) == 1 and "_v2_o" in after[0]  # the copy of version 1 dropped
    rid = resource_id(client, open_catalog)
    records = client.get(URL, params={"resource_id": rid, "limit": 100}).json()["result"]["records"]
    assert len(records) == 12 and records[0]["contact"] == "139****0000"




def test_the_ckan_lane_answers_as_the_route(open_catalog, client, route_client, monkeypatch):
    calls = []
    real = ckan_lane._dispatch

    async def counted(request, name, **kw):
        calls.append(name)
        return await real(request, name, **kw)

    monkeypatch.setattr(ckan_lane, "_dispatch", counted)
    rid = resource_id(client, open_catalog)
    credit = client.get("/api/3/action/package_show", params={"id": open_catalog.credit.code}).json()
    cases = [
        {"resource_id": rid, "limit": 4},
        {"resource_id": rid, "limit": 4, "offset": 27},
        {"resource_id": rid, "fields": "station,aqi", "sort": "aqi desc", "limit": 3},
        {"resource_id": rid, "filters": '{"contact": "1"}'},  # a masked field: refused
        {"resource_id": rid, "limit": 999999},  # capped at 32000, as CKAN caps it
        {"resource_id": rid, "sort": "pm25 desc, aqi asc", "limit": 3},  # decimals as numbers, NULLs as on PG
        {"resource_id": rid, "fields": "station", "distinct": "true", "sort": "station desc"},
        {"resource_id": rid, "distinct": "true"},  # contact is masked: refused alike
        {"resource_id": rid, "records_format": "lists", "limit": 2},
        {"resource_id": "nope"},
        {"resource_id": credit["result"]["resources"][0]["id"]},  # conditional: a key is needed
        {},
    ]
    for params in cases:
        fast = client.get(URL, params=params)
        slow = route_client.get("/api/action/datastore_search", params=params)
        assert fast.status_code == slow.status_code, (params, fast.text, slow.text)
        a, b = fast.json(), slow.json()
        a.pop("help"), b.pop("help")
        if a["success"]:
            for links in (a["result"]["_links"], b["result"]["_links"]):  # the path the call was made on
                for k in links:
                    links[k] = links[k].replace("/api/action/", "/api/3/action/")
        assert a == b, params
    assert calls == ["datastore_search"] * len(cases)


def test_a_copy_dropped_behind_our_back_falls_back_to_the_table(open_catalog, client, db):
    rid = resource_id(client, open_catalog)
    first = client.get(URL, params={"resource_id": rid, "limit": 6, "offset": 2}).json()["result"]
    for name in open_copies(db):
        db.execute(sa.text(f"DROP TABLE {name}"))
    db.commit()
    assert open_copies(db) == []
    again = client.get(URL, params={"resource_id": rid, "limit": 6, "offset": 2}).json()["result"]
    assert again["records"] == first["records"] and again["_links"] == first["_links"]
    client.get(URL, params={"resource_id": rid, "limit": 1})
    assert len(open_copies(db)) == 1  # and a later call has it built again
