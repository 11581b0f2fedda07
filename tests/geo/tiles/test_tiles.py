"""Vector tiles through HTTP: OGC API - Tiles documents, tiles that decode to the layer's features, the cache (hit,
per-reader views, dropped on a new version), bad coordinates as problem+json, TileJSON and the base map."""

from __future__ import annotations

import mapbox_vector_tile
import pytest

from tests.geo.layers.conftest import PARKS, write_geojson
from zhicheng.catalog.datasets import service as datasets
from zhicheng.geo.layers import service as layers
from zhicheng.geo.tiles import api, service
from zhicheng.geo.tiles.matrix import SETS

BASE = "/ogc/tiles"


def cid(res) -> str:
    return layers.collection_id(res.code)


def tile_over(lon: float, lat: float, z: int, tms: str = "WebMercatorQuad") -> tuple[int, int, int]:
    (y, x), = SETS[tms].tiles_over([lon, lat, lon, lat], z)
    return z, y, x


def names_in(data: bytes, layer: str) -> list[str]:
    decoded = mapbox_vector_tile.decode(data)
    return sorted(f["properties"].get("mc") for f in decoded.get(layer, {}).get("features", []))


def test_landing_conformance_and_matrix_sets(client):
    doc = client.get(BASE + "/").json()
    assert {"conformance", "data"} <= {link["rel"] for link in doc["links"]}
    assert client.get(BASE + "/conformance").json()["conformsTo"] == api.CONFORMANCE
    sets = client.get(BASE + "/tileMatrixSets").json()["tileMatrixSets"]
    assert {s["id"] for s in sets} == {"WebMercatorQuad", "WorldCRS84Quad"}
    wmq = client.get(BASE + "/tileMatrixSets/WebMercatorQuad").json()
    assert wmq["tileMatrices"][1]["matrixWidth"] == 2 and wmq["crs"].endswith("EPSG/0/3857")
    crs84 = client.get(BASE + "/tileMatrixSets/WorldCRS84Quad").json()
    assert crs84["tileMatrices"][0]["matrixWidth"] == 2 and crs84["tileMatrices"][0]["matrixHeight"] == 1


