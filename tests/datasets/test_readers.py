"""The readers and converters on their own: encodings, delimiters, JSON shapes, Chinese dates, identifier checks."""

from __future__ import annotations

import json

import pytest

from zhicheng.catalog.datasets import readers
from zhicheng.catalog.datasets.converters import BadValue, converter_for
from zhicheng.catalog.datasets.validate import ErrorLog, RowValidator
from zhicheng.catalog.items import ItemCheck, ItemSpec, ItemType


@pytest.mark.parametrize(("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                    ("gbk", "gb18030"), ("gb18030", "gb18030")])
def test_encodings_are_detected(tmp_path, encoding, expected):
    path = tmp_path / "a.csv"
    path.write_text("名称;地址\n岳麓山;长沙市岳麓区登高路58号\n橘子洲;长沙市岳麓区橘子洲头\n", encoding=encoding)
    src = readers.open_source(path)
    assert (src.encoding, src.delimiter, src.header) == (expected, ";", ["名称", "地址"])
    assert list(src.rows()) == [(2, ["岳麓山", "长沙市岳麓区登高路58号"]), (3, ["橘子洲", "长沙市岳麓区橘子洲头"])]


def test_quoted_multiline_field_keeps_line_numbers(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('名称,说明\n甲,"第一行\n第二行"\n乙,单行\n', encoding="utf-8")
    assert [line for line, _row in readers.open_source(path).rows()] == [2, 4]


def test_json_shapes(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"a": 1}, {"a": 2}]))
    (tmp_path / "b.json").write_text(json.dumps({"meta": {"rows": 1}, "rows": [{"a": 3}]}))
    (tmp_path / "c.json").write_text(json.dumps({"data": []}))
    (tmp_path / "d.json").write_text(json.dumps([1, 2]))
    assert [r for _n, r in readers.open_source(tmp_path / "a.json").rows()] == [{"a": 1}, {"a": 2}]
    assert [r for _n, r in readers.open_source(tmp_path / "b.json").rows()] == [{"a": 3}]
    with pytest.raises(readers.FileError, match="no rows array"):
        readers.open_source(tmp_path / "c.json")
    with pytest.raises(readers.FileError, match="record 1 is not an object"):
        list(readers.open_source(tmp_path / "d.json").rows())


def test_geojson_must_be_a_feature_collection(tmp_path):
    (tmp_path / "a.geojson").write_text(json.dumps({"type": "Feature", "geometry": None, "properties": {}}))
    with pytest.raises(readers.FileError, match="FeatureCollection"):
        readers.open_source(tmp_path / "a.geojson")


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-01-02", "2024-01-02"), ("2024/1/2", "2024-01-02"), ("2024年1月2日", "2024-01-02"),
    ("2024.01.02", "2024-01-02"), ("20240102", "2024-01-02"), (" 2024 年 12 月 31 日 ", "2024-12-31"),
])
def test_chinese_dates(text, expected):
    assert converter_for(ItemSpec("d", "日期", type=ItemType.DATE))(text) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "2024年13月1日", "昨天", "2024-1"])
def test_bad_dates(text):
    with pytest.raises(BadValue):
        converter_for(ItemSpec("d", "日期", type=ItemType.DATE))(text)


def test_datetimes_booleans_decimals():
    dt = converter_for(ItemSpec("t", "时间", type=ItemType.DATETIME))
    assert dt("2024年1月2日 8时30分") == "2024-01-02 08:30:00"
    assert dt("2024/1/2 08:30:15") == "2024-01-02 08:30:15"
    assert dt("2024-01-02T00:30:00+00:00") == "2024-01-02 08:30:00"  # stored as Beijing time
    yes_no = converter_for(ItemSpec("b", "是否", type=ItemType.BOOLEAN))
    assert [yes_no(v) for v in ("是", "否", "TRUE", "0", 1)] == [True, False, True, False, True]
    money = converter_for(ItemSpec("m", "金额", type=ItemType.DECIMAL, length=8, scale=2))
    assert money("1,234.5") == "1234.5"
    for bad in ("12.345", "1234567.1", "abc", "NaN"):
        with pytest.raises(BadValue):
            money(bad)


def test_identifier_checks():
    from datetime import date

    from zhicheng.core.ids import citizen_id

    good = citizen_id.make("430104", date(1988, 8, 8), 123, "F")
    cid = converter_for(ItemSpec("c", "身份证", length=18, check=ItemCheck.CITIZEN_ID))
    assert cid(good) == good
    with pytest.raises(BadValue) as err:
        cid(good[:-1] + ("1" if good[-1] != "1" else "2"))
    assert err.value.zh.startswith("公民身份号码无效")
    mobile = converter_for(ItemSpec("m", "手机", check=ItemCheck.MOBILE))
    assert mobile("13912345678") == "13912345678"
    with pytest.raises(BadValue):
        mobile("12912345678")
    post = converter_for(ItemSpec("p", "邮编", check=ItemCheck.POSTCODE))
    with pytest.raises(BadValue):
        post("41000")


def test_header_by_name_or_label_and_header_problems():
    specs = [ItemSpec("xm", "姓名", required=True), ItemSpec("dz", "地址")]
    errors = ErrorLog()
    RowValidator(specs, errors, ["XM", "地址"])
    assert errors.count == 0
    RowValidator(specs, errors, ["地址", "地址", "备注"])
    assert [e["zh"] for e in errors.items] == ["列 地址 与 地址 重复", "未知列：备注（不是本资源的信息项）",
                                               "缺少必填列：姓名（xm）"]


def test_error_log_is_bounded():
    log = ErrorLog(limit=3)
    for n in range(10):
        log.add(n, "c", "错", "bad")
    assert (len(log.items), log.count, log.truncated) == (3, 10, 7)
