"""A department's real files: a title and blank rows above the header, its own column names, Excel's numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from zhicheng.catalog.datasets import service
from zhicheng.core.errors import Invalid

from .conftest import HEADER_LABELS, person

TITLE = "长沙市常住人口基本信息登记表（2024 年第一季度）"
# the department's own way of writing the labels: spaces, full-width letters and colons, required marks
DEPT_HEADER = ["公民身份号码*", "姓　名", "出生日期", "行政区划代码", "手机号码", "住 址", "家庭人数", "月收入（元）",
               "是否党员"]


def messy_xlsx(path: Path, rows: list[list], *, header: list[str] = HEADER_LABELS, id_as_number: bool = False):
    """As departments send them: a merged title cell, a blank row, the header on row 3, trailing blank columns."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "人口"
    sheet["A1"] = TITLE
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append([])  # row 2 left blank
    sheet.cell(row=3, column=1)
    for col, text in enumerate(header, start=1):
        sheet.cell(row=3, column=col, value=text)
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=1):
            if c == 1 and id_as_number:
                value = float(f"{float(value):.15g}")  # Excel keeps 15 digits of a number typed in a cell
            elif c == 7 and value.isdigit():
                value = int(value)
            sheet.cell(row=r, column=c, value=value)
        for c in range(len(row) + 1, len(row) + 4):  # trailing blank columns the clerk once touched
            sheet.cell(row=r, column=c, value="")
    book.save(path)
    return path


def messy_csv(path: Path, rows: list[list], *, header: list[str] = HEADER_LABELS, encoding: str = "gb18030"):
    """Saved from Excel as CSV: the title line padded with commas, a blank line, then the header on line 3."""
    width = len(header)
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([TITLE] + [""] * (width - 1))
        writer.writerow([""] * width)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_xlsx_with_title_and_blank_rows_finds_the_header_on_row_3(db, people, officers, tmp_path):
    rows = [person(n) for n in range(1, 41)]
    path = messy_xlsx(tmp_path / "人口登记表.xlsx", rows, header=DEPT_HEADER)
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                 filename="人口登记表.xlsx")
    assert report.ok, report.errors[:5]
    assert report.header_row == 3 and report.row_count == 40
    _cols, stored = service.read_rows(db, actor=officers["police"], resource_id=people.id, limit=2)
    assert stored[1][0] == rows[1][0] and stored[1][1] == rows[1][1]


def test_csv_with_title_line_finds_the_header_on_line_3(db, people, officers, tmp_path):
    path = messy_csv(tmp_path / "人口.csv", [person(n) for n in range(1, 26)])
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename="人口.csv")
    assert report.ok, report.errors[:5]
    assert report.header_row == 3 and report.row_count == 25


def test_bad_rows_name_the_line_and_the_column_as_the_file_names_them(db, people, officers, tmp_path):
    rows = [person(n) for n in range(1, 11)]
    rows[1][6] = "三口"  # sheet row 5
    path = messy_xlsx(tmp_path / "人口.xlsx", rows, header=DEPT_HEADER)
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename="人口.xlsx")
    assert [(e["line"], e["column"], e["item"]) for e in report.errors] == [(5, "家庭人数", "jzrs")]


def test_a_chosen_header_row_and_a_wrong_one(db, people, officers, tmp_path):
    path = messy_csv(tmp_path / "人口.csv", [person(n) for n in range(1, 6)])
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                 filename="人口.csv", header_row=3)
    assert report.ok and report.header_row == 3
    with pytest.raises(Invalid) as err:
        service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename="人口.csv",
                            header_row=99)
    assert err.value.field == "header_row"
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                 filename="人口.csv", header_row=1)
    assert not report.ok and report.header_row == 1
    assert any("未知列：" + TITLE in e["zh"] for e in report.errors)


