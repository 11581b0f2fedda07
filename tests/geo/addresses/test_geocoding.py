"""A citizen's way of writing an address finds the right record of the layer; points find their places."""

from __future__ import annotations

from zhicheng.geo.addresses.index import metres_between
from zhicheng.geo.addresses.match import reverse
from zhicheng.geo.addresses.normalise import normalise


def _one(rows, **want):
    return next(r for r in rows if all(r[k] == v for k, v in want.items()))


def test_normalise_full_width_numerals_buildings_and_vague_words():
    assert normalise("麓山南路９３２号Ａ座").text == "麓山南路932号A栋"
    assert normalise("麓山南路九百三十二号三幢二单元").text == "麓山南路932号3栋2单元"
    assert normalise("麓山南路九三二号").text == "麓山南路932号"
    assert normalise("枫林一路五号楼").text == "枫林一路5栋"  # 一 in a road's name stays
    n = normalise("芙蓉区五一大道旁边那个小区")
    assert n.text == "芙蓉区五一大道" and n.vague
    assert normalise("我家住在解放西路口").text == "解放西路"
    assert normalise("长沙县路口镇").text == "长沙县路口镇"  # a town named 路口 is not a crossing


def test_the_complaint_examples(geocoder):
    a = geocoder.geocode("岳麓区麓山南路932号附近")
    assert a.found and a.level in ("门牌", "街路巷") and a.road_name == "麓山南路"
    assert a.district_code == "430104" and a.street_code == "430104002" and a.vague
    b = geocoder.geocode("芙蓉区五一大道旁边那个小区")
    assert b.found and b.level == "街路巷" and b.road_name == "五一大道" and b.district_code == "430102"
    assert 0 < b.score < 1


def test_a_door_written_many_ways_is_the_same_door(geocoder, layer_rows):
    door = _one(layer_rows, address_kind="门牌", road_name="麓山南路")
    n = int(door["house_number"][:-1])
    import cn2an

    written = [door["full_address"], f"岳麓区麓山南路{n}号", f"麓山南路{str(n).translate(str.maketrans('0123456789', '０１２３４５６７８９'))}号",
               f"长沙市岳麓区麓山南路{cn2an.an2cn(n)}号", f"岳麓 麓山南路{n}号附近"]
    for text in written:
        a = geocoder.geocode(text)
        assert a.level == "门牌" and a.address_code == door["address_code"], (text, a)
        assert (a.lon, a.lat) == (float(door["longitude"]), float(door["latitude"]))
        assert a.district_code == "430104" and len(a.street_code) == 9 and a.community_name


def test_buildings_estates_communities_streets_districts(geocoder, layer_rows):
    b = _one(layer_rows, address_kind="楼栋", district_code="430103")
    number = b["building_no"][:-1]
    a = geocoder.geocode(f"天心区{b['road_name']}{b['house_number']}{number}幢2单元302室")
    assert a.level == "门牌" and a.kind == "楼栋" and a.address_code == b["address_code"]
    assert a.unit_no == "2单元" and a.room_no == "302室"
    estate = geocoder.geocode(f"天心区{b['place_name']}")
    assert estate.level == "门牌" and estate.district_code == "430103"
    c = _one(layer_rows, address_kind="社区", district_code="430111")
    assert geocoder.geocode(f"雨花区{c['community_name']}").level == "社区"
    s = geocoder.geocode("长沙县星沙街道")
    assert s.level == "街道" and s.street_code.startswith("430121")
    d = geocoder.geocode("宁乡市")
    assert d.level == "区县" and d.district_code == "430182"


def test_a_misspelt_road_is_found_by_its_sound(geocoder):
    a = geocoder.geocode("岳麓区鹿山南路")  # 鹿 for 麓: what an input method does
    assert a.level == "街路巷" and a.road_name == "麓山南路" and a.fuzzy and a.score < 0.85


def test_not_an_address(geocoder):
    for text in ("今天天气不错", "", "北京市朝阳区建国路88号", "1234567"):
        a = geocoder.geocode(text)
        assert not a.found and a.reason, text


def test_reverse_finds_the_district_street_community_and_nearest_door(geocoder, layer_rows):
    door = _one(layer_rows, address_kind="门牌", district_code="430105")
    out = reverse(geocoder.index, float(door["longitude"]), float(door["latitude"]))
    assert out["district"]["code"] == "430105"
    assert out["street"]["code"] == door["street_code"]
    assert out["nearest"]["distance_m"] < 30
    assert out["community"] is not None
    far = reverse(geocoder.index, 116.39, 39.9)  # Beijing: no district of this city
    assert far["district"] is None and far["nearest"]["distance_m"] > 100_000


def test_every_record_lies_inside_its_real_district(layer_rows):
    import json
    from importlib import resources

    from shapely.geometry import Point, shape

    doc = json.loads(resources.files("zhicheng.demo").joinpath("data", "changsha_districts.geojson").read_text())
    shapes = {str(f["properties"]["adcode"]): shape(f["geometry"]) for f in doc["features"]}
    kinds = set()
    for r in layer_rows:
        kinds.add(r["address_kind"])
        assert r["street_code"][:6] == r["district_code"] or r["address_kind"] == "区县"
        if r["address_kind"] in ("门牌", "楼栋", "POI"):
            assert shapes[r["district_code"]].buffer(1e-4).contains(Point(float(r["longitude"]), float(r["latitude"])))
    assert kinds == {"区县", "街道", "社区", "街路巷", "门牌", "楼栋", "POI", "地片"}
    assert len({r["address_code"] for r in layer_rows}) == len(layer_rows)


def test_accuracy_on_the_labelled_set(geocoder, layer_rows, labelled):
    samples = list(labelled.samples(layer_rows, 2000))
    assert len(samples) == 2000 and len({s.text for s in samples}) > 1500
    answers = geocoder.geocode_many([s.text for s in samples])
    right = sum(labelled.judge(s, a) for s, a in zip(samples, answers, strict=True))
    doors = [(s, a) for s, a in zip(samples, answers, strict=True) if s.level == "门牌"]
    door_right = sum(labelled.judge(s, a) for s, a in doors)
    assert right / len(samples) >= 0.9, right
    assert door_right / len(doors) >= 0.9, door_right
    # a right answer is near the truth
    for s, a in zip(samples[:200], answers[:200], strict=True):
        if labelled.judge(s, a) and s.level == "门牌":
            assert metres_between(s.lon, s.lat, a.lon, a.lat) <= 60
