"""Fixtures of the layer tests: a parks layer (points and polygons in Changsha) imported as GeoJSON through the
catalog import service, published and open, with a personal item that is masked for everyone outside its bureau."""

from __future__ import annotations

import json

import pytest

from zhicheng.accounts import service as accounts
from zhicheng.catalog.datasets import service as datasets

ITEMS = [
    {"name": "mc", "label": "名称", "type": "string", "length": 100, "required": True},
    {"name": "lx", "label": "类型", "type": "string", "length": 20},
    {"name": "mj", "label": "面积", "type": "decimal", "length": 12, "scale": 2},
    {"name": "rs", "label": "日均游客", "type": "integer"},
    {"name": "jcrq", "label": "建成日期", "type": "date"},
    {"name": "lxdh", "label": "联系电话", "type": "string", "length": 20, "personal": True, "check": "mobile"},
    {"name": "fw", "label": "范围", "type": "geometry"},
]


def square(x: float, y: float, d: float = 0.01) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


def point(x: float, y: float) -> dict:
    return {"type": "Point", "coordinates": [x, y]}


# (name, kind, area, visitors, built, phone, geometry): 岳麓区 west of the river, 芙蓉区/天心区 east of it
PARKS = [
    ("岳麓山公园", "山林", 3600.5, 20000, "1925-01-01", "13807310001", square(112.93, 28.18, 0.03)),
    ("橘子洲", "江心洲", 91.6, 15000, "2010-01-01", "13807310002", point(112.962, 28.186)),
    ("烈士公园", "纪念", 136.6, 12000, "1958-05-01", "13807310003", square(113.010, 28.210)),
    ("月湖公园", "湖泊", 130.0, 8000, "2010-10-01", "13807310004", square(113.000, 28.250)),
    ("天心阁", "古迹", 2.1, 3000, "1984-01-01", "13807310005", point(112.978, 28.192)),
    ("洋湖湿地", "湿地", 700.0, 5000, "2012-09-01", "13807310006", square(112.900, 28.100, 0.02)),
    ("晓园公园", "社区", 3.2, None, None, None, point(112.990, 28.190)),
]


def write_geojson(path, parks=PARKS) -> None:
    features = [{"type": "Feature", "geometry": g,
                 "properties": {"mc": n, "lx": k, "mj": a, "rs": v, "jcrq": d, "lxdh": p}}
                for n, k, a, v, d, p, g in parks]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")


@pytest.fixture
def layer_users(make_user, departments):
    """The parks bureau's officer (住建局 provides the layer), an admin, and a user of another bureau (公安局)."""
    return {"officer": make_user("parks_officer", roles=["data_officer"], department=departments["housing"]),
            "admin": make_user("geo_admin", roles=["admin"], department=departments["data_bureau"]),
            "other": make_user("police_reader", roles=["dept_user"], department=departments["police"])}


@pytest.fixture
def layer_actors(layer_users):
    """The actors of `layer_users`."""
    return {k: accounts.actor_for(u) for k, u in layer_users.items()}


@pytest.fixture
def parks_layer(db, make_resource, departments, layer_actors, tmp_path):
    """The published, open parks layer with one imported version; its resource."""
    res = make_resource("城市公园", department=departments["housing"], state="published",
                        actor=layer_actors["officer"], items=ITEMS, open_type="unconditional", spatial=True,
                        share_type="unconditional", share_condition=None,
                        summary="长沙市城市公园的名称、类型、面积与范围（测试数据）。")
    path = tmp_path / "parks.geojson"
    write_geojson(path)
    report = datasets.import_file(db, actor=layer_actors["officer"], resource_id=res.id, path=path,
                                  filename="parks.geojson")
    assert report.ok, report.errors
    return res


@pytest.fixture
def closed_layer(db, make_resource, departments, layer_actors, tmp_path):
    """A published layer that is neither open nor shared: its department and the admin read it."""
    res = make_resource("内部设施点位", department=departments["housing"], state="published",
                        actor=layer_actors["officer"], items=ITEMS, open_type="none", spatial=True)
    path = tmp_path / "closed.geojson"
    write_geojson(path, PARKS[:2])
    report = datasets.import_file(db, actor=layer_actors["officer"], resource_id=res.id, path=path,
                                  filename="closed.geojson")
    assert report.ok, report.errors
    return res
