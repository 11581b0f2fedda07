"""A citizen downloads 社区人口统计 from the portal and opens it in Excel: CSV and XLSX are headed by the data
items' Chinese labels; the dataset page offers 表头：中文名称 / 英文标识符; JSON and GeoJSON, machine formats,
keep identifiers as keys unless labels are asked; a bad choice is a 422 naming `columns`."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

HTML = {"Accept": "text/html"}
LABELS = ["公民身份号码", "姓名", "所属街道", "人数"]
NAMES = ["sfzh", "xm", "jd", "rs"]


def csv_header(r) -> list[str]:
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    return next(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def xlsx_header(r) -> list[str]:
    assert r.status_code == 200, r.text
    ws = load_workbook(io.BytesIO(r.content), read_only=True).active
    return list(next(ws.iter_rows(values_only=True)))


def test_csv_and_xlsx_are_headed_by_chinese_labels_identifiers_on_request(client, open_data):
    base = f"/open/datasets/{open_data['free'].id}/download"
    assert csv_header(client.get(base + ".csv")) == LABELS
    assert xlsx_header(client.get(base + ".xlsx")) == LABELS
    assert csv_header(client.get(base + ".csv", params={"columns": "names"})) == NAMES
    assert xlsx_header(client.get(base + ".xlsx", params={"columns": "names"})) == NAMES
    assert csv_header(client.get(base + ".csv", params={"columns": "labels", "lang": "en"})) == LABELS


def test_json_and_geojson_keep_identifiers_unless_labels_are_asked(client, open_data):
    base = f"/open/datasets/{open_data['free'].id}/download"
    assert list(json.loads(client.get(base + ".json").content)[0]) == NAMES
    assert list(json.loads(client.get(base + ".json", params={"columns": "labels"}).content)[0]) == LABELS
    geo = f"/open/datasets/{open_data['geo'].id}/download.geojson"
    feature = json.loads(client.get(geo).content)["features"][0]
    assert list(feature["properties"]) == ["mc", "lxdh"] and feature["geometry"]["type"] == "Point"
    feature = json.loads(client.get(geo, params={"columns": "labels"}).content)["features"][0]
    assert list(feature["properties"]) == ["名称", "联系电话"] and feature["geometry"]["type"] == "Point"


def test_a_bad_header_choice_is_a_problem_naming_columns(client, open_data):
    for fmt in ("csv", "xlsx", "json"):
        for bad in ("label", "英文", "x" * 500):
            r = client.get(f"/open/datasets/{open_data['free'].id}/download.{fmt}", params={"columns": bad})
            assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["field"] == "columns"
    r = client.get(f"/open/datasets/{open_data['free'].id}", params={"columns": "bad"}, headers=HTML)
    assert r.status_code == 422 and "Traceback" not in r.text


def test_the_dataset_page_offers_the_header_choice(client, open_data):
    page = client.get(f"/open/datasets/{open_data['free'].id}", headers=HTML)
    assert page.status_code == 200 and 'id="download-columns"' in page.text
    assert "表头" in page.text and "中文名称" in page.text and "英文标识符" in page.text
    assert 'download.csv"' in page.text  # the default: labels
    page = client.get(f"/open/datasets/{open_data['free'].id}", params={"columns": "names"}, headers=HTML)
    assert "download.csv?columns=names" in page.text and "download.xlsx?columns=names" in page.text
    page = client.get(f"/open/datasets/{open_data['free'].id}", params={"lang": "en"}, headers=HTML)
    assert "Header" in page.text and "identifiers" in page.text
