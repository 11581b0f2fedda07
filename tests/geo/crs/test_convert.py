"""Coordinate conversion: CGCS2000, WGS 84, Web Mercator, Gauss-Krüger, and GCJ-02/BD-09 against real samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng.core.crs import offsets
from zhicheng.core.errors import Invalid
from zhicheng.geo.crs import service
from zhicheng.geo.crs.registry import UnknownCrs, parse_crs

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "geo" / "changsha"
# 1 cm in degrees of latitude (and, at Chinese latitudes, less than 1 cm of longitude)
CM_DEG = 0.01 / 111_320


def _points(name: str) -> np.ndarray:
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"real sample absent: {path}")
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    return np.array([f["geometry"]["coordinates"] for f in features], dtype=float)


def test_real_gcj02_sample_matches_its_wgs84_counterparts():
    gcj, wgs = _points("changsha_adcode_points_gcj02.geojson"), _points("changsha_adcode_points_wgs84.geojson")
    assert len(gcj) == len(wgs) == 617
    # the files hold 6 decimals (≈ 0.1 m): forward and inverse agree with them to that rounding
    x, y = service.convert_points(wgs[:, 0], wgs[:, 1], "EPSG:4326", "GCJ02")
    assert np.abs(x - gcj[:, 0]).max() < 1e-6 and np.abs(y - gcj[:, 1]).max() < 1e-6
    x, y = service.convert_points(gcj[:, 0], gcj[:, 1], "GCJ02", "EPSG:4490")
    assert np.abs(x - wgs[:, 0]).max() < 1e-6 and np.abs(y - wgs[:, 1]).max() < 1e-6
    # the offset is real: a few hundred metres in Changsha
    assert 0.002 < np.abs(gcj[:, 0] - wgs[:, 0]).mean() < 0.01


def test_known_points_of_the_published_formulas():
    # Tian'anmen, WGS 84 → GCJ-02 as every published implementation gives it
    x, y = offsets.wgs84_to_gcj02(116.391275, 39.907333)
    assert x[0] == pytest.approx(116.397518, abs=2e-6) and y[0] == pytest.approx(39.908734, abs=2e-6)
    bx, by = offsets.gcj02_to_bd09(x, y)
    assert bx[0] == pytest.approx(116.404, abs=2e-4) and by[0] == pytest.approx(39.915, abs=2e-4)


def test_outside_china_gcj02_is_wgs84():
    x, y = service.convert_points([2.3522, -74.006], [48.8566, 40.7128], "CRS84", "GCJ02")
    assert x.tolist() == [2.3522, -74.006] and y.tolist() == [48.8566, 40.7128]
    x, y = service.convert_points([2.3522], [48.8566], "GCJ02", "EPSG:4490")
    assert (x[0], y[0]) == (2.3522, 48.8566)


china_lon = st.floats(min_value=73.5, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=3.5, max_value=53.5, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(china_lon, china_lat), min_size=1, max_size=20))
def test_gcj02_round_trip_below_one_centimetre(pts):
    lon = np.array([p[0] for p in pts])
    lat = np.array([p[1] for p in pts])
    gx, gy = service.convert_points(lon, lat, "EPSG:4490", "GCJ02")
    assert ((gx != lon) | (gy != lat)).all()  # the offset applies inside China
    bx, by = service.convert_points(gx, gy, "GCJ02", "EPSG:4490")
    assert np.abs(bx - lon).max() < CM_DEG and np.abs(by - lat).max() < CM_DEG
    # and the other way round, starting from GCJ-02
    wx, wy = service.convert_points(lon, lat, "GCJ02", "EPSG:4490")
    fx, fy = service.convert_points(wx, wy, "EPSG:4490", "GCJ02")
    assert np.abs(fx - lon).max() < CM_DEG and np.abs(fy - lat).max() < CM_DEG


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(china_lon, china_lat), min_size=1, max_size=20))
def test_bd09_round_trip_below_one_centimetre(pts):
    lon = np.array([p[0] for p in pts])
    lat = np.array([p[1] for p in pts])
    bx, by = service.convert_points(lon, lat, "CGCS2000", "BD09")
    wx, wy = service.convert_points(bx, by, "BD09", "CGCS2000")
    assert np.abs(wx - lon).max() < CM_DEG and np.abs(wy - lat).max() < CM_DEG
    gx, gy = service.convert_points(lon, lat, "BD09", "GCJ02")
    rx, ry = service.convert_points(gx, gy, "GCJ02", "BD09")
    assert np.abs(rx - lon).max() < CM_DEG and np.abs(ry - lat).max() < CM_DEG


hunan_lon = st.floats(min_value=108.8, max_value=114.3, allow_nan=False)
hunan_lat = st.floats(min_value=24.6, max_value=30.1, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(hunan_lon, hunan_lat, st.sampled_from(["EPSG:3857", "EPSG:4524", "EPSG:4525", "EPSG:4526",
                                              "EPSG:4545", "EPSG:4546", "EPSG:4547", "EPSG:4326", "CRS84"]))
def test_projected_round_trips_through_pyproj(lon, lat, key):
    x, y = service.convert_points([lon], [lat], "EPSG:4490", key)
    bx, by = service.convert_points(x, y, key, "EPSG:4490")
    assert abs(bx[0] - lon) < CM_DEG / 10 and abs(by[0] - lat) < CM_DEG / 10


def test_gauss_kruger_zone_number_in_the_false_easting():
    x36, _ = service.convert_points([112.9], [28.2], "CGCS2000", "EPSG:4526")
    x_cm, y_cm = service.convert_points([112.9], [28.2], "CGCS2000", "EPSG:4547")
    assert x36[0] - x_cm[0] == pytest.approx(38_000_000)
    assert 300_000 < x_cm[0] < 500_000 and 3_000_000 < y_cm[0] < 3_200_000  # west of 114°E, ~28° north


def test_shapely_geometry_keeps_shape_and_z():
    poly = shapely.Polygon([(112.9, 28.1), (113.0, 28.1), (113.0, 28.2), (112.9, 28.1)])
    out = service.convert_geometry(poly, "EPSG:4490", "EPSG:4547")
    back = service.convert_geometry(out, "EPSG:4547", "EPSG:4490")
    assert out.geom_type == "Polygon" and back.equals_exact(poly, 1e-9)
    p3 = service.convert_geometry(shapely.Point(112.9, 28.1, 42.0), "CRS84", "GCJ02")
    assert p3.has_z and p3.z == 42.0


def test_geojson_feature_collection_properties_untouched():
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "长沙"}, "geometry": {"type": "Point", "coordinates": [112.9, 28.2]}},
        {"type": "Feature", "properties": {}, "geometry": None}]}
    out = service.convert_geojson(fc, "GCJ02", "EPSG:4490")
    assert out["features"][0]["properties"] == {"name": "长沙"} and out["features"][1]["geometry"] is None
    assert out["features"][0]["geometry"]["coordinates"][0] < 112.9


@pytest.mark.parametrize("text, key", [
    ("EPSG:4490", "EPSG:4490"), ("epsg:4326", "EPSG:4326"), ("4547", "EPSG:4547"), ("CGCS2000", "EPSG:4490"),
    ("urn:ogc:def:crs:EPSG::3857", "EPSG:3857"), ("http://www.opengis.net/def/crs/EPSG/0/4526", "EPSG:4526"),
    ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "CRS84"), ("GCJ-02", "GCJ02"), ("bd09", "BD09"),
    ("http://www.opengis.net/def/crs/zhicheng/0/GCJ02", "GCJ02"), ("http://www.opengis.net/def/crs/zhicheng/0/BD09", "BD09"),
])
def test_parse_names_uris_and_codes(text, key):
    assert parse_crs(text).key == key


def test_parse_a_prj_definition():
    import pyproj

    assert parse_crs(pyproj.CRS(4547).to_wkt("WKT1_ESRI")).key == "EPSG:4547"
    assert parse_crs(pyproj.CRS(4490).to_wkt("WKT1_ESRI")).key == "EPSG:4490"


@pytest.mark.parametrize("text", ["EPSG:2383", "EPSG:99999", "mars", "urn:ogc:def:crs:EPSG::27700",
                                  "http://www.opengis.net/def/crs/zhicheng/0/NOPE"])
def test_unknown_crs_is_a_clear_error(text):
    with pytest.raises(UnknownCrs) as caught:
        parse_crs(text, field="from")
    assert caught.value.field == "from" and "EPSG:4490" in caught.value.en and "不支持" in caught.value.zh


def test_xian80_prj_is_not_taken_for_cgcs2000():
    import pyproj

    with pytest.raises(UnknownCrs):
        parse_crs(pyproj.CRS(2383).to_wkt("WKT1_ESRI"))  # Xian 1980 3-degree GK CM 114E: another datum


def test_projection_outside_its_area_names_the_point():
    with pytest.raises(Invalid) as caught:
        service.convert_points([0.0, 1e30], [0.0, 1e30], "EPSG:4547", "EPSG:4490")
    assert caught.value.field == "points.1"
    with pytest.raises(Invalid) as caught:
        service.convert_points([112.9, 112.9, 28.2], [28.2, 28.2, 112.9], "EPSG:4490", "EPSG:3857")
    assert caught.value.field == "points.2" and "swapped" in caught.value.en


def test_swapped_and_out_of_range_coordinates_are_found():
    assert service.check_lonlat([112.9, 113.0], [28.2, 28.3]) is None
    assert service.check_lonlat([112.9, 28.3], [28.2, 113.0]) == ("swapped", 1)
    assert service.check_lonlat([112.9, 200.0], [28.2, 28.3]) == ("range", 1)
    assert service.check_lonlat([2.35], [48.85], expect_china=False) is None


def test_conversions_from_many_threads_agree():
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    lon = np.linspace(108.8, 114.3, 2000)
    lat = np.linspace(24.6, 30.1, 2000)
    pairs = [("EPSG:4490", "EPSG:4547"), ("GCJ02", "EPSG:4490"), ("EPSG:3857", "BD09"), ("CRS84", "EPSG:4526")]
    serial = {p: service.convert_points(lon if p[0] != "EPSG:3857" else lon * 1e5, lat if p[0] != "EPSG:3857" else lat * 1e5,
                                    *p) for p in pairs}

    def work(i: int):
        p = pairs[i % len(pairs)]
        x, y = service.convert_points(lon if p[0] != "EPSG:3857" else lon * 1e5, lat if p[0] != "EPSG:3857" else lat * 1e5, *p)
        return p, x, y

    with ThreadPoolExecutor(8) as pool:
        for p, x, y in pool.map(work, range(64)):
            assert np.array_equal(x, serial[p][0]) and np.array_equal(y, serial[p][1])
