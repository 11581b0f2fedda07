"""Resource codes follow the guide's structure and are unique; bad descriptions are refused with the field."""

from __future__ import annotations

import pytest

from tests.helpers.catalog import resource_data
from zhicheng.catalog import codes
from zhicheng.catalog import service as catalog
from zhicheng.core.errors import Invalid


def test_codes_follow_the_structure_and_are_unique(db, departments, make_resource):
    police = departments["police"]
    first = make_resource("常住人口基本信息")
    second = make_resource("户籍人口信息")
    theme = make_resource("空气质量监测", catalog_class="theme", subclass="environment")
    dept = make_resource("110接处警记录", catalog_class="department", subclass=None)
    dept_no = police.code.rsplit("-", 1)[1][-3:].zfill(3)
    assert first.code == f"101{dept_no}001/000001"
    assert second.code == f"101{dept_no}001/000002"
    assert theme.code == f"211{dept_no}001/000001"  # 生态环保 is the 11th theme subject
    assert dept.code == f"303{dept_no}001/000001"  # 03: a bureau
    parts = codes.parse_code(second.code)
    assert (parts.catalog_class, parts.item, parts.department, parts.detail, parts.sequence) == (
        "base", "01", dept_no, "001", 2)
    all_codes = [r.code for r in (first, second, theme, dept)]
    assert len(set(all_codes)) == 4 and all(codes.CODE_RE.match(c) for c in all_codes)


def test_code_follows_the_class_until_first_published(db, catalog_actors, make_resource):
    res = make_resource("法人基本信息")
    catalog.update_resource(db, actor=catalog_actors["officer"], resource_id=res.id,
                            data={"subclass": "legal_person", "detail_code": "002"})
    assert res.code[1:3] == "02" and res.code[6:9] == "002"
    published = make_resource("失信被执行人名单", subclass="credit", state="published")
    code = published.code
    catalog.revise(db, actor=catalog_actors["officer"], resource_id=published.id)
    catalog.update_resource(db, actor=catalog_actors["officer"], resource_id=published.id,
                            data={"subclass": "license"})
    assert published.code == code


@pytest.mark.parametrize("bad", ["", "101015001000001", "401015001/000001", "101015001/00001", "1010150a1/000001"])
def test_malformed_codes_are_refused(bad):
    with pytest.raises(Invalid) as exc:
        codes.parse_code(bad)
    assert exc.value.field == "code"


@pytest.mark.parametrize(("overrides", "field"), [
    ({"share_type": "none", "share_basis": None, "open_type": "none"}, "share_basis"),
    ({"share_type": "conditional", "share_condition": "  "}, "share_condition"),
    ({"open_type": "conditional"}, "open_condition"),
    ({"share_type": "none", "share_basis": "《中华人民共和国个人信息保护法》第十三条", "open_type": "unconditional"},
     "open_type"),
    ({"name": ""}, "name"),
    ({"summary": None}, "summary"),
    ({"catalog_class": "基础类"}, "catalog_class"),
    ({"subclass": "weather"}, "subclass"),
    ({"catalog_class": "department", "subclass": "population"}, "subclass"),
    ({"format": "纸质"}, "format"),
    ({"file_formats": ["csv", "exe"]}, "file_formats.1"),
    ({"update_cycle": "每小时"}, "update_cycle"),
    ({"detail_code": "1"}, "detail_code"),
    ({"related_codes": ["101015001/000001", "abc"]}, "related_codes.1"),
    ({"spatial": "maybe"}, "spatial"),
    ({"items": [{"name": "1abc", "label": "甲"}]}, "items.0.name"),
    ({"items": [{"name": "xm", "label": "姓名"}, {"name": "xm", "label": "姓名2"}]}, "items.1.name"),
    ({"items": [{"name": "xm", "label": "姓名"}, {"name": "xm2", "label": "姓名"}]}, "items.1.label"),
    ({"items": [{"name": "select", "label": "选择"}]}, "items.0.name"),
    ({"items": [{"name": "xm", "label": ""}]}, "items.0.label"),
    ({"items": [{"name": "xm", "label": "姓名", "type": "varchar"}]}, "items.0.type"),
    ({"items": [{"name": "je", "label": "金额", "type": "decimal", "length": 10, "scale": 12}]}, "items.0.scale"),
    ({"items": [{"name": "rq", "label": "日期", "type": "date", "length": 8}]}, "items.0.length"),
    ({"items": [{"name": "xm", "label": "姓名", "length": "十八"}]}, "items.0.length"),
    ({"items": [{"name": "xm", "label": "姓名", "sensitivity": "绝密"}]}, "items.0.sensitivity"),
    ({"items": [{"name": "xm", "label": "姓名", "check": "passport"}]}, "items.0.check"),
    ({"items": [{"name": "xm", "label": "姓名", "personal": "也许"}]}, "items.0.personal"),
])
def test_invalid_descriptions_name_the_field(overrides, field):
    with pytest.raises(Invalid) as exc:
        catalog.validate(resource_data(**overrides))
    assert exc.value.field == field, exc.value.zh
    assert exc.value.zh and exc.value.en


def test_an_invalid_resource_is_not_stored(db, catalog_actors):
    with pytest.raises(Invalid) as exc:
        catalog.create_resource(db, actor=catalog_actors["officer"], data=resource_data(
            share_type="none", share_basis=None, open_type="none"))
    assert exc.value.field == "share_basis" and "依据" in exc.value.zh
    assert catalog.count_resources(db) == 0


def test_chinese_names_are_accepted_for_enumerations(db, catalog_actors):
    res = catalog.create_resource(db, actor=catalog_actors["officer"], data=resource_data(
        catalog_class="基础信息资源", subclass="人口", format="电子表格", share_type="有条件共享",
        open_type="不予开放", update_cycle="每季度", share_method="文件",
        items=[{"name": "xm", "label": "姓名", "type": "字符型", "sensitivity": "重要", "check": "公民身份号码"}]))
    assert (res.catalog_class, res.subclass, res.format, res.update_cycle, res.share_method) == (
        "base", "population", "spreadsheet", "quarterly", "file")
    assert (res.items[0].type, res.items[0].sensitivity, res.items[0].check) == ("string", "important", "citizen_id")


def test_a_failed_update_changes_nothing(db, catalog_actors, make_resource):
    res = make_resource("常住人口基本信息")
    before = catalog.document(db, res)
    with pytest.raises(Invalid):
        catalog.update_resource(db, actor=catalog_actors["officer"], resource_id=res.id,
                                data={"summary": "新的摘要", "items": [{"name": "Bad Name", "label": "x"}]})
    db.expire_all()
    assert catalog.document(db, catalog.get_resource(db, res.id)) == before


def test_related_codes_must_exist(db, catalog_actors, make_resource):
    first = make_resource("常住人口基本信息")
    second = make_resource("户籍人口信息", related_codes=[first.code])
    assert second.related_codes == [first.code]
    with pytest.raises(Invalid) as exc:
        make_resource("流动人口信息", related_codes=[first.code, "101999001/000009"])
    assert exc.value.field == "related_codes.1"
    with pytest.raises(Invalid) as exc:
        catalog.update_resource(db, actor=catalog_actors["officer"], resource_id=first.id,
                                data={"related_codes": [first.code]})
    assert exc.value.field == "related_codes.0"


def test_submitting_needs_items(db, catalog_actors, make_resource):
    res = make_resource("无信息项资源", items=[])
    with pytest.raises(Invalid) as exc:
        catalog.submit(db, actor=catalog_actors["officer"], resource_id=res.id)
    assert exc.value.field == "items"
