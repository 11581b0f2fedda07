"""The generators make valid, deterministic, Changsha-shaped data at full demo size."""

from __future__ import annotations

from collections import Counter

from shapely.geometry import Point, shape

from zhicheng.core.ids import citizen_id, credit_code, regions
from zhicheng.demo import city, generators

DISTRICTS = {d.code for d in city.districts()}


def test_people_have_valid_ids_born_in_changsha_with_matching_sex():
    people = list(generators.people(5000))
    assert len(people) == 5000
    assert len({p["citizen_id"] for p in people}) == 5000
    assert len({p["mobile"] for p in people if p["mobile"]}) == sum(1 for p in people if p["mobile"])
    streets = {s.name for s in city.streets()}
    for p in people:
        info = citizen_id.parse(p["citizen_id"])
        assert info.region_code in DISTRICTS
        assert p["sex"] == {"M": "男", "F": "女"}[info.sex]
        assert p["birth_date"] == info.birth_date.isoformat()
        assert p["street_name"] in streets and p["address"].startswith("长沙市")
        assert 2 <= len(p["name"]) <= 4
    sexes = Counter(p["sex"] for p in people)
    assert 0.45 < sexes["男"] / 5000 < 0.57


def test_enterprises_have_valid_credit_codes_registered_in_changsha():
    firms = list(generators.enterprises(1000))
    assert len({f["credit_code"] for f in firms}) == len({f["entity_name"] for f in firms}) == 1000
    for f in firms:
        assert credit_code.is_valid(f["credit_code"]), f
        assert f["credit_code"][:2] == "91" and f["credit_code"][2:8] == f["district_code"] in DISTRICTS
        assert regions.is_valid_code(f["district_code"])


def test_generation_is_deterministic():
    assert list(generators.people(50)) == list(generators.people(50))
    assert list(generators.enterprises(20)) == list(generators.enterprises(20))
    assert list(generators.addresses(per_street=2)) == list(generators.addresses(per_street=2))


def test_addresses_lie_on_real_streets_inside_their_district():
    import json
    from importlib import resources

    doc = json.loads(resources.files("zhicheng.demo").joinpath("data", "changsha_districts.geojson").read_text())
    shapes = {str(f["properties"]["adcode"]): shape(f["geometry"]) for f in doc["features"]}
    rows = list(generators.addresses(per_street=3))
    assert len(rows) == 3 * len(city.streets()) == 3 * 172
    for row in rows:
        assert row["street_code"][:6] == row["district_code"]
        assert shapes[row["district_code"]].contains(Point(float(row["longitude"]), float(row["latitude"])))


def test_air_quality_is_the_real_week_of_twelve_stations():
    rows = list(generators.air_quality())
    assert len(rows) == 12 * 24 * 7
    assert len({r["station"] for r in rows}) == 12
    assert rows[0]["observed_at"] == "2017-02-01T00:00:00+08:00"
    assert len(list(generators.air_quality(last_day=3))) == 12 * 24 * 3


def test_urban_objects_are_placed_in_their_district():
    from zhicheng.demo import urban

    components = list(urban.city_components(per_street=2))
    assert len({c["component_code"] for c in components}) == len(components) == 2 * 170  # 2025 street units
    for c in components:
        assert len(c["component_code"]) == 16 and c["component_code"][:6] == c["street_code"][:6]
        assert c["location"].startswith("POINT (")
    lots = list(urban.parking_lots(50))
    assert all(0 <= lot["charging_spaces"] <= lot["spaces"] for lot in lots)
    firms = [generators.Enterprise(f["credit_code"], f["entity_name"]) for f in generators.enterprises(200)]
    debtors = list(urban.dishonest_debtors(firms, count=40))
    assert len(debtors) == 40 and all(d["case_no"].startswith("（") and "执" in d["case_no"] for d in debtors)
    assert all(d["filed_on"] <= d["published_on"] <= generators.TODAY.isoformat() for d in debtors)
