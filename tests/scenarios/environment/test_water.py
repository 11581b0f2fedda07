"""GB 3838-2002 surface water class by single-factor assessment: each parameter's class from Table 1, the worst
decides, lakes and reservoirs read TP (and TN) against their own limits."""

from __future__ import annotations

import pytest

from zhicheng.core.errors import Invalid
from zhicheng.scenarios.environment import water


def test_table_1_limits():
    p = water.PARAMETERS
    assert [float(x) for x in p["do"].limits] == [7.5, 6, 5, 3, 2]
    assert [float(x) for x in p["codmn"].limits] == [2, 4, 6, 10, 15]
    assert [float(x) for x in p["cod"].limits] == [15, 15, 20, 30, 40]
    assert [float(x) for x in p["bod5"].limits] == [3, 3, 4, 6, 10]
    assert [float(x) for x in p["nh3n"].limits] == [0.15, 0.5, 1.0, 1.5, 2.0]
    assert [float(x) for x in p["tp"].limits] == [0.02, 0.1, 0.2, 0.3, 0.4]
    assert [float(x) for x in p["tp"].lake_limits] == [0.01, 0.025, 0.05, 0.1, 0.2]
    assert [float(x) for x in p["tn"].limits] == [0.2, 0.5, 1.0, 1.5, 2.0]
    assert [float(x) for x in p["hg"].limits] == [0.00005, 0.00005, 0.0001, 0.001, 0.001]
    assert [float(x) for x in p["fecal_coliform"].limits] == [200, 2000, 10000, 20000, 40000]
    assert sorted(q.number for q in p.values()) == list(range(2, 25))  # items 2-24 (1, water temperature, is no class)


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("nh3n", 0.15, "I"), ("nh3n", 0.16, "II"), ("nh3n", 0.5, "II"), ("nh3n", 1.0, "III"), ("nh3n", 1.5, "IV"),
    ("nh3n", 2.0, "V"), ("nh3n", 2.01, "劣V"), ("cod", 15, "I"), ("cod", 15.1, "III"), ("bod5", 3.5, "III"),
    ("do", 7.5, "I"), ("do", 7.4, "II"), ("do", 6, "II"), ("do", 5, "III"), ("do", 2, "V"), ("do", 1.9, "劣V"),
    ("ph", 6, "I"), ("ph", 9, "I"), ("ph", 5.9, "劣V"), ("ph", 9.1, "劣V"), ("codmn", 15, "V"), ("codmn", 16, "劣V"),
])
def test_each_parameter_gets_the_best_class_whose_limit_it_meets(key, value, expected):
    r = water.classify({key: value}, target=None)
    assert r.parameters[key].water_class == expected and r.water_class == expected


def test_the_worst_parameter_decides_and_those_over_the_target_are_named():
    r = water.classify({"ph": 7.4, "do": 6.8, "codmn": 3.1, "nh3n": 1.62, "tp": 0.11, "cod": 25})
    assert r.water_class == "V" and r.deciding == ["nh3n"]
    assert r.target == "III" and r.meets_target is False
    assert r.exceeding == ["nh3n", "cod"]
    assert r.parameters["nh3n"].exceedance_multiple == 0.62 and r.parameters["nh3n"].target_limit == "≤1"
    assert r.parameters["cod"].exceedance_multiple == 0.25 and r.parameters["tp"].water_class == "III"
    tie = water.classify({"codmn": 5, "bod5": 4, "nh3n": 0.3})
    assert tie.water_class == "III" and tie.deciding == ["codmn", "bod5"] and tie.meets_target and tie.exceeding == []


def test_low_dissolved_oxygen_is_over_the_target_without_a_multiple():
    r = water.classify({"do": 2.5}, target="III")
    assert r.water_class == "V" and r.exceeding == ["do"] and r.parameters["do"].exceedance_multiple is None


def test_a_lake_reads_phosphorus_and_nitrogen_against_its_own_limits():
    sample = {"tp": 0.08, "tn": 1.2, "nh3n": 0.3}
    river = water.classify(sample, water_body="river")
    lake = water.classify(sample, water_body="lake")
    assert river.parameters["tp"].water_class == "II" and lake.parameters["tp"].water_class == "IV"
    assert river.water_class == "II" and not river.parameters["tn"].counted and river.notes
    assert lake.water_class == "IV" and lake.parameters["tn"].counted and lake.deciding == ["tp", "tn"]


@pytest.mark.parametrize(("given", "field"), [
    ({"nh3n": -0.1}, "nh3n"), ({"do": float("nan")}, "do"), ({"ph": 15}, "ph"), ({"bod": 3}, "bod"),
])
def test_a_bad_value_names_its_parameter(given, field):
    with pytest.raises(Invalid) as exc:
        water.classify({"codmn": 3, **given})
    assert exc.value.field == field


def test_nothing_or_a_wrong_body_or_target_is_an_error():
    with pytest.raises(Invalid) as exc:
        water.classify({"do": None})
    assert exc.value.code == "no_parameter"
    with pytest.raises(Invalid) as exc:
        water.classify({"do": 6}, water_body="sea")
    assert exc.value.field == "water_body"
    with pytest.raises(Invalid) as exc:
        water.classify({"do": 6}, target="VI")
    assert exc.value.field == "target"
    with pytest.raises(Invalid) as exc:
        water.classify({"tn": 1.0}, water_body="river")
    assert exc.value.field == "tn"
