"""The geocoding doors on a live instance: the layer imported through the catalog, read through policy, audited;
a new version makes a new index; bad input is a clear 4xx and changes nothing."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from zhicheng.catalog.datasets import service as datasets
from zhicheng.policy.models import AuditEntry

from .conftest import DB_DISTRICTS, write_layer_csv


def _door(rows, district="430104"):
    return next(r for r in rows if r["address_kind"] == "门牌" and r["district_code"] == district)


def _audits(db, action):
    return db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_geocode_reverse_and_batch_through_the_api(client, db, address_layer, auth_headers, layer_rows, make_user,
                                                  departments):
    res, _officer, reader = address_layer
    # the providing bureau's staff read it as policy says; another bureau needs a sharing grant
    denied = client.get("/api/v1/geo/geocode", params={"q": "岳麓区"}, headers=auth_headers(reader))
    assert denied.status_code == 403 and "共享" in denied.json()["detail"]
    headers = auth_headers(make_user("addr_colleague", roles=["dept_user"], department=departments["housing"]))
    door = _door(layer_rows)
    r = client.get("/api/v1/geo/geocode", params={"q": f"岳麓区{door['road_name']}{door['house_number']}附近"},
                   headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["layer"]["code"] == res.code and body["layer"]["version"] == 1 and body["layer"]["crs"] == "EPSG:4490"
    result = body["result"]
    assert result["level"] == "门牌" and result["address_code"] == door["address_code"]
    assert result["lon"] == pytest.approx(float(door["longitude"])) and result["district_code"] == "430104"
    assert _audits(db, "geo.geocode") == 1

    r = client.get("/api/v1/geo/reverse", params={"lon": door["longitude"], "lat": door["latitude"]},
                   headers=headers)
    assert r.status_code == 200, r.text
    out = r.json()["result"]
    assert out["district"]["code"] == "430104" and out["street"]["code"] == door["street_code"]
    assert out["nearest"]["distance_m"] < 30

    r = client.post("/api/v1/geo/geocode/batch", json={"addresses": ["芙蓉区五一大道旁边那个小区", "今天天气不错",
                                                                      door["full_address"]]}, headers=headers)
    assert r.status_code == 200, r.text
    levels = [x["level"] for x in r.json()["results"]]
    assert levels == ["街路巷", "", "门牌"] and r.json()["levels"]["未匹配"] == 1


def test_bad_input_is_a_clear_error(client, db, address_layer, auth_headers, make_user, departments):
    headers = auth_headers(make_user("addr_colleague", roles=["dept_user"], department=departments["housing"]))
    before = _audits(db, "geo.geocode")
    for params, field in (({"q": "今天天气不错"}, "q"), ({"q": ""}, "q"), ({"q": "北京市朝阳区建国路88号"}, "q"),
                          ({"q": "麓山南路", "layer": "NO-SUCH-LAYER"}, "layer")):
        r = client.get("/api/v1/geo/geocode", params=params, headers=headers)
        assert r.status_code in (404, 422), (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert field in r.text
    for params in ({"lon": 200, "lat": 28}, {"lon": 112.9, "lat": -95}, {"lon": "nan", "lat": 28},
                   {"lon": "abc", "lat": 28}):
        r = client.get("/api/v1/geo/reverse", params=params, headers=headers)
        assert r.status_code == 422, (params, r.text)
    r = client.get("/api/v1/geo/reverse", params={"lon": 112.9, "lat": 28.2, "grid_layer": "NO-SUCH-GRID"},
                   headers=headers)
    assert r.status_code == 404 and "grid_layer" in r.text
    r = client.post("/api/v1/geo/geocode/batch", json={"addresses": ["x"] * 1001}, headers=headers)
    assert r.status_code == 422 and "addresses" in r.text
    r = client.post("/api/v1/geo/geocode/batch", json={"addresses": []}, headers=headers)
    assert r.status_code == 422
    assert client.get("/api/v1/geo/geocode", params={"q": "岳麓区"}).status_code == 401  # a visitor: no
    assert _audits(db, "geo.geocode") == before + 2  # the two texts that reached the layer and found nothing


def test_a_new_version_of_the_layer_is_a_new_index(db, address_layer, layer_rows, tmp_path):
    from zhicheng.geo.addresses import service

    res, officer, _reader = address_layer
    door = _door(layer_rows)
    text = f"岳麓区{door['road_name']}{door['house_number']}"
    first, layer = service.geocode(db, actor=officer, q=text)
    assert first.level == "门牌" and layer.version == 1
    # version 2 moves the door 100 m north
    moved = []
    for r in layer_rows:
        if r["district_code"] not in DB_DISTRICTS:
            continue
        if r["address_code"] == door["address_code"]:
            lat = float(r["latitude"]) + 0.0009
            r = {**r, "latitude": f"{lat:.6f}", "geometry": f"POINT ({r['longitude']} {lat:.6f})"}
        moved.append(r)
    path = tmp_path / "v2.csv"
    write_layer_csv(path, moved)
    assert datasets.import_file(db, actor=officer, resource_id=res.id, path=path, filename=path.name).ok
    second, layer = service.geocode(db, actor=officer, q=text)
    assert layer.version == 2 and second.lat == pytest.approx(float(door["latitude"]) + 0.0009)


def test_the_search_page(client, address_layer, login, make_user, departments):
    login(client, make_user("addr_colleague", roles=["dept_user"], department=departments["housing"]))
    page = client.get("/geo/addresses", params={"q": "芙蓉区五一大道旁边那个小区"})
    assert page.status_code == 200
    assert 'id="geocode-result"' in page.text and "五一大道" in page.text and "map-data" in page.text
    assert "系统生成的演示数据" in page.text  # the layer says what is generated
    assert "/static/pages/geo-addresses.js" in page.text
    bad = client.get("/geo/addresses", params={"q": "今天天气不错"})
    assert bad.status_code == 200 and 'id="geocode-error"' in bad.text
    en = client.get("/geo/addresses", params={"q": "芙蓉区五一大道", "lang": "en"})
    assert "Address search" in en.text and "Level matched" in en.text
    nav = client.get("/api/v1/navigation", params={"path": "/geo/addresses"}).json()
    assert "/geo/addresses" in str(nav)


@pytest.fixture
def cli(geo_cli):
    return geo_cli


def test_the_command_line(cli, address_layer, layer_rows, tmp_path):
    door = _door(layer_rows)
    out = cli("geocode", f"岳麓区{door['road_name']}{door['house_number']}")
    assert out.exit_code == 0, out.output
    assert "门牌" in out.output and door["full_address"] in out.output
    bad = cli("geocode", "今天天气不错")
    assert bad.exit_code != 0
    src = tmp_path / "complaints.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["编号", "诉求地址"])
        w.writerow(["1", "芙蓉区五一大道旁边那个小区"])
        w.writerow(["2", door["full_address"]])
        w.writerow(["3", "不是地址"])
    done = cli("geocode-file", str(src), "--column", "诉求地址")
    assert done.exit_code == 0, done.output
    with (tmp_path / "complaints.geocoded.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["geo_level"] for r in rows] == ["街路巷", "门牌", ""]
    assert rows[1]["geo_district_code"] == "430104"
    missing = cli("geocode-file", str(src), "--column", "地址")
    assert missing.exit_code != 0
    res = address_layer[0]
    column = cli("geocode-column", res.code, "--column", "full_address", "--out", str(tmp_path / "layer.csv"))
    assert column.exit_code == 0, column.output
    with (tmp_path / "layer.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(1 for r in layer_rows if r["district_code"] in DB_DISTRICTS)
    doors = [r for r in rows if r["address_kind"] == "门牌"]
    assert sum(r["geo_level"] == "门牌" for r in doors) / len(doors) > 0.95
    assert cli("geocode-column", res.code, "--column", "nothing", "--out", str(tmp_path / "x.csv")).exit_code != 0


def test_many_callers_at_once_share_one_index(engine, address_layer):
    """Eight callers asking for the geocoder of a version nobody built yet: one build, one index for all."""
    from concurrent.futures import ThreadPoolExecutor

    from zhicheng.core.db import make_sessionmaker
    from zhicheng.geo.addresses import service

    _res, officer, _reader = address_layer
    service.forget_indexes()
    factory = make_sessionmaker(engine)

    def ask(_n):
        with factory() as db:
            geocoder, layer = service.geocoder_for(db, actor=officer)
            return id(geocoder), id(geocoder.index), layer.version, geocoder.geocode("岳麓区").level

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    assert len({a[0] for a in answers}) == 1 and len({a[1] for a in answers}) == 1
    assert {a[2:] for a in answers} == {(1, "区县")}
    assert len(service._indexes) == 1


def test_a_grant_geocodes_within_its_rows_and_items(db, make_resource, departments, exchange_actors, make_grant,
                                                     layer_rows, tmp_path):
    """The geocoder opens the address layer through the layer service's gate: another department's grant reads the
    granted rows only (岳麓区 here: a 芙蓉区 door is then not found at 门牌), and a grant without the address items is
    refused; the index is kept per grant's rows, not shared with the provider's."""
    from zhicheng.core.errors import Forbidden
    from zhicheng.geo.addresses import service
    from zhicheng.geo.addresses.index import REQUIRED_COLUMNS

    from .conftest import layer_spec

    service.forget_indexes()
    officer = exchange_actors["provider_officer"]
    spec = layer_spec()
    res = make_resource(department=departments["police"], state="published", actor=officer,
                        **{**spec, "open_type": "none", "share_type": "conditional",
                           "share_condition": "用于本部门受理事项的地址定位"})
    path = tmp_path / "addresses.csv"
    write_layer_csv(path, [r for r in layer_rows if r["district_code"] in DB_DISTRICTS])
    assert datasets.import_file(db, actor=officer, resource_id=res.id, path=path, filename=path.name).ok
    consumer = exchange_actors["consumer_user"]
    yuelu, furong = _door(layer_rows, "430104"), _door(layer_rows, "430102")
    with pytest.raises(Forbidden):
        service.geocode(db, actor=consumer, q=yuelu["full_address"], layer=res.code)
    names = [i["name"] for i in spec["items"]]
    make_grant(res, items=names, row_filter={"district_code": {"prefix": "430104"}})
    answer, _ = service.geocode(db, actor=consumer, q=yuelu["full_address"], layer=res.code)
    assert answer.level == "门牌" and answer.address_code == yuelu["address_code"]
    answers, _ = service.geocode_batch(db, actor=consumer, texts=[furong["full_address"]], layer=res.code)
    assert answers[0].level != "门牌"  # outside the grant's rows
    own, _ = service.geocode(db, actor=officer, q=furong["full_address"], layer=res.code)
    assert own.level == "门牌"  # the provider's own index holds every row
    lacking = exchange_actors["other_user"]
    make_grant(res, items=[n for n in names if n != REQUIRED_COLUMNS[0]], actor=lacking)
    with pytest.raises(Forbidden):
        service.geocode(db, actor=lacking, q=yuelu["full_address"], layer=res.code)
