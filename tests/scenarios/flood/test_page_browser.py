"""The flood page in a real headless Chromium: a water bureau user opens it from 物联感知, the map draws every station,
the 24-hour chart shows the chosen station's hours, and the page fits a phone with no console error (the
Content-Security-Policy allows its script, the vendored MapLibre and ECharts)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers.browser import css, wait
from tests.scenarios.flood.conftest import send
from tests.web.test_browser import log_in

pytestmark = pytest.mark.browser


def test_from_the_menu_to_the_map_and_a_stations_chart(live_server, browser, db, flood):
    five = timedelta(minutes=5)
    # data up to now (the page's default instant): the last 6 hours of rain and of a rising river
    now = flood.end + timedelta(hours=2)
    send(db, flood.gauge, "precipitation_5min", [(now - k * five, 2.0) for k in range(72)])
    send(db, flood.level, "water_level", [(now - k * five, 36.5 - 0.002 * k) for k in range(72)])
    base = live_server.url
    browser.set_window_size(1280, 900)
    log_in(browser, base, "water_staff", start="/")
    css(browser, "details[data-nav-group='iot'] > summary").click()
    css(browser, "details[data-nav-group='iot'] a[href='/flood']").click()
    wait(browser).until(lambda d: "/flood" in d.current_url)
    assert "数据来源" in css(browser, "#flood-source").text
    wait(browser).until(lambda d: css(d, "#flood-map").get_attribute("data-ready") == "1")
    assert css(browser, "#flood-map").get_attribute("data-features") == "4"
    assert "超警戒" in css(browser, "#levels-table tbody").text
    # the first gauge's chart comes by itself: 6 hours of rain, 24 mm each
    wait(browser).until(lambda d: int(css(d, "#flood-chart").get_attribute("data-points") or 0) >= 6)
    assert css(browser, "#flood-chart-name").text == "岳麓山雨量站"
    level_row = css(browser, "#levels-table tbody tr")
    level_row.click()
    stream = level_row.get_attribute("data-stream")
    wait(browser).until(lambda d: css(d, "#flood-chart").get_attribute("data-stream") == stream)
    assert css(browser, "#flood-chart-name").text == "湘江长沙站"
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]

    browser.set_window_size(390, 844)
    browser.get(base + "/flood")
    wait(browser).until(lambda d: css(d, "#flood-map").get_attribute("data-ready") == "1")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
