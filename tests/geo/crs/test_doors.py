"""The doors of coordinate conversion: `/api/v1/geo/convert` and `zhicheng geo convert` (coordinates and CSV files)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from zhicheng.geo.crs import service


def run(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url,
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "zhicheng", "geo", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_convert_points_over_http(client):
    r = client.post("/api/v1/geo/convert", json={"from": "GCJ02", "to": "EPSG:4490",
                                                 "points": [[112.938884, 28.22808], [2.35, 48.85]]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["to_uri"] == "http://www.opengis.net/def/crs/EPSG/0/4490"
    (x1, y1), (x2, y2) = body["points"]
    assert x1 == pytest.approx(112.933445, abs=2e-6) and y1 == pytest.approx(28.231596, abs=2e-6)
    assert (x2, y2) == (2.35, 48.85)  # outside China GCJ-02 is WGS 84


def test_convert_geojson_over_http(client):
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": "岳麓山"},
         "geometry": {"type": "LineString", "coordinates": [[112.93, 28.18], [112.94, 28.19]]}}]}
    r = client.post("/api/v1/geo/convert", json={"from": "CRS84", "to": "http://www.opengis.net/def/crs/zhicheng/0/BD09",
                                                 "geojson": fc})
    assert r.status_code == 200, r.text
    out = r.json()["geojson"]["features"][0]
    assert out["properties"] == {"名称": "岳麓山"}
    x, y = service.convert_points(*zip(*out["geometry"]["coordinates"], strict=True), "BD09", "CRS84")
    assert x.tolist() == pytest.approx([112.93, 112.94], abs=1e-9) and y.tolist() == pytest.approx([28.18, 28.19], abs=1e-9)


def test_list_of_crs(client):
    keys = [c["key"] for c in client.get("/api/v1/geo/crs").json()]
    assert {"CRS84", "EPSG:4490", "EPSG:4326", "EPSG:3857", "EPSG:4526", "EPSG:4547", "GCJ02", "BD09"} <= set(keys)


@pytest.mark.parametrize("body, field", [
    ({"from": "EPSG:2383", "to": "EPSG:4490", "points": [[1, 2]]}, "from"),
    ({"from": "EPSG:4490", "to": "mars", "points": [[1, 2]]}, "to"),
    ({"from": "EPSG:4490", "to": "GCJ02", "points": [[112.9, 28.2], [28.2, 112.9]]}, "points.1"),
    ({"from": "EPSG:4490", "to": "GCJ02"}, "points"),
    ({"from": "EPSG:4490", "to": "GCJ02", "geojson": {"type": "Polygon", "coordinates": "x"}}, "geojson"),
    ({"from": "EPSG:4490", "to": "GCJ02", "geojson": {"type": "FeatureCollection", "features": [{"type": "x"}]}},
     "geojson.features.0"),
])
def test_bad_input_is_problem_json_naming_the_field(client, body, field):
    r = client.post("/api/v1/geo/convert", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field


def test_cli_converts_coordinates(settings):
    r = run(settings, "convert", "--from", "EPSG:4490", "--to", "EPSG:4547", "112.9", "28.2")
    assert r.returncode == 0, r.stderr
    x, y = map(float, r.stdout.split())
    assert 300_000 < x < 500_000 and 3_000_000 < y < 3_200_000
    r = run(settings, "convert", "--from", "Xian80", "--to", "EPSG:4490", "1", "2")
    assert r.returncode == 1 and "Xian80" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_cli_converts_a_csv_file(settings, tmp_path):
    src = tmp_path / "points.csv"
    with src.open("w", encoding="gb18030", newline="") as fh:  # a department's GBK file
        w = csv.writer(fh)
        w.writerow(["名称", "lng", "lat"])
        for i in range(25_000):  # more than one chunk
            w.writerow([f"点{i}", f"{112.9 + i * 1e-5:.6f}", "28.2"])
    out = tmp_path / "out.csv"
    r = run(settings, "convert", "--from", "GCJ02", "--to", "CGCS2000", "--csv", str(src), "--out", str(out),
            "--lon", "lng")
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["名称", "lng", "lat"] and len(rows) == 25_001 and rows[1][0] == "点0"
    x, y = service.convert_points([float(rows[1][1])], [float(rows[1][2])], "CGCS2000", "GCJ02")
    assert x[0] == pytest.approx(112.9, abs=1e-8) and y[0] == pytest.approx(28.2, abs=1e-8)
    # a bad row names its line; nothing is written
    with src.open("a", encoding="gb18030", newline="") as fh:
        fh.write("坏点,28.2,112.9\n")
    out.unlink()
    r = run(settings, "convert", "--from", "EPSG:4490", "--to", "GCJ02", "--csv", str(src), "--out", str(out),
            "--lon", "lng")
    assert r.returncode == 1 and "25002" in r.stderr.replace(",", "") and not out.exists()
    assert not (tmp_path / "out.csv.part").exists()
