"""Change extraction between two layer versions: by id, by geometry, the threshold, the doors and bad input."""

from __future__ import annotations

from tests.geo.grids.test_cli import run
from zhicheng.geo.changes import service

URL = "/api/v1/geo/layers/{}/changes"


def _by_kind(report):
    out = {}
    for e in report["changes"]:
        out.setdefault(e["change"], []).append(e)
    return out


def test_by_id(db, survey_layer, layer_actors):
    r = service.extract(db, actor=layer_actors["officer"], request=None, code=survey_layer.code, from_version=1,
                        to_version=2, threshold=1.0, id_item="bh")
    assert r["counts"] == {"added": 1, "removed": 1, "changed": 2, "moved": 1, "unchanged": 3}
    k = _by_kind(r)
    assert [e["key"] for e in k["added"]] == ["F"] and [e["key"] for e in k["removed"]] == ["D"]
    assert {e["key"]: e["attributes"] for e in k["changed"]} == {"B": {"rs": [2, 20]}, "H": {"mc": ["辛", "辛二"]}}
    (moved,) = k["moved"]
    assert moved["key"] == "C" and 215 < moved["distance_m"] < 230
    # E moved ~0.55 m: under the 1 m threshold it is unchanged, over a 0.1 m one it moved
    r2 = service.extract(db, actor=layer_actors["officer"], request=None, code=survey_layer.code, from_version=1,
                         to_version=2, threshold=0.1, id_item="bh")
    assert sorted(e["key"] for e in _by_kind(r2)["moved"]) == ["C", "E"]


def test_by_geometry_and_threshold(db, survey_layer_no_id, layer_actors):
    code = survey_layer_no_id.code
    r = service.extract(db, actor=layer_actors["officer"], request=None, code=code, from_version=1, to_version=2,
                        threshold=300)
    assert r["matched_by"] == "geometry"
    assert r["counts"] == {"added": 1, "removed": 1, "changed": 2, "moved": 2, "unchanged": 2}
    k = _by_kind(r)
    assert sorted(e["properties"]["mc"] for e in k["moved"]) == ["丙", "戊"]
    assert k["added"][0]["properties"]["mc"] == "己" and k["removed"][0]["properties"]["mc"] == "丁"
    # a 100 m search radius: C's 222 m move is a removal and an addition
    r = service.extract(db, actor=layer_actors["officer"], request=None, code=code, from_version=1, to_version=2,
                        threshold=100)
    assert r["counts"] == {"added": 2, "removed": 2, "changed": 2, "moved": 1, "unchanged": 2}
    # the same version twice: nothing changed
    r = service.extract(db, actor=layer_actors["officer"], request=None, code=code, from_version=2, to_version=2)
    assert r["counts"] == {"added": 0, "removed": 0, "changed": 0, "moved": 0, "unchanged": 7}


def test_api_report_and_geojson(client, survey_layer):
    url = URL.format(survey_layer.code.replace("/", "-"))
    r = client.get(url, params={"from": 1, "to": 2, "threshold": 1, "id_item": "bh"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"]["added"] == 1 and all("geometry" not in e for e in body["changes"])
    g = client.get(url, params={"from": 1, "to": 2, "id_item": "bh", "format": "geojson"})
    assert g.status_code == 200 and g.headers["content-type"].startswith("application/geo+json")
    feats = g.json()["features"]
    assert sorted(f["properties"]["change"] for f in feats) == ["added", "changed", "changed", "moved", "removed"]
    removed = next(f for f in feats if f["properties"]["change"] == "removed")
    assert removed["geometry"]["coordinates"] == [112.98, 28.2]


def test_bad_input(client, survey_layer):
    url = URL.format(survey_layer.code.replace("/", "-"))
    cases = [(URL.format("nope-000"), {"from": 1, "to": 2}, "collectionId"),
             (url, {"from": 1, "to": 9}, "to"),
             (url, {"from": 1, "to": 2, "id_item": "zz"}, "id_item"),
             (url, {"from": 1, "to": 2, "threshold": -1}, "threshold")]
    for u, params, name in cases:
        r = client.get(u, params=params)
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert name in r.text


def test_policy_applies(client, closed_layer):
    """A layer that is neither open nor shared: anonymous callers do not see it, as at every other door."""
    r = client.get(URL.format(closed_layer.code.replace("/", "-")), params={"from": 1, "to": 1})
    assert r.status_code == 404 and "collectionId" in r.text


def test_cli(survey_layer, settings, tmp_path):
    out = tmp_path / "changes.geojson"
    r = run(settings, "changes", survey_layer.code.replace("/", "-"), "--from", "1", "--to", "2", "--id-item", "bh",
            "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "新增 1" in r.stdout and out.stat().st_size > 0
    r = run(settings, "changes", "nope", "--from", "1", "--to", "2")
    assert r.returncode != 0 and "Traceback" not in r.stderr