def test_columns_the_resource_does_not_name_are_mapped_by_the_user(db, people, officers, tmp_path):
    header = ["序号", "身份证号", "名字", "出生日期", "区划", "手机", "家庭住址", "人数", "月收入", "党员", "备注"]
    rows = [[str(n), *person(n), "无"] for n in range(1, 21)]
    path = messy_csv(tmp_path / "名单.csv", rows, header=header)
    plain = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                filename="名单.csv")
    assert not plain.ok and any("未知列：身份证号" in e["zh"] for e in plain.errors)

    mapping = {"sfzh": "身份证号", "xm": "名字", "dqdm": 5, "sjhm": "手机", "zz": "家庭住址", "jzrs": "人数",
               "sr": "月收入", "dy": None}
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                 filename="名单.csv", mapping=mapping)
    assert report.ok, report.errors[:5]
    assert report.header_row == 3 and report.row_count == 20
    columns, stored = service.read_rows(db, actor=officers["police"], resource_id=people.id, limit=1)
    row = dict(zip(columns, stored[0], strict=True))
    assert row["sfzh"] == person(1)[0] and row["dqdm"] == person(1)[3] and row["dy"] is None
    assert row["csrq"].isoformat() == person(1)[2]  # 出生日期 matched by its label, not in the mapping

    with pytest.raises(Invalid) as err:
        service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename="名单.csv",
                            mapping={**mapping, "sfzh": None})
    assert err.value.field == "mapping" and "公民身份号码" in err.value.zh


def test_preview_shows_the_header_found_the_proposed_mapping_and_the_first_rows(db, people, officers, tmp_path):
    from zhicheng.catalog.datasets import headers

    path = messy_xlsx(tmp_path / "人口.xlsx", [person(n) for n in range(1, 9)], header=DEPT_HEADER)
    got = headers.preview_file(db, actor=officers["police"], resource_id=people.id, path=path,
                               filename="人口.xlsx")
    assert got["header_row"] == 3 and got["detected_row"] == 3 and not got["exact"]
    assert [c["line"] for c in got["candidates"]][:2] == [1, 3]
    assert got["mapping"]["xm"] == "姓　名" and got["mapping"]["sr"] == "月收入（元）"
    assert got["unmatched_columns"] == [] and got["missing_required"] == []
    assert [r["line"] for r in got["rows"]] == [4, 5, 6, 7, 8]
    assert got["rows"][0]["cells"][:2] == person(1)[:2]


def test_id_numbers_excel_kept_as_numbers_are_named_as_such(db, people, officers, tmp_path):
    from zhicheng.catalog.datasets.converters import EXCEL_NUMBER_ZH

    rows = [person(n) for n in range(1, 6)]
    path = messy_xlsx(tmp_path / "人口.xlsx", rows, id_as_number=True)
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename="人口.xlsx")
    assert not report.ok
    bad = [e for e in report.errors if e["item"] == "sfzh"]
    assert bad and all(e["zh"] == EXCEL_NUMBER_ZH for e in bad), report.errors
    assert "Excel stored this column as numbers" in bad[0]["en"]

    rows[0][0] = "4.30104199001011E+17"  # the CSV Excel writes of such a column
    rows[1][0] = rows[1][0][:15] + "000"  # or the number written out with its last digits lost
    if service.import_file(db, actor=officers["police"], resource_id=people.id,
                           path=messy_csv(tmp_path / "a.csv", [rows[1]]), filename="a.csv").ok:
        pytest.skip("this number happens to be valid with 000")
    report = service.import_file(db, actor=officers["police"], resource_id=people.id,
                                 path=messy_csv(tmp_path / "人口.csv", rows), filename="人口.csv")
    assert [(e["line"], e["column"], e["zh"]) for e in report.errors] == [(4, "公民身份号码", EXCEL_NUMBER_ZH),
                                                                         (5, "公民身份号码", EXCEL_NUMBER_ZH)]


@pytest.mark.parametrize(("value", "reason"), [
    ("43010419900101123", "身份证号码应为 18 位（或旧式 15 位），实际 17 位"),
    ("430104199013011234", "出生日期 19901301 不是有效日期"),
    ("430104199001011235", "校验码错误：第 18 位应为"),
])
def test_id_errors_are_as_precise_as_id_check(db, people, officers, tmp_path, value, reason):
    rows = [person(n) for n in range(1, 4)]
    rows[1][0] = value
    path = messy_csv(tmp_path / "人口.csv", rows, header=["身份证号", *HEADER_LABELS[1:]])
    report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path, filename="人口.csv",
                                 mapping={"sfzh": "身份证号"})
    assert [(e["line"], e["column"]) for e in report.errors] == [(5, "身份证号")]
    assert reason in report.errors[0]["zh"] and "公民身份号码无效" in report.errors[0]["zh"]
    if "校验码" in reason:
        from zhicheng.core.ids import citizen_id

        assert f"应为 {citizen_id.check_char(value[:17])}，实际为 5" in report.errors[0]["zh"]
