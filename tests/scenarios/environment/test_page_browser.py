"""The calculators page in a real headless Chromium: a staff member opens it from 物联感知, computes an AQI, and the
page fits a phone without a console error (the Content-Security-Policy allows its styles)."""

from __future__ import annotations

import pytest

from tests.helpers.browser import css, wait
from tests.web.test_browser import log_in

pytestmark = pytest.mark.browser


def test_from_the_menu_to_an_aqi_on_a_desktop_and_a_phone(live_server, browser, make_user, departments):
    make_user("li_na", department=departments["data_bureau"], display_name="李娜")
    base = live_server.url
    browser.set_window_size(1280, 900)
    log_in(browser, base, "li_na", start="/")
    css(browser, "details[data-nav-group='iot'] > summary").click()
    css(browser, "details[data-nav-group='iot'] a[href='/environment/calculators']").click()
    wait(browser).until(lambda d: "/environment/calculators" in d.current_url)
    form = css(browser, "#form-aqi-hour")
    for name, value in (("pm25", "120"), ("pm10", "180"), ("o3", "60")):
        form.find_element("css selector", f"input[name='{name}']").send_keys(value)
    form.find_element("css selector", "button[type='submit']").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#aqi-result"))
    assert css(browser, "#aqi-value").text == "AQI 158"  # PM2.5 120: 157.14, rounded up
    assert css(browser, "#aqi-category").text == "中度污染"
    swatch = css(browser, "#aqi-result .env-swatch")
    assert swatch.value_of_css_property("background-color") in ("rgba(255, 0, 0, 1)", "rgb(255, 0, 0)")
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]

    browser.set_window_size(390, 844)
    browser.get(base + "/environment/calculators?calc=water&ph=7&do=5.5&nh3n=1.2")
    assert css(browser, "#water-class").text == "IV类"
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
