"""The app shell in a real headless Chromium: grouped navigation on a desktop and a phone, offline API docs."""

from __future__ import annotations

import json

import pytest

from tests.helpers.browser import css, wait
from tests.web.test_browser import all_css, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def admin(make_user, departments):
    return make_user("wang_fang", roles=["admin"], department=departments["data_bureau"], display_name="王芳")


def test_grouped_navigation_fits_one_row_at_1280_and_opens_from_the_menu_on_a_phone(live_server, browser, admin):
    base = live_server.url
    browser.set_window_size(1280, 900)
    log_in(browser, base, "wang_fang", start="/")
    tops = all_css(browser, "#site-nav .nav-main > li, #site-nav .nav-user > li")
    labels = [t.text for t in tops]
    assert labels[:7] == ["首页", "开放数据", "数据中心", "一张图", "物联感知", "系统管理", "关于"], labels
    rows = {browser.execute_script("return arguments[0].offsetTop", t) for t in tops}
    assert len(rows) == 1, f"the bar wraps into {len(rows)} rows at 1280 px: {labels}"

    # a group is a drop-down menu: closed, opened by the keyboard, aria-expanded follows, Escape closes it
    summary = css(browser, "details[data-nav-group='data'] > summary")
    assert summary.get_attribute("aria-expanded") == "false"
    assert not css(browser, "details[data-nav-group='data'] a[href='/catalog/review']").is_displayed()
    browser.execute_script("arguments[0].focus()", summary)
    from selenium.webdriver.common.keys import Keys

    summary.send_keys(Keys.ENTER)
    wait(browser).until(lambda d: summary.get_attribute("aria-expanded") == "true")
    review = css(browser, "details[data-nav-group='data'] a[href='/catalog/review']")
    assert review.is_displayed()
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(browser).until(lambda d: summary.get_attribute("aria-expanded") == "false")
    assert not review.is_displayed()
    # opening one group closes the other; the page's own group is marked
    summary.click()
    css(browser, "details[data-nav-group='system'] > summary").click()
    wait(browser).until(lambda d: summary.get_attribute("aria-expanded") == "false")
    css(browser, "details[data-nav-group='system'] a[href='/admin/departments']").click()
    wait(browser).until(lambda d: "/admin" in d.current_url)
    assert "nav-current" in css(browser, "details[data-nav-group='system'] > summary").get_attribute("class")

    # English labels come from en.po
    browser.get(base + "/?lang=en")
    assert "Data centre" in css(browser, "#site-nav").text and "System" in css(browser, "#site-nav").text

    # a phone: the bar folds behind the menu button, which opens the groups
    browser.set_window_size(390, 844)
    browser.get(base + "/")
    toggle = css(browser, ".nav-toggle")
    assert toggle.is_displayed() and not css(browser, "#site-nav").is_displayed()
    toggle.click()
    group = css(browser, "details[data-nav-group='data'] > summary")
    wait(browser).until(lambda d: group.is_displayed())
    group.click()
    link = css(browser, "details[data-nav-group='data'] a[href='/catalog']")
    wait(browser).until(lambda d: link.is_displayed())
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390
    link.click()
    wait(browser).until(lambda d: d.current_url.endswith("/catalog"))


def test_api_docs_render_the_operations_without_any_request_off_the_site(live_server, browser):
    base = live_server.url
    browser.get(base + "/api/docs")
    wait(browser, 30).until(lambda d: len(all_css(d, ".opblock")) > 5)
    assert "智城 zhicheng" in css(browser, ".info .title").text
    # Swagger UI renders the sections as they scroll into view: walk down the page a screen at a time (round
    # again from the top) until the health operation, in a section in the middle of the document, is there
    step = ("window.scrollY + window.innerHeight >= document.body.scrollHeight ? window.scrollTo(0, 0)"
            " : window.scrollBy(0, window.innerHeight); return document.body.textContent")
    wait(browser, 90).until(lambda d: "/api/v1/health" in d.execute_script(step))
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    outside = [u for u in urls if not u.startswith(base)]
    assert not outside, f"requests off the site: {outside}"
    assert any(u.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for u in urls)
    # the document at both addresses; the favicon where browsers look
    browser.get(base + "/openapi.json")
    doc = json.loads(css(browser, "body").text)
    assert doc["info"]["title"] == "智城 zhicheng" and "/api/v1/catalog/identifier" in doc["paths"]
    browser.get(base + "/favicon.ico")
    assert css(browser, "svg")


def test_register_form_fits_a_phone_and_proposes_identifiers_from_chinese_names(live_server, browser, make_user,
                                                                               departments):
    make_user("li_qiang", roles=["data_officer"], department=departments["police"], display_name="李强")
    base = live_server.url
    browser.set_window_size(390, 844)
    log_in(browser, base, "li_qiang", start="/catalog/new")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the register form is {width} px wide on a 390 px phone"
    from selenium.webdriver.common.keys import Keys

    rows = all_css(browser, "[data-rows='items'] [data-row]")
    rows[0].find_element("css selector", "input[name$='-label']").send_keys("身份证号", Keys.TAB)
    first = rows[0].find_element("css selector", "input[name$='-name']")
    wait(browser).until(lambda d: first.get_attribute("value") == "sfzh")
    rows[1].find_element("css selector", "input[name$='-label']").send_keys("司法证号", Keys.TAB)
    second = rows[1].find_element("css selector", "input[name$='-name']")
    wait(browser).until(lambda d: second.get_attribute("value") == "sfzh_2")  # unique within the resource
    # the user's own identifier stays when the name changes
    second.clear()
    second.send_keys("sfzjhm")
    label = rows[1].find_element("css selector", "input[name$='-label']")
    label.send_keys("码", Keys.TAB)
    first.click()
    assert second.get_attribute("value") == "sfzjhm"
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_all_six_groups_fit_one_row_at_1280(app, live_server, browser, admin, lang):
    """The coming domains (map, IoT, events, cockpit) register their entries; the bar still fits one row."""
    for group, label, href in [("map", "地图", "/map"), ("iot", "设备", "/iot/things"),
                               ("governance", "事件", "/events"), ("operations", "驾驶舱", "/cockpit")]:
        app.state.navigation.register_nav(group, label, href)
    base = live_server.url
    browser.set_window_size(1280, 900)
    log_in(browser, base, "wang_fang", start="/")
    if lang == "en":
        browser.get(base + "/?lang=en")
    groups = all_css(browser, "#site-nav details[data-nav-group]")
    assert [g.get_attribute("data-nav-group") for g in groups] == [
        "data", "map", "iot", "governance", "operations", "system"]
    tops = all_css(browser, "#site-nav .nav-main > li, #site-nav .nav-user > li")
    rows = {browser.execute_script("return arguments[0].offsetTop", t) for t in tops}
    assert len(rows) == 1, [t.text for t in tops]
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 1280
