"""从模板新建 in a real Chromium: a data officer starts a resource from a plugin's template and saves it."""

from __future__ import annotations

import pytest

from tests.helpers.browser import css, wait
from tests.web.test_browser import all_css, log_in

pytestmark = pytest.mark.browser


def test_a_data_officer_registers_a_resource_from_a_template(live_server, browser, make_user, departments):
    from selenium.webdriver.support.ui import Select

    make_user("zhao_lei", roles=["data_officer"], department=departments["police"], display_name="赵磊")
    base = live_server.url
    log_in(browser, base, "zhao_lei", start="/catalog/new")
    Select(css(browser, "#f-template")).select_by_value("population_resident")  # the built-in demo_city plugin's
    css(browser, "#template-pick button[type=submit]").click()
    wait(browser).until(lambda d: "template=population_resident" in d.current_url)
    assert css(browser, "#f-name").get_attribute("value") == "常住人口基本信息"
    names = [row.find_element("css selector", "input[name$='-name']").get_attribute("value")
             for row in all_css(browser, "[data-rows='items'] [data-row]")]
    assert names[:3] == ["citizen_id", "name", "sex"] and len(names) == 10
    css(browser, "#f-name").clear()
    css(browser, "#f-name").send_keys("常住人口基本信息（公安分局）")
    css(browser, ".resource-form button[type=submit]").click()
    wait(browser).until(lambda d: d.find_elements("css selector", ".flash-success, .flash-error"))
    assert all_css(browser, ".flash-success"), css(browser, "main").text[:300]  # not the form again, with an error
    main = css(browser, "main").text
    assert "常住人口基本信息（公安分局）" in main and "公民身份号码" in main and "草稿" in main
