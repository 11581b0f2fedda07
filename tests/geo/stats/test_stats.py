"""Thematic statistics per zone against a brute-force Shapely computation; the doors (JSON, CSV, XLSX,
GeoJSON, CLI) and bad input."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import shapely
import shapely.geometry
from pyproj import Transformer

from tests.geo.grids.test_cli import run
from tests.geo.stats.conftest import ZONES, things
from zhicheng.geo.stats import service

URL = "/api/v1/geo/stats"


def brute(measure: str) -> dict[str, float]:
    fwd = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    metric = lambda g: shapely.transform(g, fwd.transform, interleaved=False)  # noqa: E731
    feats = [shapely.geometry.shape(g) for g in things()]
    out = {}
    for code, _name, ring in ZONES:
        zone = shapely.Polygon(ring)
        if measure in ("count", "sum"):
            total = Decimal(0)
            for i, f in enumerate(feats):
                if zone.contains(f.representative_point()):
                    total += 1 if measure == "count" else Decimal(str(round(1.25 * (i % 9), 2)))
            out[code] = float(total)
        else:
            mz = metric(zone)
            out[code] = sum(mz.intersection(metric(f)).area if measure == "area" else
                            (mz.intersection(metric(f)).length if f.geom_type == "LineString" else 0.0)
                            for f in feats)
    return out


@pytest.mark.parametrize("measure", ["count", "sum:sl", "area", "length"])
def test_against_brute_force(db, stat_layers, layer_actors, measure):
    zones, layer = stat_layers
    r = service.compute(db, actor=layer_actors["officer"], request=None, layer=layer.code, zones=zones.code,
                        measure=measure)
    got = {row["qhdm"]: row["value"] for row in r["rows"]}
    want = brute(measure.split(":")[0])
    assert got.keys() == want.keys()
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-6, abs=1e-3), (measure, k)
    assert any(v > 0 for v in got.values())
    if measure == "count":
        assert r["total"] + r["outside"] == len(things())


def test_doors(client, stat_layers):
    from openpyxl import load_workbook

    zones, layer = stat_layers
    q = {"layer": layer.code.replace("/", "-"), "zones": zones.code.replace("/", "-"), "measure": "area"}
    body = client.get(URL, params=q).json()
    assert body["unit"] == "m²" and body["crs_metric"] == "EPSG:4547" and len(body["rows"]) == 3
    g = client.get(URL, params=q | {"format": "geojson"})
    assert g.headers["content-type"].startswith("application/geo+json")
    feats = g.json()["features"]
    assert [f["properties"]["qhmc"] for f in feats] == ["甲区", "乙区", "丙区"]
    assert all(f["geometry"]["type"] == "Polygon" and f["properties"]["value"] > 0 for f in feats)
    c = client.get(URL, params=q | {"format": "csv"})
    assert c.status_code == 200 and "qhmc" in c.content.decode("utf-8-sig").splitlines()[0]
    x = client.get(URL, params=q | {"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(x.content)).active.values)
    assert rows[0][-1] == "value" and len(rows) == 4


def test_bad_input(client, stat_layers):
    zones, layer = stat_layers
    lc, zc = layer.code.replace("/", "-"), zones.code.replace("/", "-")
    for params, name in [({"layer": "nope", "zones": zc}, "collectionId"),
                         ({"layer": lc, "zones": zc, "measure": "sum:mc"}, "measure"),
                         ({"layer": lc, "zones": zc, "measure": "sum:zz"}, "measure"),
                         ({"layer": lc, "zones": zc, "measure": "median"}, "measure")]:
        r = client.get(URL, params=params)
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"].startswith("application/problem+json") and name in r.text


def test_cli(stat_layers, settings, tmp_path):
    zones, layer = stat_layers
    r = run(settings, "stats", layer.code.replace("/", "-"), "--zones", zones.code.replace("/", "-"))
    assert r.returncode == 0, r.stderr
    assert "甲区" in r.stdout and "合计" in r.stdout
    out = tmp_path / "s.xlsx"
    r = run(settings, "stats", layer.code.replace("/", "-"), "--zones", zones.code.replace("/", "-"),
            "--measure", "sum:sl", "--out", str(out))
    assert r.returncode == 0 and out.stat().st_size > 0, r.stderr
    r = run(settings, "stats", layer.code.replace("/", "-"), "--zones", zones.code, "--measure", "sum:mc")
    assert r.returncode != 0 and "Traceback" not in r.stderr
