"""The one map page: the layer list the caller may see, the menu entry, English strings, the empty glyph ranges;
and (marker `browser`) headless Chromium opens /map on a live server and MapLibre renders the city's tiles."""

from __future__ import annotations

import json
import time

import pytest

from zhicheng.geo.layers import service as layers


def test_map_page_lists_the_layers_and_is_in_the_menu(client, parks_layer, closed_layer, layer_users, login):
    assert client.get("/map", follow_redirects=False).status_code in (302, 303, 401)
    login(client, layer_users["other"])
    page = client.get("/map")
    assert page.status_code == 200
    assert 'href="/map"' in page.text and "一张图" in page.text
    config = json.loads(page.text.split('id="onemap-config">')[1].split("</script>")[0])
    ids = [entry["id"] for entry in config["layers"]]
    assert layers.collection_id(parks_layer.code) in ids and layers.collection_id(closed_layer.code) not in ids
    assert config["layers"][0]["kind"] == "polygon"
    assert "/static/vendor/maplibre/maplibre-gl.mjs" not in page.text  # the page's module imports it
    en = client.get("/map?lang=en")
    assert "Address search" in en.text and "地址搜索" not in en.text
    for phrase in ("Measure distance", "Draw an area for statistics", "Version compare", "Export PNG"):
        assert phrase in en.text
    assert "/static/vendor/turf/turf.min.js" in page.text and client.get("/static/vendor/turf/turf.min.js").status_code == 200


def test_glyph_ranges_are_empty_and_bounded(client):
    r = client.get("/geo/map/glyphs/Noto%20Sans%20Regular/0-255.pbf")
    assert r.status_code == 200 and r.content == b""
    assert client.get("/geo/map/glyphs/x/../../etc.pbf").status_code == 404


@pytest.mark.browser
def test_the_map_renders_the_citys_tiles(live_server, browser, parks_layer, layer_users, layer_actors, db,
                                         make_resource, departments, tmp_path):
    """A layer toggled on renders its tile features; the base map's boundaries get Chinese labels with no glyph
    server (the glyph ranges are empty: the browser's own font draws the ideographs)."""
    from tests.geo.layers.conftest import ITEMS, PARKS, write_geojson
    from tests.web.test_browser import log_in
    from zhicheng.catalog.datasets import service as datasets

    res = make_resource("街道近似边界", department=departments["housing"], state="published",
                        actor=layer_actors["officer"], items=ITEMS, open_type="unconditional", spatial=True)
    path = tmp_path / "streets.geojson"
    write_geojson(path, [p for p in PARKS if p[6]["type"] == "Polygon"])
    assert datasets.import_file(db, actor=layer_actors["officer"], resource_id=res.id, path=path,
                                filename="streets.geojson").ok
    db.commit()
    log_in(browser, live_server.url, layer_users["officer"].username, start="/map")
    box = browser.find_element("css selector", f"#lyr-{layers.collection_id(parks_layer.code)}")
    box.click()
    rendered = labels = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rendered, labels = browser.execute_script(
            "const m = window.onemap; if (!m || !m.loaded()) return [-1, -1];"
            "m.jumpTo({center: [112.96, 28.19], zoom: 12});"
            "const all = m.queryRenderedFeatures();"
            "return [all.filter(f => f.layer.id.startsWith('ov-')).length,"
            "        all.filter(f => f.layer.id === 'boundaries-label').length];")
        if rendered > 0 and labels > 0:
            break
        time.sleep(0.5)
    logs = [e["message"] for e in browser.get_log("browser")] if hasattr(browser, "get_log") else []
    assert rendered > 0 and labels > 0, (rendered, labels, logs[-5:])


def _wait_map(browser):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if browser.execute_script("return !!(window.onemap && window.onemap.loaded() && window.onemapTools"
                                  " && window.onemap.getSource('tool'));"):
            return
        time.sleep(0.3)
    raise AssertionError("the map did not load")


