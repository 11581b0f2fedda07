"""OGC API - Features Part 4: the layer's data officer adds, replaces, updates and deletes features; each transaction
is a new layer version made by the catalog's import (validated, audited, indexed); others are refused; nothing
stored changes on bad input."""

from __future__ import annotations

from zhicheng.geo.layers import service

BASE = "/ogc/features"


def url(res) -> str:
    return f"{BASE}/collections/{service.collection_id(res.code)}/items"


def new_park(name: str, x: float, y: float, **props) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"mc": name, "lx": "社区", **props}}


def test_create_replace_update_delete_make_versions(client, parks_layer, layer_users, auth_headers):
    h = auth_headers(layer_users["officer"])
    r = client.post(url(parks_layer), json=new_park("新河公园", 112.97, 28.22, mj="5.5"), headers=h)
    assert r.status_code == 201, r.text
    assert r.json() == {"version": 2, "ids": [8]} and r.headers["location"].endswith("/items/8")
    doc = client.get(url(parks_layer), params={"bbox": "112.965,28.215,112.98,28.23"}).json()
    assert [f["properties"]["mc"] for f in doc["features"]] == ["新河公园"]  # the new version's index answers
    r = client.put(f"{url(parks_layer)}/8", json=new_park("新河公园（改）", 112.971, 28.221), headers=h)
    assert r.status_code == 200 and r.json()["version"] == 3
    r = client.patch(f"{url(parks_layer)}/1", json={"properties": {"rs": 25000}}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 4
    one = client.get(f"{url(parks_layer)}/1").json()
    assert one["properties"]["rs"] == 25000 and one["properties"]["mc"] == "岳麓山公园"
    r = client.delete(f"{url(parks_layer)}/2", headers=h)
    assert r.status_code == 204
    doc = client.get(url(parks_layer), params={"limit": 100}).json()
    assert doc["numberMatched"] == 7 and "橘子洲" not in {f["properties"]["mc"] for f in doc["features"]}
    # every version stays readable
    versions = client.get(f"{BASE}/collections/{service.collection_id(parks_layer.code)}").json()
    assert versions["extent"]["temporal"]["interval"][0][0]


def test_content_crs_is_converted_to_storage(client, parks_layer, layer_users, auth_headers):
    h = {**auth_headers(layer_users["officer"]), "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/3857>"}
    feature = new_park("墨卡托公园", 12575000.0, 3275000.0)
    r = client.post(url(parks_layer), json=feature, headers=h)
    assert r.status_code == 201, r.text
    lon, lat = client.get(f"{url(parks_layer)}/8").json()["geometry"]["coordinates"]
    assert 112.96 < lon < 112.97 and 28.19 < lat < 28.21


def test_refused_and_bad_transactions_change_nothing(client, parks_layer, layer_users, auth_headers):
    body = new_park("不该出现", 112.97, 28.22)
    assert client.post(url(parks_layer), json=body).status_code in (401, 403)  # no login (and no CSRF token)
    other = auth_headers(layer_users["other"])
    assert client.post(url(parks_layer), json=body, headers=other).status_code == 403
    h = auth_headers(layer_users["officer"])
    for bad, field in [({"type": "Feature", "properties": {"nope": 1}, "geometry": None}, "body.properties.nope"),
                       ({"type": "Point"}, "body"),
                       (new_park("坏几何", 112.97, 28.22) | {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}, "fw"),
                       (new_park("x", 112.97, 28.22, rs="many"), "rs")]:
        r = client.post(url(parks_layer), json=bad, headers=h)
        assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json"), r.text
        assert r.json()["field"] == field, r.json()
    r = client.post(url(parks_layer), content=b"{not json", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["field"] == "body"
    assert client.delete(f"{url(parks_layer)}/99", headers=h).status_code == 404
    assert client.put(f"{url(parks_layer)}/abc", json=body, headers=h).status_code == 404
    doc = client.get(url(parks_layer), params={"limit": 100}).json()
    assert doc["numberMatched"] == 7  # still version 1


def test_feature_ids_survive_transactions(client, parks_layer, layer_users, auth_headers):
    """A GIS client that cached ids edits the feature it means: a delete keeps every other feature's id (before, the
    rows after it took the ids one lower), a new feature gets an id never used before, an old version keeps its own
    ids (datetime), and a removed id answers 404 and cannot be edited."""
    h = auth_headers(layer_users["officer"])
    before = {f["id"]: f["properties"]["mc"] for f in client.get(url(parks_layer), params={"limit": 100}).json()["features"]}
    assert client.delete(f"{url(parks_layer)}/2", headers=h).status_code == 204
    after = {f["id"]: f["properties"]["mc"] for f in client.get(url(parks_layer), params={"limit": 100}).json()["features"]}
    assert after == {k: v for k, v in before.items() if k != 2}
    for fid, name in after.items():
        assert client.get(f"{url(parks_layer)}/{fid}").json()["properties"]["mc"] == name
    assert client.get(f"{url(parks_layer)}/2").status_code == 404
    assert client.patch(f"{url(parks_layer)}/2", json={"properties": {"rs": 1}}, headers=h).status_code == 404
    # the feature after the removed one is edited by its own id
    r = client.patch(f"{url(parks_layer)}/3", json={"properties": {"rs": 1234}}, headers=h)
    assert r.status_code == 200 and r.json()["ids"] == [3]
    props = client.get(f"{url(parks_layer)}/3").json()["properties"]
    assert props["mc"] == before[3] and props["rs"] == 1234
    # delete the last one, then add: the new id is past every id ever given
    assert client.delete(f"{url(parks_layer)}/7", headers=h).status_code == 204
    r = client.post(url(parks_layer), json=new_park("新河公园", 112.97, 28.22), headers=h)
    assert r.status_code == 201 and r.json()["ids"] == [8] and r.headers["location"].endswith("/items/8")
    assert client.get(f"{url(parks_layer)}/7").status_code == 404
    assert client.get(f"{url(parks_layer)}/8").json()["properties"]["mc"] == "新河公园"
    # the first version still answers with its own ids
    versions = client.get(f"{BASE}/collections/{service.collection_id(parks_layer.code)}").json()
    first = versions["extent"]["temporal"]["interval"][0][0]
    old = client.get(url(parks_layer), params={"limit": 100, "datetime": first}).json()
    assert {f["id"]: f["properties"]["mc"] for f in old["features"]} == before
