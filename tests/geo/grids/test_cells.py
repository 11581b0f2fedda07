"""Cutting a real (approximate) community into cells: areas add up, about 10,000 m², at most 99, numbered
west→east then north→south, following roads where there are roads."""

from __future__ import annotations

import math

import shapely

from zhicheng.demo import geography
from zhicheng.geo.grids.cells import cells_for, order_key
from zhicheng.geo.grids.metric import area_m2, gk_epsg, to_metric


def community(code: str):
    return next(u for u in geography.communities() if u.code == code)


def test_cells_cover_the_community_exactly_at_about_ten_thousand_square_metres():
    unit = community("430102001001")  # 识字里社区
    cells = cells_for(unit.geometry)
    total = area_m2(unit.geometry)
    assert 1 < len(cells) <= 99
    assert math.isclose(sum(c.area_m2 for c in cells), total, rel_tol=1e-3)
    union = shapely.union_all([c.geometry for c in cells])
    assert math.isclose(area_m2(union), total, rel_tol=1e-3)  # no overlaps, no gaps
    full = [c.area_m2 for c in cells if c.area_m2 > 9_000]
    assert full and all(abs(a - 10_000) < 600 for a in full if a <= 10_000.5)
    assert all(c.area_m2 >= 0.25 * 10_000 or len(cells) == 1 for c in cells) or total < 2_500
    for c in cells:  # each cell's stated area is the metric area of its lon/lat boundary
        assert math.isclose(area_m2(c.geometry), c.area_m2, rel_tol=1e-4)


def test_cells_are_numbered_west_to_east_within_rows_north_to_south():
    unit = community("430102001001")
    cells = cells_for(unit.geometry)
    epsg = gk_epsg(unit.geometry.centroid.x)
    keys = [order_key(to_metric(c.geometry, epsg), 100.0) for c in cells]
    assert keys == sorted(keys)
    rows = [k[0] for k in keys]
    assert rows == sorted(rows)  # north first


def test_a_big_community_gets_larger_cells_not_more_than_99():
    big = max((u for u in geography.communities() if u.urban_core), key=lambda u: area_m2(u.geometry))
    cells = cells_for(big.geometry)
    assert len(cells) <= 99
    assert math.isclose(sum(c.area_m2 for c in cells), area_m2(big.geometry), rel_tol=1e-3)
    assert max(c.area_m2 for c in cells) > 10_000


def test_with_a_road_layer_no_cell_crosses_a_road():
    unit = community("430102001001")
    minx, miny, maxx, maxy = unit.geometry.bounds
    midx, midy = (minx + maxx) / 2, (miny + maxy) / 2
    roads = shapely.MultiLineString([[(minx - 0.01, midy), (maxx + 0.01, midy + 0.0003)],
                                     [(midx, miny - 0.01), (midx + 0.0002, maxy + 0.01)]])
    cells = cells_for(unit.geometry, roads=roads)
    epsg = gk_epsg(unit.geometry.centroid.x)
    road_m = to_metric(roads, epsg)
    for c in cells:
        inner = to_metric(c.geometry, epsg).buffer(-0.05)
        assert not inner.intersects(road_m)
    assert math.isclose(sum(c.area_m2 for c in cells), area_m2(unit.geometry), rel_tol=1e-3)
