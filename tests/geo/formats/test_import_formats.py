"""A natural-resources bureau imports its layers as they come: a zipped Shapefile in a Gauss-Krüger zone, a
GeoPackage in Web Mercator, KML, CSV/XLSX with lon/lat or WKT columns, GCJ-02 points from a web map; everything
lands in CGCS2000 with the source CRS recorded, and bad files store nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from zhicheng.catalog.datasets import service
from zhicheng.catalog.datasets.geo_readers import GeoOptions
from zhicheng.geo.crs import service as crs

from .conftest import PLACES, projected, write_layer, zip_folder

TOL = 1e-7  # degrees (≈ 1 cm)
SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "geo" / "changsha"


def stored_points(db, actor, resource_id, version=None) -> list[tuple[str, float, float]]:
    _cols, rows = service.read_rows(db, actor=actor, resource_id=resource_id, version=version, limit=1000)
    out = []
    for row in rows:
        geom = json.loads(row[2])
        out.append((row[0], *geom["coordinates"][:2]))
    return out


def assert_places(points, places=PLACES, tol=TOL):
    assert [p[0] for p in points] == [p[0] for p in places]
    for (_n, x, y), (_m, lon, lat) in zip(points, places, strict=True):
        assert abs(x - lon) < tol and abs(y - lat) < tol, (x, y, lon, lat)


def test_zipped_shapefile_in_a_gauss_kruger_zone_read_from_its_prj(db, layer, officer, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    write_layer(folder / "地名.shp", projected("EPSG:4526"), "EPSG:4526", driver="ESRI Shapefile")
    path = zip_folder(folder, tmp_path / "地名.zip")
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="地名.zip")
    assert report.ok, report.errors
    assert report.format == "shapefile" and report.row_count == len(PLACES)
    assert report.geo["source_crs"] == "EPSG:4526" and report.geo["crs_from"] == "file"
    assert report.geo["storage_crs"] == "EPSG:4490"
    assert_places(stored_points(db, officer["actor"], layer.id))
    version = service.get_version(db, actor=officer["actor"], resource_id=layer.id)
    geometry = next(c for c in version.columns if c["type"] == "geometry")
    assert (geometry["crs"], geometry["source_crs"]) == ("EPSG:4490", "EPSG:4526")


def test_geopackage_in_web_mercator(db, layer, officer, tmp_path):
    path = write_layer(tmp_path / "places.gpkg", projected("EPSG:3857"), "EPSG:3857", driver="GPKG")
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="places.gpkg")
    assert report.ok, report.errors
    assert report.geo["source_crs"] == "EPSG:3857"
    assert_places(stored_points(db, officer["actor"], layer.id))


def test_kml_is_wgs84(db, layer, officer, tmp_path):
    path = write_layer(tmp_path / "places.kml", projected("EPSG:4326"), "EPSG:4326", driver="KML")
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="places.kml")
    assert report.ok, report.errors
    assert report.geo["source_crs"] in ("CRS84", "EPSG:4326")
    assert_places(stored_points(db, officer["actor"], layer.id))


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_csv_lon_lat_in_gcj02_declared(db, layer, officer, tmp_path):
    gx, gy = crs.convert_points([p[1] for p in PLACES], [p[2] for p in PLACES], "EPSG:4490", "GCJ02")
    path = _csv(tmp_path / "高德取点.csv", ["名称", "编号", "经度", "纬度"],
                [[p[0], i + 1, f"{x:.9f}", f"{y:.9f}"] for i, (p, x, y) in enumerate(zip(PLACES, gx, gy, strict=True))])
    options = GeoOptions.of(crs="GCJ-02", lon_column="经度", lat_column="纬度")
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="高德取点.csv",
                                 geo=options)
    assert report.ok, report.errors
    assert report.geo["source_crs"] == "GCJ02" and report.geo["crs_from"] == "declared"
    assert_places(stored_points(db, officer["actor"], layer.id))


def test_csv_wkt_in_gauss_kruger_by_central_meridian(db, layer, officer, tmp_path):
    rows = [[p[0], i + 1, g.wkt] for i, (p, g) in enumerate(zip(PLACES, projected("EPSG:4547"), strict=True))]
    path = _csv(tmp_path / "wkt.csv", ["名称", "编号", "WKT"], rows)
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="wkt.csv",
                                 geo=GeoOptions.of(crs="EPSG:4547", wkt_column="WKT"))
    assert report.ok, report.errors
    assert_places(stored_points(db, officer["actor"], layer.id))


def test_xlsx_lon_lat_in_bd09(db, layer, officer, tmp_path):
    from openpyxl import Workbook

    bx, by = crs.convert_points([p[1] for p in PLACES], [p[2] for p in PLACES], "EPSG:4490", "BD09")
    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "编号", "lng", "lat"])
    for i, (p, x, y) in enumerate(zip(PLACES, bx, by, strict=True)):
        sheet.append([p[0], i + 1, float(x), float(y)])
    path = tmp_path / "百度.xlsx"
    book.save(path)
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="百度.xlsx",
                                 geo=GeoOptions.of(crs="BD09", lon_column="lng", lat_column="lat"))
    assert report.ok, report.errors
    assert_places(stored_points(db, officer["actor"], layer.id))


def test_real_gcj02_geojson_lands_on_its_wgs84_counterparts(db, make_resource, departments, officer):
    gcj, wgs = SAMPLES / "changsha_adcode_points_gcj02.geojson", SAMPLES / "changsha_adcode_points_wgs84.geojson"
    if not gcj.is_file():
        pytest.skip(f"real sample absent: {gcj}")
    items = [{"name": n, "label": n, "type": "string", "length": 50}
             for n in ("code", "parent", "name", "level", "ur_code", "county", "town", "village")]
    points = make_resource("长沙区划代码点", department=departments["police"],
                           items=[*items, {"name": "geometry", "label": "位置", "type": "geometry"}])
    report = service.import_file(db, actor=officer["actor"], resource_id=points.id, path=gcj,
                                 filename=gcj.name, geo=GeoOptions.of(crs="GCJ02"))
    assert report.ok, report.errors[:3]
    assert report.row_count == 617
    truth = {f["properties"]["code"]: f["geometry"]["coordinates"]
             for f in json.loads(wgs.read_text(encoding="utf-8"))["features"]}
    _cols, rows = service.read_rows(db, actor=officer["actor"], resource_id=points.id, limit=1000)
    assert len(rows) == 617
    worst = max(max(abs(a - b) for a, b in zip(json.loads(r[-1])["coordinates"], truth[r[0]], strict=True))
                for r in rows)
    assert worst < 1e-6  # the sample's own rounding (6 decimals)


# -- bad input: a clear error, nothing stored ------------------------------------------------------------------

def no_version(db, officer, layer) -> bool:
    return service.list_versions(db, actor=officer["actor"], resource_id=layer.id) == []


def test_swapped_axes_are_caught_with_the_row_number(db, layer, officer, tmp_path):
    rows = [[p[0], i + 1, p[1], p[2]] for i, p in enumerate(PLACES)]
    rows[3][2], rows[3][3] = rows[3][3], rows[3][2]  # the fourth data row (line 5) has latitude first
    rows[4][3] = 128.5  # the fifth (line 6): latitude out of range
    path = _csv(tmp_path / "swapped.csv", ["名称", "编号", "lon", "lat"], rows)
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="swapped.csv",
                                 geo=GeoOptions.of(lon_column="lon", lat_column="lat"))
    assert not report.ok and no_version(db, officer, layer)
    assert [e["line"] for e in report.errors] == [5, 6]
    assert "swapped" in report.errors[0]["en"] and "out of range" in report.errors[1]["en"]
    assert report.errors[0]["value"] == "28.147000 113.065200"  # the point as the file gave it


def test_out_of_range_coordinates_are_caught(db, layer, officer, tmp_path):
    rows = [[p[0], i + 1, p[1], p[2]] for i, p in enumerate(PLACES)]
    rows[1][2] = 312.9
    path = _csv(tmp_path / "range.csv", ["名称", "编号", "lon", "lat"], rows)
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="range.csv",
                                 geo=GeoOptions.of(lon_column="lon", lat_column="lat"))
    assert not report.ok and no_version(db, officer, layer)
    assert [(e["line"], e["column"]) for e in report.errors] == [(3, "lon/lat")]
    assert "out of range" in report.errors[0]["en"]


def test_swapped_gauss_kruger_easting_and_northing_are_caught(db, layer, officer, tmp_path):
    geoms = projected("EPSG:4547")
    geoms[2] = shapely.Point(geoms[2].y, geoms[2].x)
    path = write_layer(tmp_path / "gk.gpkg", geoms, "EPSG:4547", driver="GPKG")
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="gk.gpkg")
    assert not report.ok and no_version(db, officer, layer)
    assert [e["line"] for e in report.errors] == [3] and "EPSG:4547" in report.errors[0]["en"]


BOWTIE = shapely.Polygon([(112.90, 28.10), (112.91, 28.11), (112.91, 28.10), (112.90, 28.11), (112.90, 28.10)])
SQUARE = shapely.Polygon([(112.90, 28.10), (112.91, 28.10), (112.91, 28.11), (112.90, 28.10)])


def test_invalid_geometry_refused_by_default_and_repaired_on_request(db, layer, officer, tmp_path):
    path = write_layer(tmp_path / "areas.gpkg", [SQUARE, BOWTIE, SQUARE], "EPSG:4490", driver="GPKG",
                       names=["甲", "乙", "丙"])
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="areas.gpkg")
    assert not report.ok and no_version(db, officer, layer)
    assert [e["line"] for e in report.errors] == [2] and "Self-intersection" in report.errors[0]["en"]
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="areas.gpkg",
                                 geo=GeoOptions.of(invalid_geometry="repair"))
    assert report.ok, report.errors
    assert report.geo["repaired_count"] == 1 and report.geo["repaired"][0]["line"] == 2
    assert "Self-intersection" in report.geo["repaired"][0]["en"]
    _cols, rows = service.read_rows(db, actor=officer["actor"], resource_id=layer.id)
    fixed = shapely.from_geojson(rows[1][2])
    assert fixed.is_valid and fixed.geom_type == "MultiPolygon" and abs(fixed.area - shapely.make_valid(BOWTIE).area) < 1e-12


def test_unknown_crs_in_the_prj_is_refused(db, layer, officer, tmp_path):
    import pyproj

    folder = tmp_path / "xian80"
    folder.mkdir()
    write_layer(folder / "pts.shp", projected("EPSG:4547"), "EPSG:4547", driver="ESRI Shapefile")
    (folder / "pts.prj").write_text(pyproj.CRS(2383).to_wkt("WKT1_ESRI"))  # Xian 1980 / GK CM 114E
    path = zip_folder(folder, tmp_path / "xian80.zip")
    with pytest.raises(crs.UnknownCrs) as caught:
        service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="xian80.zip")
    assert caught.value.field == "crs" and "Xian" in caught.value.en
    assert no_version(db, officer, layer)
    with pytest.raises(crs.UnknownCrs):
        GeoOptions.of(crs="EPSG:2383")


def test_shapefile_without_prj_needs_a_declared_crs(db, layer, officer, tmp_path):
    folder = tmp_path / "noprj"
    folder.mkdir()
    write_layer(folder / "pts.shp", projected("EPSG:4526"), "EPSG:4526", driver="ESRI Shapefile")
    (folder / "pts.prj").unlink()
    path = zip_folder(folder, tmp_path / "noprj.zip")
    with pytest.raises(crs.UnknownCrs) as caught:
        service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="noprj.zip")
    assert ".prj" in caught.value.en
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="noprj.zip",
                                 geo=GeoOptions.of(crs="EPSG:4526"))
    assert report.ok and report.geo["crs_from"] == "declared"
    assert_places(stored_points(db, officer["actor"], layer.id))


@pytest.mark.parametrize("evil", ["../../etc/cron.d/evil.shp", "/tmp/evil.shp", "a/../../evil.dbf",
                                  "..\\..\\evil.shx", "C:/evil.prj"])
def test_zip_slip_paths_are_refused(db, layer, officer, tmp_path, evil):
    folder = tmp_path / "shp"
    folder.mkdir()
    write_layer(folder / "pts.shp", projected("EPSG:4526"), "EPSG:4526", driver="ESRI Shapefile")
    path = zip_folder(folder, tmp_path / "evil.zip", extra={evil: b"x"})
    report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="evil.zip")
    assert not report.ok and no_version(db, officer, layer)
    assert "unsafe path" in report.message_en


def test_zip_bomb_limits_apply(db, layer, officer, tmp_path, monkeypatch):
    folder = tmp_path / "shp"
    folder.mkdir()
    write_layer(folder / "pts.shp", projected("EPSG:4526"), "EPSG:4526", driver="ESRI Shapefile")
    path = zip_folder(folder, tmp_path / "bomb.zip", extra={"padding.txt": b"\0" * (3 * 1024 * 1024)})
    monkeypatch.setenv("ZHICHENG_IMPORT_MAX_UNCOMPRESSED_MB", "2")
    from zhicheng.core.settings import get_settings

    get_settings.cache_clear() if hasattr(get_settings, "cache_clear") else None
    try:
        report = service.import_file(db, actor=officer["actor"], resource_id=layer.id, path=path, filename="bomb.zip")
    finally:
        monkeypatch.delenv("ZHICHENG_IMPORT_MAX_UNCOMPRESSED_MB")
        get_settings.cache_clear() if hasattr(get_settings, "cache_clear") else None
    assert not report.ok and "uncompressed size" in report.message_en and no_version(db, officer, layer)
