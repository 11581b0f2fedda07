"""A department's data officer imports files of every format; bad files store nothing and every bad row is named."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import inspect

from zhicheng.catalog.datasets import service
from zhicheng.core.errors import Forbidden, NotFound, TooLarge

from .conftest import HEADER_LABELS, HEADER_NAMES, person, write_csv


def tables(db) -> set[str]:
    return {t for t in inspect(db.connection()).get_table_names() if t.startswith("ds_")}


def test_csv_utf8_becomes_version_1(db, people, officers, tmp_path):
    path = write_csv(tmp_path / "人口.csv", [person(n) for n in range(1, 51)])
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                 filename="人口.csv")
    assert report.ok, report.errors
    assert (report.version, report.row_count, report.encoding, report.format) == (1, 50, "utf-8", "csv")
    columns, rows = service.read_rows(db, actor=officers["police"], resource_id=people.id, limit=3)
    assert columns == HEADER_NAMES
    first = dict(zip(columns, rows[0], strict=True))
    assert first["sfzh"] == person(1)[0] and first["xm"] == person(1)[1]
    assert first["csrq"].isoformat() == person(1)[2]
    assert first["sr"] == Decimal(person(1)[7]) and first["jzrs"] == int(person(1)[6])
    assert first["dy"] is False and rows[2][-1] is True


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_csv_in_chinese_encodings_and_other_delimiters(db, people, officers, tmp_path, encoding):
    path = write_csv(tmp_path / "people.csv", [person(n) for n in range(1, 21)], encoding=encoding,
                     delimiter=";" if encoding == "gbk" else "\t")
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                 filename="people.csv")
    assert report.ok, report.errors
    assert report.row_count == 20
    _cols, rows = service.read_rows(db, actor=officers["police"], resource_id=people.id, limit=1)
    assert rows[0][5] == "长沙市岳麓区麓山南路1号"


def test_chinese_date_and_boolean_forms(db, people, officers, tmp_path):
    rows = [person(1), person(2), person(3)]
    rows[0][2], rows[1][2], rows[2][2] = "1980年3月5日", "1980/3/5", "1980.03.05"
    rows[0][8], rows[1][8], rows[2][8] = "true", "0", "是"
    path = write_csv(tmp_path / "p.csv", rows, header=HEADER_NAMES)  # item names work as headers too
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename="p.csv")
    assert report.ok, report.errors
    _cols, got = service.read_rows(db, actor=officers["police"], resource_id=people.id)
    assert {r[2].isoformat() for r in got} == {"1980-03-05"}
    assert [r[8] for r in got] == [True, False, True]


def test_xlsx_first_and_named_sheet(db, people, officers, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "说明"
    book.active.append(["本工作簿的第二张表为数据"])
    sheet = book.create_sheet("人口")
    sheet.append(HEADER_LABELS)
    for n in range(1, 31):
        row = person(n)
        row[6] = int(row[6])  # spreadsheet numbers arrive as numbers
        sheet.append(row)
    path = tmp_path / "people.xlsx"
    book.save(path)
    first = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                filename="people.xlsx")
    assert not first.ok and first.errors[0]["line"] == 1  # the first sheet is not the data
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                 filename="people.xlsx", sheet="人口")
    assert report.ok, report.errors
    assert report.row_count == 30 and report.version == 1


def test_json_array_and_rows_object(db, people, officers, tmp_path):
    records = [dict(zip(HEADER_NAMES, person(n), strict=True)) for n in range(1, 11)]
    records[0]["jzrs"] = 3  # numbers may be JSON numbers
    (tmp_path / "a.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"source": "公安", "rows": records}, ensure_ascii=False))
    one = service.import_file(db, actor=officers["police"], resource_id=people.id, path=tmp_path / "a.json",
                              filename="a.json")
    two = service.import_file(db, actor=officers["police"], resource_id=people.id, path=tmp_path / "b.json",
                              filename="b.json")
    assert one.ok and two.ok, (one.errors, two.errors)
    assert (one.version, two.version, two.row_count) == (1, 2, 10)


def test_geojson_features_with_geometry(db, make_resource, departments, officers, tmp_path):
    parks = make_resource("城市公园", department=departments["police"], items=[
        {"name": "mc", "label": "名称", "type": "string", "length": 50, "required": True},
        {"name": "mj", "label": "面积", "type": "decimal", "length": 10, "scale": 1},
        {"name": "fw", "label": "范围", "type": "geometry"},
    ])
    square = {"type": "Polygon", "coordinates": [[[112.9, 28.2], [112.95, 28.2], [112.95, 28.25], [112.9, 28.2]]]}
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    features = [{"type": "Feature", "properties": {"名称": "烈士公园", "面积": 136.6}, "geometry": square},
                {"type": "Feature", "properties": {"mc": "橘子洲"}, "geometry": {"type": "Point",
                                                                              "coordinates": [112.96, 28.18]}}]
    good = tmp_path / "parks.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    report = service.import_file(db, actor=officers["police"], resource_id=parks.id, path=good,
                                 filename="parks.geojson")
    assert report.ok, report.errors
    _cols, rows = service.read_rows(db, actor=officers["police"], resource_id=parks.id)
    assert json.loads(rows[1][2]) == {"type": "Point", "coordinates": [112.96, 28.18]}
    bad = tmp_path / "bad.geojson"
    features.append({"type": "Feature", "properties": {"mc": "坏"}, "geometry": bowtie})
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    report = service.import_file(db, actor=officers["police"], resource_id=parks.id, path=bad,
                                 filename="bad.geojson")
    assert not report.ok
    assert [(e["line"], e["column"], e["item"]) for e in report.errors] == [(3, "geometry", "fw")]
    assert "Self-intersection" in report.errors[0]["en"]


def test_bad_rows_store_nothing_and_every_one_is_reported(db, people, officers, tmp_path):
    rows = [person(n) for n in range(1, 11)]
    rows[1][6] = "三口"  # line 3: not an integer
    rows[3][1] = "欧阳" * 6  # line 5: longer than 10 characters
    rows[5][0] = rows[5][0][:-1] + ("0" if rows[5][0][-1] != "0" else "1")  # line 7: wrong check digit
    rows[6][1] = ""  # line 8: required
    rows[7][2] = "2023-02-30"  # line 9: no such date
    rows[8][7] = "12.345"  # line 10: three decimals
    rows[9] = rows[9][:5]  # line 11: ragged
    path = write_csv(tmp_path / "bad.csv", rows)
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                 filename="bad.csv")
    assert not report.ok and report.version is None
    got = [(e["line"], e["column"]) for e in report.errors]
    assert got == [(3, "家庭人数"), (5, "姓名"), (7, "公民身份号码"), (8, "姓名"), (9, "出生日期"), (10, "月收入"),
                   (11, None)]  # the columns as the file names them
    assert [e["item"] for e in report.errors] == ["jzrs", "xm", "sfzh", "xm", "csrq", "sr", None]
    assert report.error_count == 7 and "10" in report.errors[1]["zh"]
    assert "未导入任何数据" in report.message_zh
    assert tables(db) == set()
    assert service.list_versions(db, actor=officers["police"], resource_id=people.id) == []


def test_unknown_and_missing_columns(db, people, officers, tmp_path):
    path = write_csv(tmp_path / "cols.csv", [["张三", "x"]], header=["姓名", "血型"])
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                 filename="cols.csv")
    reasons = [e["zh"] for e in report.errors]
    assert any("未知列：血型" in r for r in reasons)
    assert any("缺少必填列：公民身份号码" in r for r in reasons)


def test_second_import_is_version_2_and_version_1_stays_readable(db, people, officers, tmp_path):
    v1 = write_csv(tmp_path / "v1.csv", [person(n) for n in range(1, 6)])
    v2 = write_csv(tmp_path / "v2.csv", [person(n) for n in range(100, 103)])
    for path in (v1, v2):
        assert service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                   filename=path.name).ok
    versions = service.list_versions(db, actor=officers["police"], resource_id=people.id)
    assert [(v.version, v.row_count, v.filename) for v in versions] == [(2, 3, "v2.csv"), (1, 5, "v1.csv")]
    assert len(versions[0].sha256) == 64
    _c, old = service.read_rows(db, actor=officers["police"], resource_id=people.id, version=1, limit=10)
    _c, new = service.read_rows(db, actor=officers["police"], resource_id=people.id, limit=10)
    assert [r[0] for r in old] == [person(n)[0] for n in range(1, 6)]
    assert [r[0] for r in new] == [person(n)[0] for n in range(100, 103)]
    assert tables(db) == {f"ds_{people.id}_v1", f"ds_{people.id}_v2"}
    with pytest.raises(NotFound):
        service.read_rows(db, actor=officers["police"], resource_id=people.id, version=3)


def test_another_departments_officer_may_not_import_or_read(db, people, officers, tmp_path):
    path = write_csv(tmp_path / "p.csv", [person(1)])
    with pytest.raises(Forbidden) as err:
        service.import_file(db, actor=officers["housing"], resource_id=people.id, path=path, filename="p.csv")
    assert err.value.status == 403
    with pytest.raises(Forbidden):
        service.list_versions(db, actor=officers["housing"], resource_id=people.id)
    assert tables(db) == set()


def test_imports_and_reads_are_audited(db, people, officers, tmp_path):
    from sqlalchemy import select

    from zhicheng.policy.models import AuditEntry

    path = write_csv(tmp_path / "p.csv", [person(1)])
    service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename="p.csv")
    service.read_rows(db, actor=officers["police"], resource_id=people.id)
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_kind == "catalog.dataset")
                         .order_by(AuditEntry.seq)).all()
    assert actions == ["dataset.import", "dataset.read"]


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("p.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "不是文本文件"),
    ("p.csv", "公民身份号码,姓名\n".encode("utf-16"), "不是文本文件"),
    ("p.xlsx", b"PK not really a workbook", "不是有效的 XLSX"),
    ("p.json", b'[{"xm": "a"}, {"xm": ', "JSON 格式错误"),
    ("p.json", b"", "文件为空"),
])
def test_malformed_files_give_clear_errors(db, people, officers, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename=name)
    assert not report.ok
    assert expected in report.message_zh, report.message_zh
    assert tables(db) == set()


def test_mixed_encoding_names_the_line(db, people, officers, tmp_path):
    good = write_csv(tmp_path / "m.csv", [person(n) for n in range(1, 2000)])
    data = good.read_bytes() + ",".join(person(5000)).encode("gbk") + b"\r\n"
    good.write_bytes(data)
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=good, filename="m.csv")
    assert not report.ok
    assert report.errors[-1]["line"] == 2001 and "编码" in report.errors[-1]["zh"]


def test_oversized_file_is_refused(db, people, officers, tmp_path):
    path = write_csv(tmp_path / "big.csv", [person(n) for n in range(1, 30000)])
    with pytest.raises(TooLarge) as err:
        service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename="big.csv",
                            max_upload_mb=1)
    assert err.value.status == 413


def test_unsupported_extension(db, people, officers, tmp_path):
    path = tmp_path / "p.doc"
    path.write_text("x")
    with pytest.raises(Exception) as err:
        service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename="p.doc")
    assert "不支持的文件格式" in err.value.zh


def test_json_records_missing_required_or_unknown_keys(db, people, officers, tmp_path):
    records = [dict(zip(HEADER_NAMES, person(n), strict=True)) for n in range(1, 4)]
    del records[1]["sfzh"]
    records[2]["血型"] = "O"
    (tmp_path / "p.json").write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=tmp_path / "p.json",
                                 filename="p.json")
    assert not report.ok
    assert [(e["line"], e["column"]) for e in report.errors] == [(2, "sfzh"), (3, "血型")]
    assert tables(db) == set()