def test_a_tile_decodes_to_the_layers_features(client, parks_layer):
    z, y, x = tile_over(112.97, 28.19, 10)
    r = client.get(f"{BASE}/collections/{cid(parks_layer)}/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert r.status_code == 200 and r.headers["content-type"] == api.MVT
    assert names_in(r.content, cid(parks_layer)) == sorted(p[0] for p in PARKS)
    # a tile of zoom 16 around 橘子洲 holds it and not the parks far away
    z, y, x = tile_over(112.962, 28.186, 16)
    near = client.get(f"{BASE}/collections/{cid(parks_layer)}/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert names_in(near.content, cid(parks_layer)) == ["橘子洲"]
    # WorldCRS84Quad for CGCS2000 clients
    z, y, x = tile_over(112.97, 28.19, 9, "WorldCRS84Quad")
    geo = client.get(f"{BASE}/collections/{cid(parks_layer)}/tiles/WorldCRS84Quad/{z}/{y}/{x}")
    assert names_in(geo.content, cid(parks_layer)) == sorted(p[0] for p in PARKS)


def test_cache_hit_and_a_new_version_drops_it(client, db, settings, parks_layer, layer_actors, tmp_path):
    z, y, x = tile_over(112.97, 28.19, 11)
    url = f"{BASE}/collections/{cid(parks_layer)}/tiles/WebMercatorQuad/{z}/{y}/{x}"
    first = client.get(url)
    assert first.headers["x-tile-cache"] == "miss"
    again = client.get(url)
    assert again.headers["x-tile-cache"] == "hit" and again.content == first.content
    assert (settings.data / "tiles" / f"r{parks_layer.id}").is_dir()
    path = tmp_path / "v2.geojson"
    write_geojson(path, [("新公园", "社区", 1.0, 1, None, None, {"type": "Point", "coordinates": [112.97, 28.19]})])
    report = datasets.import_file(db, actor=layer_actors["officer"], resource_id=parks_layer.id, path=path,
                                  filename="v2.geojson")
    assert report.ok, report.errors
    assert not (settings.data / "tiles" / f"r{parks_layer.id}" / "v1").exists()  # dropped on the import event
    fresh = client.get(url)
    assert fresh.headers["x-tile-cache"] == "miss" and names_in(fresh.content, cid(parks_layer)) == ["新公园"]


def test_masking_differs_by_reader_and_never_shares_a_cache_entry(client, parks_layer, layer_users, login):
    z, y, x = tile_over(112.97, 28.19, 10)
    url = f"{BASE}/collections/{cid(parks_layer)}/tiles/WebMercatorQuad/{z}/{y}/{x}"

    def phones(data: bytes) -> set:
        return {f["properties"].get("lxdh") for f in mapbox_vector_tile.decode(data)[cid(parks_layer)]["features"]}

    anonymous = client.get(url)
    assert "13807310001" not in phones(anonymous.content)
    login(client, layer_users["officer"])
    officer = client.get(url)
    assert officer.headers["x-tile-cache"] == "miss"  # another view: not the anonymous reader's entry
    assert "13807310001" in phones(officer.content)
    assert officer.headers["etag"] != anonymous.headers["etag"]


def test_a_masking_rule_edit_is_seen_by_the_next_tile(client, db, parks_layer, layer_actors):
    from zhicheng.exchange.masking_rules import service as masking_rules

    z, y, x = tile_over(112.97, 28.19, 10)
    url = f"{BASE}/collections/{cid(parks_layer)}/tiles/WebMercatorQuad/{z}/{y}/{x}"

    def phones(data: bytes) -> set:
        return {f["properties"].get("lxdh") for f in mapbox_vector_tile.decode(data)[cid(parks_layer)]["features"]}

    client.get(url)
    before = client.get(url)
    assert before.headers["x-tile-cache"] == "hit" and "138****0001" in phones(before.content)
    masking_rules.update_rule(db, actor=layer_actors["admin"], kind="mobile", params={"keep_first": 0, "keep_last": 2})
    after = client.get(url)  # neither the cached file nor the remembered view of the old rules
    assert after.headers["x-tile-cache"] == "miss" and after.headers["etag"] != before.headers["etag"]
    assert "*********01" in phones(after.content) and "138****0001" not in phones(after.content)


@pytest.mark.parametrize(("path", "status", "field"), [
    ("WebMercatorQuad/23/0/0", 404, "tileMatrix"),
    ("WebMercatorQuad/2/4/0", 404, "tileRow"),
    ("WebMercatorQuad/2/0/4", 404, "tileCol"),
    ("WorldCRS84Quad/0/0/2", 404, "tileCol"),
    ("WebMercatorQuad/-1/0/0", 400, "tileMatrix"),
    ("WebMercatorQuad/a/0/0", 400, "tileMatrix"),
    ("WebMercatorQuad/99999999999/0/0", 400, "tileMatrix"),
    ("NoSuchQuad/0/0/0", 404, "tileMatrixSetId"),
])
def test_bad_tile_coordinates_are_problems(client, parks_layer, path, status, field):
    for base in (f"{BASE}/collections/{cid(parks_layer)}/tiles/", f"{BASE}/tiles/"):
        r = client.get(base + path)
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == field


def test_closed_layer_is_not_there_for_anonymous_callers(client, closed_layer):
    r = client.get(f"{BASE}/collections/{cid(closed_layer)}/tiles/WebMercatorQuad/0/0/0")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")


def test_tilejson_and_tilesets(client, parks_layer):
    tj = client.get(f"{BASE}/collections/{cid(parks_layer)}/tilejson.json")
    assert tj.status_code == 200
    doc = tj.json()
    assert doc["tilejson"] == "3.0.0" and doc["vector_layers"][0]["id"] == cid(parks_layer)
    assert doc["tiles"][0].endswith(f"/collections/{cid(parks_layer)}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}")
    assert doc["bounds"] == pytest.approx([112.90, 28.10, 113.02, 28.26])
    sets = client.get(f"{BASE}/collections/{cid(parks_layer)}/tiles").json()["tilesets"]
    assert len(sets) == 2
    one = client.get(f"{BASE}/collections/{cid(parks_layer)}/tiles/WebMercatorQuad").json()
    assert any(link["rel"] == "item" and link["templated"] for link in one["links"])


def test_the_base_map_draws_the_citys_boundaries(client, db, make_resource, departments, layer_actors, tmp_path):
    from tests.geo.layers.conftest import ITEMS

    res = make_resource("街道近似边界", department=departments["housing"], state="published",
                        actor=layer_actors["officer"], items=ITEMS, open_type="unconditional", spatial=True)
    path = tmp_path / "streets.geojson"
    write_geojson(path, [p for p in PARKS if p[6]["type"] == "Polygon"])
    assert datasets.import_file(db, actor=layer_actors["officer"], resource_id=res.id, path=path,
                                filename="streets.geojson").ok
    assert [s for s, *_ in service.basemap_sources(db, actor=layer_actors["officer"])] == ["boundaries"]
    z, y, x = tile_over(112.97, 28.19, 10)
    r = client.get(f"{BASE}/tiles/WebMercatorQuad/{z}/{y}/{x}")
    decoded = mapbox_vector_tile.decode(r.content)
    assert len(decoded["boundaries"]["features"]) == 4
    assert client.get(f"{BASE}/tilejson.json").json()["vector_layers"] == [{"id": "boundaries", "fields": {}}]


def test_datetime_serves_the_version_in_force_each_cached_by_version(client, db, parks_layer, layer_actors, tmp_path):
    from datetime import timedelta

    from zhicheng.core import clock

    z, y, x = tile_over(112.97, 28.19, 10)
    url = f"{BASE}/collections/{cid(parks_layer)}/tiles/WebMercatorQuad/{z}/{y}/{x}"
    before = clock.now()
    path = tmp_path / "parks2.geojson"
    write_geojson(path, PARKS[:3])
    clock.advance(timedelta(hours=1))
    assert datasets.import_file(db, actor=layer_actors["officer"], resource_id=parks_layer.id, path=path,
                                filename="parks2.geojson").ok
    old = (before + timedelta(minutes=1)).isoformat()
    newest = client.get(url)
    assert names_in(newest.content, cid(parks_layer)) == sorted(p[0] for p in PARKS[:3])
    first = client.get(url, params={"datetime": old})
    assert first.status_code == 200 and first.headers["x-tile-cache"] == "miss"
    assert names_in(first.content, cid(parks_layer)) == sorted(p[0] for p in PARKS)
    assert first.headers["etag"] != newest.headers["etag"]
    again = client.get(url, params={"datetime": old})
    assert again.headers["x-tile-cache"] == "hit" and again.content == first.content
    assert client.get(url).content == newest.content  # the newest version's entry is its own
    for value, status in (("2000-01-01T00:00:00Z", 404), ("yesterday", 400)):
        r = client.get(url, params={"datetime": value})
        assert r.status_code == status and r.json()["field"] == "datetime"
