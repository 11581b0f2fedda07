"""The staff's story in a real headless Chromium: log in, search and filter, open, register, submit, publish."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.helpers.browser import css, wait

pytestmark = pytest.mark.browser
WAIT = 15


def all_css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def log_in(driver, base: str, username: str, start: str = "/catalog") -> None:
    """Open `start` (anonymous: sent to the login page), log in through the form, land back on `start`."""
    if start == "/":  # the home page welcomes visitors; its login button leads to the form
        driver.get(base + "/")
        css(driver, ".hero a[href='/login']").click()
    else:
        driver.get(base + start)
    wait(driver).until(lambda d: "/login" in d.current_url)
    css(driver, "#f-username").send_keys(username)
    css(driver, "#f-password").send_keys(DEFAULT_PASSWORD)
    css(driver, "form[action='/login'] button[type=submit]").click()
    wait(driver).until(lambda d: d.current_url.rstrip("/").endswith(start.rstrip("/")) and "/login" not in d.current_url)


def log_out(driver) -> None:
    if not css(driver, ".nav-user .link-button").is_displayed():  # phone layout: open the menu first
        css(driver, ".nav-toggle").click()
    css(driver, ".nav-user .link-button").click()
    wait(driver).until(lambda d: all_css(d, "a.nav-login"))


def results_text(driver) -> str:
    return css(driver, "#results").text


@pytest.fixture
def story(db, make_user, departments, make_resource):
    """Two published resources of two departments, and the people of the story."""
    make_resource("常住人口基本信息", state="published")
    make_resource("城市道路桥梁台账", department=departments["housing"], state="published",
                  catalog_class="theme", subclass="urban_rural", summary="全市城市道路与桥梁的基础台账。",
                  tags=["道路"], items=[{"name": "dlmc", "label": "道路名称", "type": "string", "length": 100}])
    return {
        "officer": make_user("li_qiang", roles=["data_officer"], department=departments["police"],
                             display_name="李强"),
        "admin": make_user("wang_fang", roles=["admin"], department=departments["data_bureau"],
                           display_name="王芳"),
    }


def test_search_filter_register_submit_and_publish(live_server, browser, story, tmp_path):
    base = live_server.url
    log_in(browser, base, "li_qiang")
    assert browser.find_element("css selector", "html").get_attribute("lang") == "zh-CN"

    # search in Chinese: htmx updates the results as the user types
    box = css(browser, "#q")
    box.send_keys("人口")
    wait(browser).until(lambda d: "城市道路桥梁台账" not in results_text(d) and "常住人口基本信息" in results_text(d))
    assert "q=" in browser.current_url  # the address follows the search (back button, sharing)
    box.clear()
    box.submit()
    wait(browser).until(lambda d: "城市道路桥梁台账" in results_text(d))

    # tick a facet: only theme resources stay
    css(browser, "input[name='catalog_class'][value='theme']").click()
    wait(browser).until(lambda d: "常住人口基本信息" not in results_text(d))
    assert "城市道路桥梁台账" in results_text(browser)
    browser.save_screenshot(str(tmp_path / "catalog.png"))

    # a request the server refuses is explained on the page, not swallowed
    browser.execute_script("const box = document.querySelector(\"input[name='catalog_class']:not(:checked)\");"
                           "box.value = 'bogus'; box.click();")
    wait(browser).until(lambda d: css(d, "#htmx-error").is_displayed())
    assert "bogus" in css(browser, "#htmx-error").text and "目录分类" in css(browser, "#htmx-error").text
    browser.get(base + "/catalog?catalog_class=theme")

    # open a resource
    browser.find_element("link text", "城市道路桥梁台账").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#items-title"))
    assert "道路名称" in css(browser, "main").text

    # register a resource through the form, adding a data item row
    browser.get(base + "/catalog/new")
    css(browser, "#f-name").send_keys("机动车违法记录")
    from selenium.webdriver.support.ui import Select

    # the subclass offers only the chosen class's groups
    Select(css(browser, "#f-catalog_class")).select_by_value("base")
    Select(css(browser, "#f-subclass")).select_by_value("population")
    assert css(browser, "optgroup[data-class='theme']").get_property("disabled")
    Select(css(browser, "#f-catalog_class")).select_by_value("department")
    assert css(browser, "#f-subclass").get_property("value") == ""  # a base subclass no longer fits
    css(browser, "#f-summary").send_keys("交警部门记录的机动车交通违法行为，含地点与处理结果。")
    Select(css(browser, "#f-format")).select_by_value("database")
    Select(css(browser, "#f-update_cycle")).select_by_value("daily")
    Select(css(browser, "#f-share_type")).select_by_value("conditional")
    css(browser, "#f-share_condition").send_keys("用于信用评价，经审批后共享")
    rows = all_css(browser, "[data-rows='items'] [data-row]")
    assert len(rows) == 2
    rows[1].find_element("css selector", "[data-remove-row]").click()
    css(browser, "[data-add-row='items']").click()
    rows = all_css(browser, "[data-rows='items'] [data-row]")
    assert len(rows) == 2
    for row, (name, label) in zip(rows, [("hphm", "号牌号码"), ("wfdd", "违法地点")], strict=True):
        row.find_element("css selector", "input[name$='-name']").send_keys(name)
        row.find_element("css selector", "input[name$='-label']").send_keys(label)
    rows[0].find_element("css selector", "input[name$='-personal']").click()
    Select(rows[0].find_element("css selector", "select[name$='-sensitivity']")).select_by_value("important")
    browser.save_screenshot(str(tmp_path / "form.png"))
    css(browser, ".resource-form button[type=submit]").click()
    wait(browser).until(lambda d: d.find_elements("css selector", ".flash-success"))
    main = css(browser, "main").text
    assert "机动车违法记录" in main and "号牌号码" in main and "违法地点" in main
    resource_url = browser.current_url

    # submit it for review
    browser.find_element("xpath", "//button[normalize-space()='提交审核']").click()
    wait(browser).until(lambda d: "待审核" in css(d, ".page-header").text)
    log_out(browser)

    # the admin publishes it from the review queue
    log_in(browser, base, "wang_fang", start="/catalog/review")
    card = css(browser, ".review-card")
    assert "机动车违法记录" in card.text and "含个人信息 1 项" in card.text
    card.find_element("css selector", "button[value='publish']").click()
    wait(browser).until(lambda d: "目前没有待审核" in css(d, "main").text)
    browser.get(resource_url)
    assert "已发布" in css(browser, ".page-header").text
    browser.save_screenshot(str(tmp_path / "detail.png"))


def test_language_switch_and_phone_navigation(live_server, browser, story, tmp_path):
    base = live_server.url
    log_in(browser, base, "wang_fang", start="/")
    nav_text = browser.execute_script("return document.getElementById('site-nav').textContent")  # menus closed
    assert "审核" in nav_text and "部门与用户" in nav_text

    browser.find_element("css selector", ".lang-switch a[lang='en']").click()
    wait(browser).until(lambda d: d.find_element("css selector", "html").get_attribute("lang") == "en")
    assert "Data catalog" in browser.execute_script("return document.getElementById('site-nav').textContent")
    assert "Published resources" in css(browser, "main").text
    browser.get(base + "/catalog")
    assert "Base resources" in css(browser, ".facets").text
    browser.find_element("css selector", ".lang-switch a[lang='zh-CN']").click()
    wait(browser).until(lambda d: d.find_element("css selector", "html").get_attribute("lang") == "zh-CN")
    assert browser.current_url.endswith("/catalog") and "数据目录" in css(browser, "h1").text

    # phone width: the navigation folds behind the menu button and opens on demand
    browser.set_window_size(390, 844)
    browser.get(base + "/")
    nav, toggle = css(browser, "#site-nav"), css(browser, ".nav-toggle")
    assert toggle.is_displayed() and not nav.is_displayed()
    toggle.click()
    wait(browser).until(lambda d: css(d, "#site-nav").is_displayed())
    assert toggle.get_attribute("aria-expanded") == "true"
    css(browser, "details[data-nav-group='data'] > summary").click()  # the group opens in place
    wait(browser).until(lambda d: css(d, "#site-nav a[href='/catalog']").is_displayed())
    path = tmp_path / "phone-nav.png"
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 5000

    # on a phone the results come first and the filters follow, one tap away
    browser.get(base + "/catalog")
    assert css(browser, "#results").location["y"] < css(browser, "#filters").location["y"]
    assert css(browser, "#results a[href='#filters']").is_displayed()
    browser.save_screenshot(str(tmp_path / "phone-catalog.png"))

    # keyboard: the skip link is the first stop and takes the focus to the content
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(base + "/about")
    ActionChains(browser).send_keys(Keys.TAB).perform()
    focused = browser.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link", focused.get_attribute("outerHTML")
    assert focused.is_displayed()  # visible once focused
    focused.send_keys(Keys.ENTER)
    assert browser.switch_to.active_element.get_attribute("id") == "main"
