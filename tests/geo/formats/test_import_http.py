"""Over HTTP: a data officer uploads layers with their CRS and coordinate columns; bad options are problem+json
naming the field, bad files fail their job with a clear message, and nothing is stored."""

from __future__ import annotations

import json
import time

from zhicheng.catalog.datasets import jobs
from zhicheng.geo.crs import service as crs

from .conftest import PLACES, projected, write_layer, zip_folder

TOL = 1e-7


def wait_for(client, job_id: str, headers: dict) -> dict:
    assert jobs.wait(job_id, timeout=120)
    for _ in range(50):
        body = client.get(f"/api/v1/imports/{job_id}", headers=headers).json()
        if body["state"] in ("succeeded", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(body)


def upload(client, layer, headers, path, **form):
    with path.open("rb") as fh:
        return client.post(f"/api/v1/catalog/resources/{layer.id}/imports", headers=headers,
                           files={"file": (path.name, fh, "application/octet-stream")}, data=form)


def test_shapefile_and_gcj02_csv_over_http(client, layer, officer, auth_headers, tmp_path):
    headers = auth_headers(officer["user"])
    folder = tmp_path / "shp"
    folder.mkdir()
    write_layer(folder / "pts.shp", projected("EPSG:4525"), "EPSG:4525", driver="ESRI Shapefile")
    r = upload(client, layer, headers, zip_folder(folder, tmp_path / "pts.zip"))
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["id"], headers)
    assert job["state"] == "succeeded", (job["message"], job["errors"][:3])
    versions = client.get(f"/api/v1/catalog/resources/{layer.id}/versions", headers=headers).json()
    geometry = next(c for c in versions[0]["columns"] if c["type"] == "geometry")
    assert (versions[0]["format"], geometry["crs"], geometry["source_crs"]) == ("shapefile", "EPSG:4490", "EPSG:4525")
    rows = client.get(f"/api/v1/catalog/resources/{layer.id}/versions/1/rows", headers=headers).json()["rows"]
    for row, (_name, lon, lat) in zip(rows, PLACES, strict=True):
        x, y = json.loads(row[2])["coordinates"]
        assert abs(x - lon) < TOL and abs(y - lat) < TOL

    gx, gy = crs.convert_points([p[1] for p in PLACES], [p[2] for p in PLACES], "CGCS2000", "GCJ02")
    path = tmp_path / "amap.csv"
    path.write_text("名称,x,y\n" + "".join(f"{p[0]},{a:.9f},{b:.9f}\n" for p, a, b in zip(PLACES, gx, gy, strict=True)),
                    encoding="utf-8")
    r = upload(client, layer, headers, path, crs="http://www.opengis.net/def/crs/zhicheng/0/GCJ02", lon_column="x",
               lat_column="y")
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["id"], headers)
    assert job["state"] == "succeeded" and job["version"] == 2, job
    rows = client.get(f"/api/v1/catalog/resources/{layer.id}/versions/2/rows", headers=headers).json()["rows"]
    for row, (_name, lon, lat) in zip(rows, PLACES, strict=True):
        x, y = json.loads(row[2])["coordinates"]
        assert abs(x - lon) < TOL and abs(y - lat) < TOL


def test_bad_options_are_problem_json_naming_the_field(client, layer, officer, auth_headers, tmp_path):
    headers = auth_headers(officer["user"])
    path = tmp_path / "p.csv"
    path.write_text("名称,x,y\n岳麓山,112.9,28.2\n", encoding="utf-8")
    for form, field in [({"crs": "EPSG:2383", "lon_column": "x", "lat_column": "y"}, "crs"),
                        ({"crs": "火星", "lon_column": "x", "lat_column": "y"}, "crs"),
                        ({"lon_column": "x"}, "lat_column"),
                        ({"invalid_geometry": "ignore"}, "invalid_geometry")]:
        r = upload(client, layer, headers, path, **form)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["field"] == field
    assert client.get(f"/api/v1/catalog/resources/{layer.id}/versions", headers=headers).json() == []


