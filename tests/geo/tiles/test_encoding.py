"""Tiles put geometries in tile units themselves (vectorised): the bytes are the ones mapbox-vector-tile's own
`quantize_bounds` path writes, for points, lines and polygons inside, across and outside the tile."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import mapping

from zhicheng.geo.tiles import service
from zhicheng.geo.tiles.matrix import matrix_set

TMS = matrix_set("WebMercatorQuad")
# the encoder's own quantize path calls the deprecated shapely.ops.transform (one more reason ours does it)
pytestmark = pytest.mark.filterwarnings("ignore:The 'shapely.ops.transform:DeprecationWarning")


def library_path(features: list[dict], bounds) -> bytes:
    """The encoder quantizing per coordinate itself, after the same clip and simplify."""
    minx, miny, maxx, maxy = bounds
    unit = (maxx - minx) / service.EXTENT
    pad = unit * service.BUFFER
    out = []
    for f in features:
        g = shapely.from_geojson(shapely.to_geojson(shapely.geometry.shape(f["geometry"])))
        if g.geom_type not in ("Point", "MultiPoint"):
            g = shapely.clip_by_rect(g, minx - pad, miny - pad, maxx + pad, maxy + pad)
            if not g.is_empty:
                g = shapely.simplify(g, unit, preserve_topology=True)
        if not g.is_empty:
            out.append({"geometry": g, "properties": f["properties"], "id": f["id"]})
    return mapbox_vector_tile.encode([{"name": "l", "features": out}],
                                     default_options={"quantize_bounds": bounds, "extents": service.EXTENT})


@st.composite
def tile_features(draw):
    z = draw(st.integers(6, 17))
    n = 2 ** z
    x, y = int((112.9 + 180) / 360 * n), int(n * 0.4135)
    bounds = TMS.bounds(z, y, x)
    w = bounds[2] - bounds[0]
    feats = []
    for i in range(draw(st.integers(1, 12))):
        cx = bounds[0] + draw(st.floats(-0.3, 1.3)) * w
        cy = bounds[1] + draw(st.floats(-0.3, 1.3)) * w
        kind = draw(st.sampled_from(["point", "multipoint", "line", "polygon"]))
        if kind == "point":
            g = shapely.Point(cx, cy)
        elif kind == "multipoint":
            g = shapely.MultiPoint([(cx, cy), (cx + w / 7, cy - w / 9)])
        elif kind == "line":
            steps = draw(st.lists(st.tuples(st.floats(-1, 1), st.floats(-1, 1)), min_size=2, max_size=20))
            g = shapely.LineString([(cx + a * w, cy + b * w) for a, b in steps])
        else:
            g = shapely.Point(cx, cy).buffer(draw(st.floats(0.001, 0.9)) * w, quad_segs=draw(st.integers(2, 16)))
        feats.append({"type": "Feature", "id": i + 1, "geometry": mapping(g), "properties": {"n": i, "name": f"f{i}"}})
    return feats, bounds


@settings(max_examples=150, deadline=None)
@given(tile_features())
def test_the_bytes_are_the_encoders_own(case):
    features, bounds = case
    ours = service.encode([service.encode_layer("l", features, bounds)], bounds)
    assert ours == library_path(features, bounds)


def test_features_without_geometry_are_left_out():
    bounds = TMS.bounds(12, 1700, 3332)
    inside = {"type": "Point", "coordinates": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2]}
    layer = service.encode_layer("l", [{"id": 1, "geometry": None, "properties": {}},
                                       {"id": 2, "geometry": inside, "properties": {"a": 1}}], bounds)
    assert [f["id"] for f in layer["features"]] == [2]
    (decoded,) = mapbox_vector_tile.decode(service.encode([layer], bounds))["l"]["features"]
    assert decoded["geometry"]["coordinates"] == [2048, 2048] and decoded["properties"] == {"a": 1}
