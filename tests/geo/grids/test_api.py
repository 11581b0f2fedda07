"""The grids API: generate, read, locate, edit, split, merge, export, import; bad input gives problem+json
naming the field and stores nothing."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import shape

from zhicheng.accounts import service as accounts


@pytest.fixture
def api(client, db, auth_headers, grid_layers, grid_officer):
    communities, grids = grid_layers
    user = accounts.get_user_by_username(db, "grid_officer")
    headers = auth_headers(user)
    layer = grids.code.replace("/", "-")  # the public id in URLs
    r = client.post(f"/api/v1/geo/grids/{layer}/generate", json={"communities": communities.code},
                    headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    return client, headers, layer


def test_cells_summary_locate_and_export(api):
    client, headers, layer = api
    summary = client.get(f"/api/v1/geo/grids/{layer}", headers=headers).json()
    assert summary["communities"] == 14 and summary["cells"] > 14
    r = client.get(f"/api/v1/geo/grids/{layer}/cells", params={"community": "430102001001"}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    feats = r.json()["features"]
    assert feats and all(f["id"].startswith("430102001001") for f in feats)
    inside = shape(feats[0]["geometry"]).representative_point()
    hit = client.get(f"/api/v1/geo/grids/{layer}/locate", params={"lon": inside.x, "lat": inside.y},
                     headers=headers).json()
    assert hit["cell"]["id"] == feats[0]["id"]
    assert client.get(f"/api/v1/geo/grids/{layer}/locate", params={"lon": 116.4, "lat": 39.9},
                      headers=headers).json() == {"cell": None}
    for fmt, media in (("geojson", "application/geo+json"), ("csv", "text/csv"), ("xlsx", "application/vnd")):
        r = client.get(f"/api/v1/geo/grids/{layer}/export", params={"format": fmt}, headers=headers)
        assert r.status_code == 200 and r.headers["content-type"].startswith(media)


def test_split_merge_and_edit_through_the_api(api):
    client, headers, layer = api
    feats = client.get(f"/api/v1/geo/grids/{layer}/cells", params={"community": "430102001002"},
                       headers=headers).json()["features"]
    big = max(feats, key=lambda f: shape(f["geometry"]).area)
    minx, miny, maxx, maxy = shape(big["geometry"]).bounds
    line = {"type": "LineString", "coordinates": [[(minx + maxx) / 2, miny - 0.001], [(minx + maxx) / 2, maxy + 0.001]]}
    r = client.post(f"/api/v1/geo/grids/{layer}/cells/{big['id']}/split", json={"line": line}, headers=headers)
    assert r.status_code == 200, r.text
    parts = [c["id"] for c in r.json()["cells"]]
    assert parts[0] == big["id"] and len(parts) == 2
    r = client.post(f"/api/v1/geo/grids/{layer}/merge", json={"codes": parts}, headers=headers)
    assert r.status_code == 200 and r.json()["cell"]["id"] == big["id"]
    r = client.patch(f"/api/v1/geo/grids/{layer}/cells/{big['id']}", json={"inspector": "李娜"}, headers=headers)
    assert r.status_code == 200 and r.json()["version"] == 4


@pytest.mark.parametrize("method, path, body, field", [
    ("post", "cells/43010200100201/split", {"line": {"type": "Point", "coordinates": [112.9, 28.1]}}, "line"),
    ("post", "merge", {"codes": ["43010200100201", "4301020010020X"]}, "codes"),
    ("patch", "cells/43010200100201", {"geometry": {"type": "Polygon", "coordinates": [[[116.39, 39.9],
                                       [116.4, 39.9], [116.4, 39.91], [116.39, 39.9]]]}}, "geometry"),
    ("patch", "cells/430102001002", {"inspector": "x"}, "grid_code"),
])
def test_bad_input_is_problem_json_and_stores_nothing(api, db, method, path, body, field):
    client, headers, layer = api
    r = getattr(client, method)(f"/api/v1/geo/grids/{layer}/{path}", json=body, headers=headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
    versions = client.get(f"/api/v1/geo/grids/{layer}", headers=headers).json()
    assert versions["cells"] > 0
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service as datasets

    res = catalog.get_by_code(db, layer.replace("-", "/"))
    assert len(datasets.list_versions(db, actor=accounts.actor_for(accounts.get_user_by_username(db, "grid_officer")),
                                      resource_id=res.id)) == 1


def test_import_refuses_a_bad_file_and_unknown_layers(api):
    client, headers, layer = api
    bad = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"grid_code": "123"},
           "geometry": {"type": "Polygon", "coordinates": [[[112.98, 28.19], [112.99, 28.19], [112.99, 28.2],
                                                            [112.98, 28.19]]]}}]}
    r = client.post(f"/api/v1/geo/grids/{layer}/import", files={"file": ("grids.geojson", json.dumps(bad))},
                    headers=headers)
    assert r.status_code == 422 and r.json()["field"].startswith("grid_code")
    r = client.post(f"/api/v1/geo/grids/{layer}/import", files={"file": ("grids.exe", b"MZ")}, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = client.get("/api/v1/geo/grids/NO-SUCH-LAYER", headers=headers)
    assert r.status_code == 404 and r.json()["field"] == "layer"
    r = client.post(f"/api/v1/geo/grids/{layer}/generate", json={"communities": "NOPE"}, headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "communities"