def test_zip_slip_and_swapped_axes_fail_their_jobs(client, layer, officer, auth_headers, tmp_path):
    headers = auth_headers(officer["user"])
    folder = tmp_path / "shp"
    folder.mkdir()
    write_layer(folder / "pts.shp", projected("EPSG:4526"), "EPSG:4526", driver="ESRI Shapefile")
    r = upload(client, layer, headers, zip_folder(folder, tmp_path / "evil.zip", extra={"../../evil.sh": b"#!"}))
    assert r.status_code == 202, r.text
    job = wait_for(client, r.json()["id"], headers)
    assert job["state"] == "failed" and "不安全的路径" in job["message"], job

    path = tmp_path / "swapped.csv"
    path.write_text("名称,lon,lat\n岳麓山,112.9366,28.1889\n橘子洲,28.1832,112.9612\n", encoding="utf-8")
    r = upload(client, layer, headers, path, lon_column="lon", lat_column="lat")
    job = wait_for(client, r.json()["id"], headers)
    assert job["state"] == "failed" and [e["line"] for e in job["errors"]] == [3], job
    assert client.get(f"/api/v1/catalog/resources/{layer.id}/versions", headers=headers).json() == []


def run_import(settings, *args: str):
    import os
    import subprocess
    import sys

    env = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url,
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "zhicheng", "import", *args], capture_output=True, text=True,
                          env=env, timeout=180)


def test_cli_imports_a_layer_with_repairs_reported(db, settings, layer, officer, tmp_path):
    import shapely

    from zhicheng.catalog.datasets import service

    bowtie = "POLYGON ((112.90 28.10, 112.91 28.11, 112.91 28.10, 112.90 28.11, 112.90 28.10))"
    square = shapely.Polygon([(112.9, 28.1), (112.91, 28.1), (112.91, 28.11)])
    path = tmp_path / "areas.csv"
    path.write_text(f"名称,几何\n甲,\"{square.wkt}\"\n乙,\"{bowtie}\"\n", encoding="utf-8")
    r = run_import(settings, layer.code, str(path), "--wkt", "几何")
    assert r.returncode == 1 and "第 3 行" in r.stderr and "Self-intersection" in r.stderr, r.stderr
    assert service.list_versions(db, actor=officer["actor"], resource_id=layer.id) == []
    r = run_import(settings, layer.code, str(path), "--wkt", "几何", "--repair-geometry", "--crs", "CGCS2000")
    assert r.returncode == 0, r.stderr
    assert "crs=EPSG:4490 (declared)" in r.stdout and "repaired=1" in r.stdout and "第 3 行" in r.stdout
    r = run_import(settings, layer.code, str(path), "--wkt", "几何", "--crs", "Beijing54")
    assert r.returncode == 1 and "Beijing54" in r.stderr and "Traceback" not in r.stderr


def test_import_page_offers_layer_options_and_imports_a_geopackage(client, layer, officer, login, tmp_path):
    csrf = login(client, officer["user"])
    page = client.get(f"/catalog/{layer.id}/import")
    assert page.status_code == 200 and 'id="layer-options"' in page.text and "GCJ02" in page.text
    path = write_layer(tmp_path / "places.gpkg", projected("EPSG:3857"), "EPSG:3857", driver="GPKG")
    with path.open("rb") as fh:
        r = client.post(f"/catalog/{layer.id}/import", data={"csrf_token": csrf, "invalid_geometry": "refuse"},
                        files={"file": ("places.gpkg", fh, "application/geopackage+sqlite3")}, follow_redirects=False)
    assert r.status_code == 303 and "/imports/" in r.headers["location"], r.text
    job_id = r.headers["location"].rsplit("/", 1)[1]
    assert jobs.wait(job_id, timeout=120)
    versions = client.get(f"/api/v1/catalog/resources/{layer.id}/versions",
                          headers={"X-CSRF-Token": csrf}).json()
    assert versions[0]["format"] == "gpkg"
    page = client.get(f"/catalog/{layer.id}/import?lang=en")
    assert "Layer options" in page.text
    with path.open("rb") as fh:
        r = client.post(f"/catalog/{layer.id}/import", data={"csrf_token": csrf, "crs": "EPSG:27700"},
                        files={"file": ("places.gpkg", fh, "application/geopackage+sqlite3")}, follow_redirects=False)
    assert r.status_code == 422 and "EPSG:27700" in r.text


def test_preview_of_a_geopackage(client, layer, officer, auth_headers, tmp_path):
    headers = auth_headers(officer["user"])
    path = write_layer(tmp_path / "places.gpkg", projected("EPSG:4490"), "EPSG:4490", driver="GPKG")
    with path.open("rb") as fh:
        r = client.post(f"/api/v1/catalog/resources/{layer.id}/imports/preview", headers=headers,
                        files={"file": ("places.gpkg", fh, "application/octet-stream")})
    assert r.status_code == 200, r.text

