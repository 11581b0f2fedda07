"""The portal anonymously: home, search with facets, a dataset page with its masked preview, downloads."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook
from sqlalchemy import func, select

from zhicheng.opendata.stats.models import UsageDaily

HTML = {"Accept": "text/html"}


def test_home_and_search_anonymously(client, open_data):
    r = client.get("/open", headers=HTML)
    assert r.status_code == 200, r.text
    assert "社区人口统计" in r.text and "内部人口库" not in r.text
    r = client.get("/open/datasets", params={"q": "人口统计"}, headers=HTML)
    assert r.status_code == 200
    assert "社区人口统计" in r.text and "派出所位置" not in r.text
    r = client.get("/open/datasets", params={"catalog_class": "theme"}, headers=HTML)
    assert "派出所位置" in r.text and "社区人口统计" not in r.text
    r = client.get("/open/datasets", params={"open_type": "conditional"}, headers=HTML)
    assert "重点人员信息" in r.text and "社区人口统计" not in r.text


def test_dataset_page_masks_and_counts_a_view(client, db, open_data):
    free = open_data["free"]
    r = client.get(f"/open/datasets/{free.id}", headers=HTML)
    assert r.status_code == 200, r.text
    first_id = open_data["rows"][0][0]
    assert first_id not in r.text and first_id[:4] + "*" * 10 + first_id[-4:] in r.text  # as every door masks
    assert "张1三" not in r.text and "岳麓街道" in r.text
    assert "download.csv" in r.text and "download.geojson" not in r.text
    views = db.scalar(select(func.sum(UsageDaily.views)).where(UsageDaily.resource_id == free.id))
    assert views == 1


def test_spatial_dataset_has_a_map_and_geojson(client, open_data):
    geo = open_data["geo"]
    r = client.get(f"/open/datasets/{geo.id}", headers=HTML)
    assert r.status_code == 200
    assert 'id="map-preview"' in r.text and "<circle" in r.text
    r = client.get(f"/open/datasets/{geo.id}/download.geojson")
    assert r.status_code == 200
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and len(fc["features"]) == 2
    feat = fc["features"][0]
    assert feat["geometry"]["type"] == "Point"
    assert feat["properties"]["lxdh"] == "138****8000"


def test_conditional_page_invites_to_apply(client, open_data):
    r = client.get(f"/open/datasets/{open_data['cond'].id}", headers=HTML)
    assert r.status_code == 200
    assert "登录后申请" in r.text and 'id="preview"' not in r.text
    r = client.get(f"/open/datasets/{open_data['cond'].id}/download.csv")
    assert r.status_code == 401


def test_downloads_stream_every_format_masked(client, db, open_data):
    free, rows = open_data["free"], open_data["rows"]
    r = client.get(f"/open/datasets/{free.id}/download.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert table[0] == ["公民身份号码", "姓名", "所属街道", "人数"] and len(table) == 1 + len(rows)  # labels
    assert all("*" in line[0] and "*" in line[1] for line in table[1:])
    assert table[1][2] == "岳麓街道" and table[1][3] == "101"

    r = client.get(f"/open/datasets/{free.id}/download.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content), read_only=True).active
    sheet = [list(row) for row in ws.iter_rows(values_only=True)]
    assert sheet[0] == ["公民身份号码", "姓名", "所属街道", "人数"] and len(sheet) == 1 + len(rows)
    assert all("*" in row[0] and "*" in row[1] for row in sheet[1:])

    r = client.get(f"/open/datasets/{free.id}/download.json")
    data = json.loads(r.content)
    assert len(data) == len(rows) and data[0]["rs"] == 101 and "*" in data[0]["sfzh"]
    assert rows[0][0] not in r.text

    downloads = db.scalar(select(func.sum(UsageDaily.downloads)).where(UsageDaily.resource_id == free.id))
    assert downloads == 3


def test_bad_input_is_a_clear_error(client, open_data):
    free = open_data["free"]
    assert client.get(f"/open/datasets/{free.id}/download.exe").status_code == 422
    assert client.get(f"/open/datasets/{free.id}/download.geojson").status_code == 422
    assert client.get(f"/open/datasets/{open_data['closed'].id}", headers=HTML).status_code == 404
    for bad in ("999999", "0", "-1", "abc", "99999999999999999999"):
        r = client.get(f"/open/datasets/{bad}", headers=HTML)
        assert r.status_code in (404, 422), (bad, r.status_code)
        assert "Traceback" not in r.text
    r = client.get("/open/datasets", params={"department": "x' OR 1=1 --"})
    assert r.status_code == 422 and r.json()["field"] == "department"
    r = client.get("/open/datasets", params={"open_type": "none"})
    assert r.status_code == 422
    for q in ('"*^:()', "<script>alert(1)</script>", "人口 OR 1=1", "NEAR(a b)", "a" * 200):
        r = client.get("/open/datasets", params={"q": q}, headers=HTML)
        assert r.status_code == 200, (q, r.text[:300])
        assert "<script>alert(1)</script>" not in r.text
    assert client.get("/open/datasets", params={"q": "a" * 201}).status_code == 422


def test_openapi_lists_the_portal_api(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/v1/open/account/register",
        "/api/v1/open/applications",
        "/api/v1/open/keys",
        "/api/v1/open/comments",
        "/api/v1/open/requests",
        "/api/v1/open/apps",
        "/api/v1/open/stats",
    ):
        assert path in paths, path
