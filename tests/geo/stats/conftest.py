"""Fixtures of the statistics tests: a zones layer of three irregular polygons in Changsha and a layer of points,
polygons and lines with a numeric and a text item, both imported through the catalog."""

from __future__ import annotations

import json
import random

import pytest

from tests.geo.layers.conftest import layer_actors, layer_users  # noqa: F401 - fixtures used here
from zhicheng.catalog.datasets import service as datasets

ZONE_ITEMS = [{"name": "qhdm", "label": "区划代码", "type": "string", "length": 12},
              {"name": "qhmc", "label": "区划名称", "type": "string", "length": 50},
              {"name": "fw", "label": "范围", "type": "geometry"}]
THING_ITEMS = [{"name": "mc", "label": "名称", "type": "string", "length": 50},
               {"name": "sl", "label": "数量", "type": "decimal", "length": 10, "scale": 2},
               {"name": "wz", "label": "位置", "type": "geometry"}]
ZONES = [("430102", "甲区", [[112.90, 28.10], [113.00, 28.10], [113.00, 28.20], [112.90, 28.22], [112.90, 28.10]]),
         ("430103", "乙区", [[113.00, 28.10], [113.10, 28.12], [113.08, 28.20], [113.00, 28.20], [113.00, 28.10]]),
         ("430104", "丙区", [[112.90, 28.22], [113.00, 28.20], [113.08, 28.20], [113.00, 28.30], [112.90, 28.22]])]


def things() -> list[dict]:
    rnd = random.Random(7)
    out = []
    for _ in range(150):
        out.append({"type": "Point", "coordinates": [round(rnd.uniform(112.88, 113.12), 5),
                                                     round(rnd.uniform(28.08, 28.32), 5)]})
    for _ in range(12):
        x, y, d = rnd.uniform(112.9, 113.08), rnd.uniform(28.1, 28.28), rnd.uniform(0.005, 0.04)
        out.append({"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]})
    for _ in range(8):
        pts = [[rnd.uniform(112.9, 113.1), rnd.uniform(28.1, 28.3)] for _ in range(3)]
        out.append({"type": "LineString", "coordinates": pts})
    return out


def _layer(db, make_resource, departments, actors, tmp_path, name, items, feats):
    res = make_resource(name, department=departments["housing"], state="published", actor=actors["officer"],
                        items=items, open_type="unconditional", spatial=True, share_type="unconditional",
                        share_condition=None, summary=f"{name}（测试数据）。")
    path = tmp_path / f"{res.id}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), "utf-8")
    report = datasets.import_file(db, actor=actors["officer"], resource_id=res.id, path=path, filename=path.name)
    assert report.ok, report.errors
    return res


@pytest.fixture
def stat_layers(db, make_resource, departments, layer_actors, tmp_path):  # noqa: F811
    """(zones, things) resources."""
    zones = _layer(db, make_resource, departments, layer_actors, tmp_path, "统计分区", ZONE_ITEMS,
                   [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                     "properties": {"qhdm": c, "qhmc": n}} for c, n, ring in ZONES])
    feats = [{"type": "Feature", "geometry": g, "properties": {"mc": f"=物{i}" if i == 3 else f"物{i}",
                                                               "sl": round(1.25 * (i % 9), 2)}}
             for i, g in enumerate(things())]
    layer = _layer(db, make_resource, departments, layer_actors, tmp_path, "统计对象", THING_ITEMS, feats)
    return zones, layer