@pytest.mark.browser
def test_measure_and_draw_statistics(live_server, browser, parks_layer, layer_users):
    """Distance and area are geodesic (Turf); the drawn polygon counts the checked layer's features through OGC API
    Features (CQL2 S_INTERSECTS, numberMatched) — the same number the API gives."""
    from tests.web.test_browser import log_in

    log_in(browser, live_server.url, layer_users["officer"].username, start="/map")
    _wait_map(browser)
    cid = layers.collection_id(parks_layer.code)
    browser.find_element("css selector", f"#lyr-{cid}").click()
    # one degree of longitude along 28°N is about 98.3 km; a 0.01° square there about 1.09 km²
    m = browser.execute_script(
        "const t = window.onemapTools; t.setMode('distance'); t.addPoint([112.0, 28.0]); t.addPoint([113.0, 28.0]);"
        "return t.finish();")
    assert 98000 < m["length_m"] < 98700 and m["points"] == 2
    m = browser.execute_script(
        "const t = window.onemapTools; t.setMode('area');"
        "[[112.95, 28.18], [112.96, 28.18], [112.96, 28.19], [112.95, 28.19]].forEach(p => t.addPoint(p));"
        "return t.finish();")
    assert 1.0e6 < m["area_m2"] < 1.2e6 and m["perimeter_m"] > 4000
    ring = [[112.0, 27.5], [114.5, 27.5], [114.5, 29.0], [112.0, 29.0]]
    s = browser.execute_async_script(
        "const done = arguments[arguments.length - 1]; const t = window.onemapTools; t.setMode('stats');"
        f"{json.dumps(ring)}.forEach(p => t.addPoint(p)); t.finish().then(done, e => done(String(e)));")
    assert isinstance(s, dict) and s["area_m2"] > 0, s
    assert isinstance(s["counts"].get(cid), int) and s["counts"][cid] > 0, s
    text = browser.find_element("css selector", "#onemap-tool-result").text
    assert str(s["counts"][cid]) in text


@pytest.mark.browser
def test_version_compare_and_png_export(live_server, browser, layer_users, layer_actors, db, make_resource,
                                        departments, tmp_path):
    """A layer with two versions is in the compare picker; compare draws the changes coloured by kind and counts
    them; the PNG export gives a non-empty image blob."""
    from tests.geo.changes.conftest import ITEMS as SURVEY_ITEMS
    from tests.geo.changes.conftest import _two_versions
    from tests.web.test_browser import log_in

    res = _two_versions(db, make_resource, departments, layer_actors, tmp_path, "普查点位", SURVEY_ITEMS, True)
    db.commit()
    cid = layers.collection_id(res.code)
    log_in(browser, live_server.url, layer_users["officer"].username, start="/map")
    _wait_map(browser)
    options = browser.execute_script(
        "return [[...document.querySelectorAll('#onemap-compare-layer option')].map(o => o.value),"
        " [...document.querySelectorAll('#onemap-compare-from option')].map(o => o.value)];")
    assert cid in options[0] and options[1] == ["1", "2"]
    counts = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"window.onemapCompare({json.dumps(cid)}, 1, 2).then(done, e => done(String(e)));")
    report = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"fetch('/api/v1/geo/layers/{cid}/changes?from=1&to=2').then(r => r.json()).then(done, e => done(String(e)));")
    assert isinstance(counts, dict) and counts["added"] >= 1 and counts["removed"] >= 1, counts
    assert {k: counts[k] for k in ("added", "removed", "moved", "changed")} == {
        k: report["counts"][k] for k in ("added", "removed", "moved", "changed")}, (counts, report)
    drawn = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not drawn:
        drawn = browser.execute_script("const m = window.onemap; return m.getLayer('cmp-point') ?"
                                       " m.queryRenderedFeatures({layers: ['cmp-point']}).length : 0;")
        time.sleep(0.3)
    assert drawn > 0
    blob = browser.execute_async_script(
        "const done = arguments[arguments.length - 1]; window.onemapExport().then(done, e => done(String(e)));")
    assert isinstance(blob, dict) and blob["type"] == "image/png" and blob["size"] > 1000, blob
