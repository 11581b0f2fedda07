"""In a real headless Chromium: the bureau's admin opens the base database, asks where a value came from."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.helpers.basedb import P2
from tests.helpers.browser import css, wait

pytestmark = pytest.mark.browser


def test_provenance_of_a_value_in_the_browser(live_server, browser, db, assembled):
    asm, run, a, b = assembled
    base = live_server.url
    browser.get(base + "/basedb")
    wait(browser).until(lambda d: "/login" in d.current_url)
    css(browser, "#f-username").send_keys("bdb_admin")
    css(browser, "#f-password").send_keys(DEFAULT_PASSWORD)
    css(browser, "form[action='/login'] button[type=submit]").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#basedb-list"))
    assert "人口基础库" in css(browser, "#basedb-list").text
    css(browser, "#basedb-list a").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#provenance-form"))
    assert css(browser, "#stat-records").text == "5"
    css(browser, "#provenance-form input[name=key]").send_keys(P2)
    css(browser, "#provenance-form button[type=submit]").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#provenance-table"))
    row = css(browser, "#provenance-table tr[data-field=address]")
    assert "长沙市岳麓区麓山南路2号" in row.text and "常住人口登记" in row.text
    assert "长沙市岳麓区****" in row.text  # the other department's disagreeing value, masked
