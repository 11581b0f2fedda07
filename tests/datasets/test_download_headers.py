"""公安局's officer downloads a version of the population data from the versions page and opens it in Excel: the
header row is the data items' Chinese labels, identifiers by the second link (columns=names); labels an
importer would confuse carry their identifier; a label that looks like a formula is neutralised."""

from __future__ import annotations

import csv
import io

from zhicheng.catalog.datasets import service

from .conftest import HEADER_LABELS, HEADER_NAMES, person, write_csv


def table(r) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_the_version_csv_has_chinese_labels_and_identifiers_on_request(client, db, people, officers, login,
                                                                       tmp_path):
    path = write_csv(tmp_path / "人口.csv", [person(n) for n in range(3)])
    assert service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                               filename="人口.csv").ok
    login(client, officers["police_user"])
    url = f"/api/v1/catalog/resources/{people.id}/versions/1/rows"
    rows = table(client.get(url, params={"format": "csv"}))
    assert rows[0] == HEADER_LABELS and rows[1][0] == person(0)[0] and len(rows) == 4
    assert table(client.get(url, params={"format": "csv", "columns": "names"}))[0] == HEADER_NAMES
    assert table(client.get(url, params={"format": "csv", "columns": "labels"}))[0] == HEADER_LABELS
    # the JSON page of the API keeps identifiers
    assert client.get(url, params={"limit": 1}).json()["columns"] == HEADER_NAMES

    r = client.get(url, params={"format": "csv", "columns": "中文"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "columns"

    page = client.get(f"/catalog/{people.id}/versions")
    assert "rows?format=csv&amp;columns=names" in page.text and "英文标识符表头" in page.text


def test_colliding_labels_carry_their_identifier_and_formula_labels_are_neutralised(
        client, db, make_resource, departments, officers, login, tmp_path):
    items = [
        {"name": "pm25", "label": "PM2.5", "type": "integer"},
        {"name": "pm25_qj", "label": "ＰＭ２.５", "type": "integer"},  # the same once full-width is folded
        {"name": "zs", "label": "=总数", "type": "integer"},
        {"name": "bz", "label": "备注", "type": "string", "length": 20},
    ]
    res = make_resource("空气质量", department=departments["police"], items=items)
    path = write_csv(tmp_path / "aq.csv", [["35", "36", "71", "晴"]], header=[i["name"] for i in items])
    assert service.import_file(db, actor=officers["police"], resource_id=res.id, path=path, filename="aq.csv").ok
    login(client, officers["police_user"])
    rows = table(client.get(f"/api/v1/catalog/resources/{res.id}/versions/1/rows", params={"format": "csv"}))
    assert rows[0] == ["PM2.5 [pm25]", "ＰＭ２.５ [pm25_qj]", "'=总数", "备注"]
    assert rows[1] == ["35", "36", "71", "晴"]
