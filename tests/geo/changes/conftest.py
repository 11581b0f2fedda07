"""Fixtures of the change tests: a survey-points layer with two versions whose added, removed, attribute-changed
and moved features are known, once with an id item (bh) and once without."""

from __future__ import annotations

import json

import pytest

from tests.geo.layers.conftest import closed_layer, layer_actors, layer_users  # noqa: F401 - fixtures used here
from zhicheng.catalog.datasets import service as datasets

ITEMS = [
    {"name": "bh", "label": "编号", "type": "string", "length": 20},
    {"name": "mc", "label": "名称", "type": "string", "length": 100},
    {"name": "rs", "label": "人数", "type": "integer"},
    {"name": "wz", "label": "位置", "type": "geometry"},
]
NO_ID_ITEMS = [i for i in ITEMS if i["name"] != "bh"]


def point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


def square(x: float, y: float, d: float = 0.005) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


# version 1 → version 2: A same, B rs changed, C moved ~222 m north (0.002° lat), D removed, E moved ~0.55 m
# (0.000005° lat), F added, G (a polygon) same, H (a polygon) renamed
V1 = [("A", "甲", 1, point(112.95, 28.20)), ("B", "乙", 2, point(112.96, 28.20)),
      ("C", "丙", 3, point(112.97, 28.20)), ("D", "丁", 4, point(112.98, 28.20)),
      ("E", "戊", 5, point(112.99, 28.20)), ("G", "庚", 7, square(113.00, 28.20)),
      ("H", "辛", 8, square(113.01, 28.20))]
V2 = [("A", "甲", 1, point(112.95, 28.20)), ("B", "乙", 20, point(112.96, 28.20)),
      ("C", "丙", 3, point(112.97, 28.202)), ("E", "戊", 5, point(112.99, 28.200005)),
      ("F", "己", 6, point(112.93, 28.10)), ("G", "庚", 7, square(113.00, 28.20)),
      ("H", "辛二", 8, square(113.01, 28.20))]


def write(path, rows, with_id: bool = True) -> None:
    feats = [{"type": "Feature", "geometry": g,
              "properties": ({"bh": b} if with_id else {}) | {"mc": m, "rs": r}} for b, m, r, g in rows]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), "utf-8")


def _two_versions(db, make_resource, departments, actors, tmp_path, name, items, with_id):
    res = make_resource(name, department=departments["housing"], state="published", actor=actors["officer"],
                        items=items, open_type="unconditional", spatial=True, share_type="unconditional",
                        share_condition=None, summary=f"{name}（测试数据）。")
    for n, rows in ((1, V1), (2, V2)):
        path = tmp_path / f"{res.id}_v{n}.geojson"
        write(path, rows, with_id)
        report = datasets.import_file(db, actor=actors["officer"], resource_id=res.id, path=path,
                                      filename=path.name)
        assert report.ok, report.errors
    return res


@pytest.fixture
def survey_layer(db, make_resource, departments, layer_actors, tmp_path):  # noqa: F811
    """Two versions of a layer with an id item `bh`."""
    return _two_versions(db, make_resource, departments, layer_actors, tmp_path, "普查点位", ITEMS, True)


@pytest.fixture
def survey_layer_no_id(db, make_resource, departments, layer_actors, tmp_path):  # noqa: F811
    """The same two versions without an id item."""
    return _two_versions(db, make_resource, departments, layer_actors, tmp_path, "普查点位无编号", NO_ID_ITEMS, False)
