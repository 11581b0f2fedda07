"""A department imports text that a spreadsheet would run as a formula (=HYPERLINK, +1, -2+3, @SUM); every CSV and
XLSX door of the platform hands it out as text (OWASP's leading ', Excel's quote prefix in XLSX), while a
negative number in a numeric column stays a number."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from zhicheng.accounts import service as accounts
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core import clock
from zhicheng.core.spreadsheet import safe_cell, safe_row
from zhicheng.exchange.models import Grant, ShareRequest

ITEMS = [
    {"name": "mc", "label": "名称", "type": "string", "length": 100},
    {"name": "bz", "label": "备注", "type": "string", "length": 100},
    {"name": "sz", "label": "数值", "type": "decimal", "length": 10, "scale": 1},
]
EVIL = ['=HYPERLINK("http://evil.example","x")', "+1", "-2+3", "@SUM(A1:A9)", "=1+1"]
SAFE = ["'" + v for v in EVIL]


@pytest.fixture
def evil(db, tmp_path, departments, make_user, make_resource):
    """公安局 publishes (and opens) a table whose text cells start with = + - @; 住建局 holds a file grant."""
    resource = make_resource("注入测试", department=departments["police"], state="published", items=ITEMS,
                             open_type="unconditional")
    officer_user = make_user("fi_officer", roles=["data_officer"], department=departments["police"])
    officer = accounts.actor_for(officer_user)
    path = tmp_path / "evil.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["mc", "bz", "sz"])
        for v in EVIL:
            writer.writerow([v, "普通文本", "-3.5"])
    report = datasets.import_file(db, actor=officer, resource_id=resource.id, path=path, filename="evil.csv")
    assert report.ok, report.errors
    consumer = make_user("fi_consumer", roles=["dept_user"], department=departments["housing"])
    today = clock.now().date()
    req = ShareRequest(resource_id=resource.id, resource_name=resource.name, share_type="conditional",
                       provider_department_id=departments["police"].id,
                       consumer_department_id=departments["housing"].id, purpose="测试", basis="测试",
                       items=["mc", "bz", "sz"], period_start=today, period_end=today + timedelta(days=9),
                       delivery="file", state="granted", due_date=today + timedelta(days=9))
    db.add(req)
    db.flush()
    db.add(Grant(request_id=req.id, resource_id=resource.id, consumer_department_id=departments["housing"].id,
                 provider_department_id=departments["police"].id, items=["mc", "bz", "sz"], plain_items=[],
                 purpose="测试", starts_on=today - timedelta(days=1), expires_at=clock.now() + timedelta(days=9),
                 delivery="file", file_export_approved=True))
    db.commit()
    return {"id": resource.id, "officer": officer_user, "consumer": consumer}


def csv_table(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def check_table(table: list[list[str]], *, mc: int = 0, sz: int = 2) -> None:
    rows = table[1:]
    assert [r[mc] for r in rows] == SAFE, rows
    assert all(r[sz] == "-3.5" for r in rows), rows  # a number in a numeric column stays a number


def test_the_neutraliser_keeps_numbers_and_quotes_formula_text():
    assert safe_row(["=1", "+1", "-1", "@a", "\tx", "\rx", "a=1", "", None, -3.5, 7]) == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "a=1", "", None, -3.5, 7]
    assert safe_cell("普通") == "普通"


def test_sharing_api_csv_route_and_lane_are_neutralised(client, route_client, evil, auth_headers):
    url = f"/api/v1/exchange/resources/{evil['id']}/rows"
    headers = auth_headers(evil["consumer"])
    lane = client.get(url, params={"format": "csv", "sort": "mc"}, headers=headers)
    route = route_client.get(url, params={"format": "csv", "sort": "mc"}, headers=headers)
    assert lane.status_code == 200, lane.text
    assert lane.content == route.content
    table = csv_table(lane.content)
    assert sorted(r[0] for r in table[1:]) == sorted(SAFE) and all(r[2] == "-3.5" for r in table[1:])
    r = client.get(url, headers=headers)  # JSON is not a spreadsheet: the data as imported
    assert sorted(i["mc"] for i in r.json()["items"]) == sorted(EVIL)


def test_sharing_file_export_is_neutralised(client, evil, auth_headers):
    r = client.get(f"/api/v1/exchange/resources/{evil['id']}/export", headers=auth_headers(evil["consumer"]))
    assert r.status_code == 200, r.text
    check_table(csv_table(r.content))


def test_catalog_version_csv_is_neutralised(client, evil, auth_headers):
    r = client.get(f"/api/v1/catalog/resources/{evil['id']}/versions/1/rows", params={"format": "csv"},
                   headers=auth_headers(evil["officer"]))
    assert r.status_code == 200, r.text
    check_table(csv_table(r.content))


def test_open_data_csv_xlsx_and_rest_csv_are_neutralised(client, evil):
    r = client.get(f"/open/datasets/{evil['id']}/download.csv")
    assert r.status_code == 200, r.text
    check_table(csv_table(r.content))

    r = client.get(f"/open/datasets/{evil['id']}/download.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    cells = list(ws.iter_rows(min_row=2))
    assert [row[0].value for row in cells] == EVIL
    for row in cells:  # text with Excel's quote prefix: shown, never evaluated, text even after an edit
        assert row[0].data_type == "s" and row[0].quotePrefix, (row[0].value, row[0].data_type)
        assert row[2].data_type == "n" and row[2].value == -3.5

    r = client.get(f"/api/v1/open/datasets/{evil['id']}/rows", params={"format": "csv"})
    assert r.status_code == 200, r.text
    check_table(csv_table(r.content), mc=1, sz=3)
