"""Component codes and classes (GB/T 30428.2), inventory checks, and bulk point → grid assignment held to a
brute-force answer."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from zhicheng.core.errors import Invalid
from zhicheng.geo.components import codes
from zhicheng.geo.components.classes import STATUSES, by_code, default_table, read_table
from zhicheng.geo.components.service import check_row
from zhicheng.geo.grids.assign import GridIndex

TABLE = default_table()
OWNER = "114301000000100303"  # a valid unified social credit code (generated, 430100)


def test_the_class_table_has_the_seven_classes_and_unique_codes():
    assert {(c.class_code, c.class_name) for c in TABLE} == {
        ("01", "公用设施"), ("02", "道路交通"), ("03", "市容环境"), ("04", "园林绿化"), ("05", "房屋土地"),
        ("06", "其他设施"), ("07", "扩展部件")}
    assert len({c.code for c in TABLE}) == len(TABLE)
    assert all(c.source == "local" for c in TABLE if c.class_code == "07")
    assert STATUSES == ("完好", "破损", "丢失", "废弃")


def test_a_local_table_may_extend_and_a_bad_one_is_refused(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("class_code,class_name,subclass_code,subclass_name,source\n07,扩展部件,09,智能井盖,local\n", "utf-8")
    local = read_table(path)
    assert by_code(local)["0709"].subclass_name == "智能井盖"
    assert codes.parse("4301020709000001", table=local).cls.subclass_name == "智能井盖"
    path.write_text("class_code,class_name,subclass_code,subclass_name\n7,扩展部件,9,x\n", "utf-8")
    with pytest.raises(Invalid):
        read_table(path)


@given(cls=st.sampled_from(TABLE), county=st.sampled_from(["430102", "430181", "110105"]),
       seq=st.integers(1, 999_999))
def test_a_code_made_parses_back(cls, county, seq):
    code = codes.make(county, cls, seq)
    assert len(code) == 16
    parsed = codes.parse(code)
    assert (parsed.county, parsed.cls, parsed.sequence) == (county, cls, seq) and str(parsed) == code


@pytest.mark.parametrize("bad", ["", "430102010100000", "43010201010000001", "4301029901000001",
                                 "4301020100000001", "4301020101000000", "0001020101000001", "43010201010000O1"])
def test_bad_component_codes_are_refused(bad):
    with pytest.raises(Invalid) as exc:
        codes.parse(bad)
    assert exc.value.field == "component_code"


def row(**kw) -> dict:
    out = {"component_code": "4301020117000001", "owner_code": OWNER, "maintainer_code": "", "condition": "完好",
           "street_code": "430102001", "grid_code": "", "location": "POINT (112.983 28.192)"}
    out.update(kw)
    return out


def test_an_inventory_row_takes_its_class_names_from_its_code():
    checked = check_row(row(category="whatever"), line=2)
    assert (checked["category"], checked["subcategory"]) == ("公用设施", "消防栓")
    assert checked["location"].geom_type == "Point"


@pytest.mark.parametrize("kw, field", [
    ({"owner_code": "114301000000100304"}, "owner_code"),  # check character wrong
    ({"condition": "占用"}, "condition"),
    ({"location": "POINT (28.192 112.983)"}, "location"),
    ({"location": "LINESTRING (112.98 28.19, 112.99 28.2)"}, "location"),
    ({"location": "POINT (a b)"}, "location"),
    ({"grid_code": "4301020010010"}, "grid_code"),
    ({"component_code": "4301029901000001"}, "component_code"),
])
def test_bad_inventory_rows_name_the_field_and_line(kw, field):
    with pytest.raises(Invalid) as exc:
        check_row(row(**kw), line=7)
    assert exc.value.field.startswith(field) and "line 7" in exc.value.field


def lattice(n: int = 12, side: float = 0.001, x0: float = 112.95, y0: float = 28.18):
    """n×n square cells plus one irregular cell overlapping none, codes in row order."""
    cells = [shapely.box(x0 + i * side, y0 + j * side, x0 + (i + 1) * side, y0 + (j + 1) * side)
             for j in range(n) for i in range(n)]
    cells.append(shapely.Polygon([(x0 + n * side, y0), (x0 + (n + 3) * side, y0), (x0 + n * side, y0 + 2 * side)]))
    return [f"43010200100{k:03d}" for k in range(len(cells))], cells


def brute_force(cells, x, y) -> list[int]:
    out = []
    for px, py in zip(x, y, strict=True):
        p = shapely.Point(px, py)
        out.append(next((k for k, c in enumerate(cells) if c.intersects(p)), -1))
    return out


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(112.948, 112.967, allow_nan=False), st.floats(28.178, 28.194, allow_nan=False)),
                min_size=1, max_size=300))
def test_assignment_matches_brute_force(points):
    codes_, cells = lattice()
    index = GridIndex(codes_, cells)
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    assert index.assign_xy(x, y).tolist() == brute_force(cells, x, y)


def test_assignment_in_chunks_of_many_points_matches_brute_force(monkeypatch):
    from zhicheng.geo.grids import assign

    monkeypatch.setattr(assign, "CHUNK", 997)  # many chunks, one of them short
    codes_, cells = lattice()
    rnd = np.random.default_rng(7)
    x, y = rnd.uniform(112.948, 112.967, 5000), rnd.uniform(28.178, 28.194, 5000)
    x[:12] = 112.95 + 0.001 * np.arange(12)  # points on shared edges go to the lower code
    y[:12] = 28.1805
    index = GridIndex(codes_, cells)
    found = index.assign_xy(x, y)
    assert found.tolist() == brute_force(cells, x, y)
    assert index.assign([112.9505, 200.0, np.nan], [28.1805, 28.0, 28.0]) == [codes_[0], None, None]
    assert (found >= 0).sum() > 1000 and (found == -1).sum() > 100
