"""The demo city's approximate geography: 170 street units tiling the real districts, 458 communities tiling
their street units, labelled approximate; they, the demo grid and the coded components import as declared."""

from __future__ import annotations

import itertools
import json
import math
from importlib import resources

import shapely

from zhicheng.catalog.datasets import service as datasets
from zhicheng.demo import geography, urban
from zhicheng.geo.components.service import check_row
from zhicheng.geo.grids.metric import area_m2


def spec(key: str) -> dict:
    doc = json.loads(resources.files("zhicheng.demo").joinpath("data", "resources.json").read_text("utf-8"))
    return next(r for r in doc if r["key"] == key)


def test_street_units_tile_each_real_district_with_real_codes():
    units = geography.street_units()
    assert len(units) == 170 and len({u.code for u in units}) == 170
    assert sum(u.source == "推定（无公开中心点）" for u in units) == 18
    for district, shape in geography.district_shapes().items():
        mine = [u.geometry for u in units if u.district_code == district]
        assert mine and all(u.code.startswith(district) for u in units if u.district_code == district)
        union = shapely.union_all(mine)
        assert math.isclose(area_m2(union), area_m2(shape), rel_tol=2e-3)
        assert math.isclose(sum(area_m2(g) for g in mine), area_m2(shape), rel_tol=2e-3)  # no overlaps


def test_communities_lie_in_their_street_unit_and_say_they_are_approximate():
    units = {u.code: u for u in geography.street_units()}
    comms = geography.communities()
    assert len(comms) == 458
    for c in comms:
        assert units[c.parent_code].geometry.buffer(1e-6).contains(c.geometry)
    rows = list(geography.community_rows())
    assert all(r["boundary_note"] == "近似边界，非官方 / approximate, not official" for r in rows)
    assert "近似边界，非官方" in spec("street_units")["summary"] and "非官方" in spec("communities")["summary"]
    assert "系统生成" in spec("unit_grids")["summary"] and "系统生成" in spec("city_components")["summary"]


def test_demo_components_are_coded_inside_the_real_geography():
    rows = list(urban.city_components(per_street=3))
    assert len(rows) == 3 * 170 and len({r["component_code"] for r in rows}) == len(rows)
    units = {u.code: u for u in geography.street_units()}
    for line, r in enumerate(rows, start=2):
        checked = check_row(r, line=line)
        assert units[r["street_code"]].geometry.buffer(1e-6).contains(checked["location"])
        assert checked["component_code"][:6] == r["street_code"][:6]
    assert any(r["grid_code"] for r in rows)


def test_the_declared_layers_import(db, make_resource, departments, make_user, tmp_path):
    from zhicheng.accounts import service as accounts
    from zhicheng.demo.generators import write_csv

    officer = accounts.actor_for(make_user("nature_officer", roles=["data_officer"],
                                           department=departments["housing"]))
    plan = [("street_units", geography.STREET_UNIT_COLUMNS, geography.street_unit_rows(), 170),
            ("communities", geography.COMMUNITY_COLUMNS, geography.community_rows(), 458),
            ("unit_grids", geography.GRID_COLUMNS, itertools.islice(geography.grid_rows(), 300), 300),
            ("city_components", urban.COMPONENT_COLUMNS, urban.city_components(per_street=1), 170)]
    for key, columns, rows, count in plan:
        s = spec(key)
        res = make_resource(s["name"], department=departments["housing"], state="published", actor=officer,
                            items=s["items"], spatial=True)
        path = tmp_path / f"{key}.csv"
        write_csv(path, columns, rows)
        report = datasets.import_file(db, actor=officer, resource_id=res.id, path=path, filename=path.name)
        assert report.ok, (key, report.errors[:3])
        assert report.row_count == count
