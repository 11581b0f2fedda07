"""Policy applies to layers as to any data: a sharing grant lets another department read the granted items and rows
only; a personal location is coarsened by the coordinates masking rule for whoever sees it masked."""

from __future__ import annotations

import orjson
import pytest

from tests.geo.layers.conftest import ITEMS, PARKS, write_geojson
from tests.geo.layers.test_service import FakeRequest, names
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import ANONYMOUS
from zhicheng.core.errors import Forbidden, Invalid
from zhicheng.geo.layers import service


def test_a_grant_reads_its_items_and_rows(db, make_resource, departments, exchange_actors, make_grant, tmp_path):
    res = make_resource("公安点位图层", department=departments["police"], state="published", items=ITEMS,
                        open_type="none", share_type="conditional", actor=exchange_actors["provider_officer"])
    path = tmp_path / "points.geojson"
    write_geojson(path)
    assert datasets.import_file(db, actor=exchange_actors["provider_officer"], resource_id=res.id, path=path,
                                filename="points.geojson").ok
    consumer = exchange_actors["consumer_user"]
    with pytest.raises(Forbidden):
        service.open_layer(db, actor=consumer, request=FakeRequest(), code=res.code)
    make_grant(res, items=["mc", "lx", "lxdh", "fw"], row_filter={"lxdh": {"prefix": "13807310006"}})
    assert res.code in {x["code"] for x in service.list_layers(db, actor=consumer)}
    layer = service.open_layer(db, actor=consumer, request=FakeRequest(), code=res.code)
    page = service.items(db, layer, limit=100)
    assert names(page) == ["洋湖湿地"]  # the grant's rows only
    assert set(page.features[0]["properties"]) == {"mc", "lx", "lxdh"}  # the grant's items only
    assert page.features[0]["properties"]["lxdh"] == "138****0006"  # personal: masked unless the grant says plain
    with pytest.raises(Invalid):
        service.items(db, layer, filter_text="mj > 1")  # not granted


def test_personal_locations_are_coarsened(db, make_resource, departments, layer_actors, tmp_path):
    items = [dict(i) for i in ITEMS]
    items[-1] = {"name": "fw", "label": "住所位置", "type": "geometry", "personal": True}
    res = make_resource("独居老人住所", department=departments["housing"], state="published", items=items,
                        open_type="unconditional", share_type="unconditional", share_condition=None,
                        actor=layer_actors["officer"])
    path = tmp_path / "homes.geojson"
    write_geojson(path, [p[:6] + ({"type": "Point", "coordinates": [112.962345, 28.186789]},) for p in PARKS[:1]])
    assert datasets.import_file(db, actor=layer_actors["officer"], resource_id=res.id, path=path,
                                filename="homes.geojson").ok
    public = service.open_layer(db, actor=ANONYMOUS, request=FakeRequest(), code=res.code)
    coords = orjson.loads(orjson.dumps(service.feature(db, public, "1")["geometry"]))["coordinates"]
    assert coords == pytest.approx([112.96, 28.19])  # the coordinates rule: 2 decimals
    with pytest.raises(Invalid):
        service.items(db, public, bbox="112,28,113,29")  # a masked location cannot be searched by place
    own = service.open_layer(db, actor=layer_actors["officer"], request=FakeRequest(), code=res.code)
    coords = orjson.loads(orjson.dumps(service.feature(db, own, "1")["geometry"]))["coordinates"]
    assert coords == pytest.approx([112.962345, 28.186789])
