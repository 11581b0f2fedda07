"""The layer query service: layers a caller sees, features by bbox, CQL2, sortby, properties, paging and CRS, masked
and audited, on SQLite (R*Tree) and PostgreSQL (PostGIS) alike."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from zhicheng.core.actor import ANONYMOUS
from zhicheng.core.errors import AppError, Forbidden, Invalid, NotFound
from zhicheng.geo.layers import service
from zhicheng.policy.models import AuditEntry


class FakeRequest:
    """What the open-data gate reads of a request: headers, cookies, the client and the app state."""

    def __init__(self, app=None):
        self.headers: dict[str, str] = {}
        self.cookies: dict[str, str] = {}
        self.client = type("C", (), {"host": "127.0.0.1"})()
        self.app = app or type("A", (), {"state": type("S", (), {})()})()
        self.state = type("S", (), {"actor": ANONYMOUS})()


def names(page) -> list[str]:
    return [f["properties"]["mc"] for f in page.features]


def open_parks(db, actor, code, **kw):
    return service.open_layer(db, actor=actor, request=FakeRequest(), code=code, **kw)


def test_layers_listed_for_those_who_may_see_them(db, parks_layer, closed_layer, layer_actors):
    public = {x["code"] for x in service.list_layers(db, actor=ANONYMOUS)}
    assert parks_layer.code in public and closed_layer.code not in public
    staff = {x["code"] for x in service.list_layers(db, actor=layer_actors["officer"])}
    assert {parks_layer.code, closed_layer.code} <= staff
    other = {x["code"] for x in service.list_layers(db, actor=layer_actors["other"])}
    assert parks_layer.code in other and closed_layer.code not in other


def test_index_built_on_import_with_extent_and_types(db, parks_layer):
    layer = open_parks(db, ANONYMOUS, parks_layer.code)
    ix = layer.index
    assert ix is not None and ix.feature_count == 7
    assert ix.geometry_types == ["Point", "Polygon"]
    assert ix.minx == pytest.approx(112.90) and ix.maxy == pytest.approx(28.26)
    assert ix.backend in ("rtree", "postgis")


def test_bbox_filter_and_counts(db, parks_layer):
    layer = open_parks(db, ANONYMOUS, parks_layer.code)
    page = service.items(db, layer, bbox="112.95,28.18,112.99,28.20", limit=10)
    assert set(names(page)) == {"天心阁", "橘子洲", "晓园公园", "岳麓山公园"}
    assert page.number_matched == 4
    everything = service.items(db, layer, bbox="-180,-90,180,90", limit=3)
    assert everything.number_matched == 7 and everything.number_returned == 3 and everything.has_next


def test_cql2_text_and_json_filters(db, parks_layer):
    layer = open_parks(db, ANONYMOUS, parks_layer.code)
    page = service.items(db, layer, filter_text="mj > 100 AND lx <> '山林'", sortby="-mj")
    assert names(page) == ["洋湖湿地", "烈士公园", "月湖公园"]
    page = service.items(db, layer, filter_text="S_INTERSECTS(fw, POLYGON((112.95 28.18, 112.99 28.18, "
                         "112.99 28.20, 112.95 28.20, 112.95 28.18))) AND rs IS NOT NULL", sortby="mc")
    assert set(names(page)) == {"天心阁", "岳麓山公园", "橘子洲"}
    page = service.items(db, layer, filter_lang="cql2-json", filter_text='{"op": "and", "args": ['
                         '{"op": "t_before", "args": [{"property": "jcrq"}, {"date": "1960-01-01"}]},'
                         '{"op": "like", "args": [{"property": "mc"}, "%公园"]}]}')
    assert set(names(page)) == {"岳麓山公园", "烈士公园"}
    page = service.items(db, layer, filter_text="S_WITHIN(fw, BBOX(112.89, 28.09, 112.95, 28.13))")
    assert names(page) == ["洋湖湿地"]
    page = service.items(db, layer, filter_text="S_DISJOINT(fw, POINT(112.962 28.186)) AND mc IN ('橘子洲','天心阁')")
    assert names(page) == ["天心阁"]


def test_properties_sortby_paging(db, parks_layer):
    layer = open_parks(db, ANONYMOUS, parks_layer.code)
    first = service.items(db, layer, properties="mc,mj", sortby="-rs", limit=2)
    assert [set(f["properties"]) for f in first.features] == [{"mc", "mj"}] * 2
    second = service.items(db, layer, properties="mc,mj", sortby="-rs", limit=2, offset=2)
    # NULLs last when descending: 晓园公园 has no visitor count
    assert names(first) + names(second) == ["岳麓山公园", "橘子洲", "烈士公园", "月湖公园"]


def test_personal_items_masked_for_public_plain_for_department(db, parks_layer, layer_actors):
    public = service.items(db, open_parks(db, ANONYMOUS, parks_layer.code), filter_text="mc = '橘子洲'")
    assert public.features[0]["properties"]["lxdh"] == "138****0002"
    own = service.items(db, open_parks(db, layer_actors["officer"], parks_layer.code), filter_text="mc = '橘子洲'")
    assert own.features[0]["properties"]["lxdh"] == "13807310002"
    with pytest.raises(Invalid) as exc:
        service.items(db, open_parks(db, ANONYMOUS, parks_layer.code), filter_text="lxdh = '13807310002'")
    assert exc.value.field == "filter"


def test_every_read_is_audited(db, parks_layer):
    layer = open_parks(db, ANONYMOUS, parks_layer.code)
    service.items(db, layer, limit=2)
    service.feature(db, layer, "2")
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "geo.features.read")).all()
    assert len(entries) == 2 and entries[0].detail["via"] == "open" and entries[0].detail["rows"] == 2


def test_output_crs(db, parks_layer):
    layer = open_parks(db, ANONYMOUS, parks_layer.code)
    f = service.feature(db, layer, "2")
    import orjson

    lon, lat = orjson.loads(orjson.dumps(f["geometry"]))["coordinates"]
    assert (lon, lat) == pytest.approx((112.962, 28.186))
    merc = orjson.loads(orjson.dumps(service.feature(db, layer, "2", crs="EPSG:3857")["geometry"]))
    assert merc["coordinates"][0] == pytest.approx(112.962 * 6378137 * 3.141592653589793 / 180, abs=0.01)
    latlon = orjson.loads(orjson.dumps(service.feature(db, layer, "2", crs="EPSG:4490")["geometry"]))
    assert latlon["coordinates"] == pytest.approx([28.186, 112.962])
    gcj = orjson.loads(orjson.dumps(service.feature(db, layer, "2", crs="GCJ02")["geometry"]))
    assert 0.001 < abs(gcj["coordinates"][0] - 112.962) < 0.01


def test_closed_layer_gates(db, closed_layer, layer_actors):
    with pytest.raises(NotFound):
        open_parks(db, ANONYMOUS, closed_layer.code)
    with pytest.raises(Forbidden):
        open_parks(db, layer_actors["other"], closed_layer.code)
    assert open_parks(db, layer_actors["admin"], closed_layer.code).index.feature_count == 2


@pytest.mark.parametrize("kw", [dict(bbox="-200,-100,200,100"), dict(bbox="1,2,3"), dict(bbox="3,3,1,1"),
                                dict(limit=0), dict(limit=100_001), dict(filter_text="mc = = 3"),
                                dict(filter_text="nope = 1"), dict(sortby="nope"), dict(crs="EPSG:9999"),
                                dict(filter_lang="cql2-json", filter_text="{bad")])
def test_bad_input_is_400_naming_the_parameter(db, parks_layer, kw):
    layer = open_parks(db, ANONYMOUS, parks_layer.code)
    with pytest.raises(AppError) as exc:
        service.items(db, layer, **kw)
    assert exc.value.status == 400 and exc.value.field


def test_malformed_cql2_names_the_position(db, parks_layer):
    layer = open_parks(db, ANONYMOUS, parks_layer.code)
    with pytest.raises(Invalid) as exc:
        service.items(db, layer, filter_text="mc = = 3")
    assert "column 6" in exc.value.en and "第 1 行第 6 列" in exc.value.zh
