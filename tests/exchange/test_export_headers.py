"""住建局's officer exports the granted population file and opens it in Excel: the header row is the data items'
Chinese labels (公民身份号码, 姓名, …), identifiers on request (columns=names); the rows API, a machine API,
keeps identifiers, its CSV too."""

from __future__ import annotations

import csv
import io

from tests.exchange.test_delivery import ITEMS, ROWS

LABELS = [i["label"] for i in ITEMS]
NAMES = [i["name"] for i in ITEMS]


def table(r) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_the_exported_file_is_headed_by_chinese_labels_unless_identifiers_are_asked(client, world, auth_headers):
    world["make_grant"](delivery="file", approved=True)
    url, token = world["url"].replace("/rows", "/export"), auth_headers(world["consumer"])
    rows = table(client.get(url, headers=token))
    assert rows[0] == LABELS and len(rows) == ROWS + 1
    assert rows[1][1] == "张*"  # still masked
    for choice, header in (("labels", LABELS), ("names", NAMES), ("NAMES", NAMES)):
        assert table(client.get(url, params={"columns": choice}, headers=token))[0] == header


def test_a_bad_header_choice_is_refused_naming_columns(client, world, auth_headers):
    world["make_grant"](delivery="file", approved=True)
    url = world["url"].replace("/rows", "/export")
    for bad in ("label", "中文", "names,labels", "x" * 300):
        r = client.get(url, params={"columns": bad}, headers=auth_headers(world["consumer"]))
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == "columns"


def test_the_rows_api_keeps_identifiers_in_json_and_csv(client, world, auth_headers):
    world["make_grant"](["xm", "dqdm", "nl"])
    token = auth_headers(world["consumer"])
    body = client.get(world["url"], params={"size": 2}, headers=token).json()
    assert set(body["items"][0]) == {"xm", "dqdm", "nl"}
    r = client.get(world["url"], params={"size": 2, "format": "csv"}, headers=token)
    assert r.status_code == 200
    assert r.text.lstrip("\ufeff").splitlines()[0] == "xm,dqdm,nl"
