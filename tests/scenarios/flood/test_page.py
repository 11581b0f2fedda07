"""The page 物联感知 › 防汛监测: its menu entry, its tables (what the reader may see), its data source line, the map's
GeoJSON, its English, its script, and a bad instant told on the page."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from tests.scenarios.flood.conftest import send


def _data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="flood-data">(.*?)</script>', html, re.S)[1])


def test_staff_see_their_stations_in_tables_and_on_the_map(client, db, flood, login):
    send(db, flood.gauge, "precipitation_5min", [(flood.end - timedelta(minutes=5 * k), 5.0) for k in range(12)])
    send(db, flood.level, "water_level", [(flood.end, 38.5)])
    login(client, flood.staff)
    page = client.get("/flood", params={"at": flood.end.isoformat()})
    assert page.status_code == 200
    html = page.text
    assert 'href="/flood"' in html and "防汛监测" in html and 'id="flood-source"' in html and "数据来源" in html
    assert "岳麓山雨量站" in html and "橘子洲雨量站" in html and "湘江长沙站" in html and "五一大道下穿通道" in html
    assert "暴雨" in html and "短时强降水" in html  # 60 mm in the hour
    assert "超保证" in html
    features = _data(html)["geojson"]["features"]
    assert sorted(f["properties"]["code"] for f in features) == ["RG-001", "RG-002", "WD-001", "WL-001"]
    assert next(f for f in features if f["properties"]["code"] == "WL-001")["properties"]["colour"] == "#dc2626"
    assert '<script type="module" src="/flood/static/flood.js">' in html
    script = client.get("/flood/static/flood.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "/static/vendor/maplibre/maplibre-gl.mjs" in script.text and "cdn" not in script.text.lower()


def test_a_visitor_sees_the_open_stations_in_english(client, db, flood):
    client.cookies.set("lang", "en")
    html = client.get("/flood?lang=en").text
    assert "Flood monitoring" in html and "Data source" in html and "Rain gauges" in html
    assert "岳麓山雨量站" in html and "湘江长沙站" not in html and "橘子洲雨量站" not in html


def test_a_bad_instant_is_told_on_the_page(client, flood):
    page = client.get("/flood", params={"at": "not-a-time"})
    assert page.status_code == 200 and 'id="flood-error"' in page.text and "ISO 8601" in page.text
