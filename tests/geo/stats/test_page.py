"""The 专题统计 page: the form over the layers the caller may see, the table largest first with the downloads, the
errors on the page, English; and (marker `browser`) the choropleth drawn by MapLibre in headless Chromium."""

from __future__ import annotations

import json
import time

import pytest

from tests.geo.stats.test_stats import brute
from zhicheng.geo.layers import service as layers


def _ids(stat_layers):
    zones, layer = stat_layers
    return layers.collection_id(zones.code), layers.collection_id(layer.code)


def test_the_page_computes_and_lists_largest_first(client, stat_layers, layer_users, login):
    assert client.get("/geo/stats", follow_redirects=False).status_code in (302, 303, 401)
    login(client, layer_users["other"])
    zones_id, layer_id = _ids(stat_layers)
    blank = client.get("/geo/stats")
    assert blank.status_code == 200 and 'id="stats-form"' in blank.text and 'href="/geo/stats"' in blank.text
    assert f'<option value="{zones_id}"' in blank.text.split('id="stats-zones"')[1].split("</select>")[0]
    config = json.loads(blank.text.split('id="stats-config">')[1].split("</script>")[0])
    assert ["sum:sl", "合计：数量"] in config["measures"][layer_id]

    page = client.get("/geo/stats", params={"layer": layer_id, "zones": zones_id, "measure": "count"})
    assert page.status_code == 200 and 'id="stats-result"' in page.text
    body = page.text.split('<tbody>')[1].split("</tbody>")[0]
    want = brute("count")
    names = {"430102": "甲区", "430103": "乙区", "430104": "丙区"}
    expected = sorted(((names[c], int(v)) for c, v in want.items()), key=lambda t: -t[1])
    cells = [row.split("</td>")[0].split("<td>")[1] for row in body.split("<tr>")[1:]]
    assert cells == [n for n, _ in expected]
    assert f">{expected[0][1]}</td>" in body
    for fmt in ("xlsx", "csv", "geojson"):
        assert f"format={fmt}" in page.text
    link = page.text.split('data-src="')[1].split('"')[0].replace("&amp;", "&")
    g = client.get(link)
    assert g.status_code == 200 and len(g.json()["features"]) == 3
    area = client.get("/geo/stats", params={"layer": layer_id, "zones": zones_id, "measure": "area"})
    assert "m²" in area.text and "EPSG:4547" in area.text


def test_bad_choices_are_said_on_the_page(client, stat_layers, layer_users, login):
    login(client, layer_users["other"])
    zones_id, layer_id = _ids(stat_layers)
    for params in ({"layer": layer_id, "zones": zones_id, "measure": "sum:mc"},
                   {"layer": "nope", "zones": zones_id},
                   {"layer": layer_id, "zones": zones_id, "measure": "median"}):
        page = client.get("/geo/stats", params=params)
        assert page.status_code == 200 and 'id="stats-error"' in page.text and 'id="stats-result"' not in page.text
    en = client.get("/geo/stats", params={"layer": layer_id, "zones": zones_id, "measure": "sum:mc", "lang": "en"})
    assert "Thematic statistics" in en.text and "Download the whole table" not in en.text
    assert "Measure" in en.text and "专题统计" not in en.text.split("<main")[1].split("</form>")[0]


@pytest.mark.browser
def test_the_choropleth_is_drawn(live_server, browser, stat_layers, layer_users):
    from tests.web.test_browser import log_in

    zones_id, layer_id = _ids(stat_layers)
    log_in(browser, live_server.url, layer_users["officer"].username,
           start=f"/geo/stats?layer={layer_id}&zones={zones_id}&measure=count")
    deadline = time.monotonic() + 60
    state = None
    while time.monotonic() < deadline:
        state = browser.execute_script(
            "const el = document.getElementById('stats-map'); if (!el || el.dataset.ready !== '1') return null;"
            "const m = window.statsMap; return {features: el.dataset.features, classes: +el.dataset.classes,"
            "drawn: m.queryRenderedFeatures({layers: ['fill']}).length,"
            "legend: document.querySelectorAll('#stats-legend span').length};")
        if state and state["drawn"]:
            break
        time.sleep(0.5)
    assert state and state["features"] == "3" and state["drawn"] >= 3, state
    assert state["legend"] == state["classes"] + 1  # the zero class, then one per quantile class
    # the measure list follows the layer picked: the zones layer has no numeric item to sum
    browser.execute_script(f"const s = document.getElementById('stats-layer'); s.value = '{zones_id}';"
                           "s.dispatchEvent(new Event('change'));")
    options = browser.execute_script("return [...document.querySelectorAll('#stats-measure option')].map(o => o.value)")
    assert options == ["count", "area", "length"]
