"""In a real headless Chromium: a data officer uploads a bad file, reads the report, fixes it, sees version 1."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.helpers.browser import css
from tests.helpers.browser import wait as browser_wait

from .conftest import person, write_csv

pytestmark = pytest.mark.browser
WAIT = 120  # an import runs in the background while the page polls it


def wait(driver):
    return browser_wait(driver, WAIT)


def finished(driver):
    found = driver.find_elements("css selector", "#import-job")
    return found and found[0].get_attribute("data-state") in ("succeeded", "failed")


def upload(browser, live_server, resource_id: int, path) -> None:
    browser.get(f"{live_server.url}/catalog/{resource_id}/import")
    css(browser, "#f-file").send_keys(str(path))
    css(browser, "#import-form button[type=submit]").click()
    wait(browser).until(lambda d: "/imports/" in d.current_url)
    wait(browser).until(finished)  # the page polls the job with htmx until it ends


def test_officer_imports_through_the_pages(live_server, browser, people, officers, tmp_path):
    browser.get(live_server.url + "/login")
    css(browser, "#f-username").send_keys(officers["police_user"].username)
    css(browser, "#f-password").send_keys(DEFAULT_PASSWORD)
    css(browser, "form[action='/login'] button[type=submit]").click()
    wait(browser).until(lambda d: "/login" not in d.current_url)

    rows = [person(n) for n in range(1, 20_001)]
    rows[99][0] = "430104199913329999"  # line 101: no such birth date
    rows[19_999][1] = ""  # line 20001: the name is required
    upload(browser, live_server, people.id, write_csv(tmp_path / "人口.csv", rows))
    assert css(browser, "#import-job").get_attribute("data-state") == "failed"
    cells = [[td.text for td in tr.find_elements("css selector", "td")]
             for tr in browser.find_elements("css selector", "#import-errors tbody tr")]
    assert [(c[0], c[1]) for c in cells] == [("101", "公民身份号码"), ("20001", "姓名")]  # as the file names them
    assert "必填项为空" in cells[1][3]

    rows[99], rows[19_999] = person(100), person(20_000)
    upload(browser, live_server, people.id, write_csv(tmp_path / "人口.csv", rows))
    assert "已导入 20000 行，生成第 1 版" in css(browser, "#import-result").text
    css(browser, "#import-job a.btn-primary").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#rows tbody tr"))
    first = [td.text for td in browser.find_elements("css selector", "#rows tbody tr:first-child td")]
    assert first[1] == person(1)[0] and first[2] == person(1)[1]


def test_a_messy_sheet_goes_through_the_mapping_step(live_server, browser, people, officers, tmp_path):
    """A title, a blank row, the header on row 3, a numbering column and 身份证号 for 公民身份号码: the officer
    checks the header row (changing it redraws the step with htmx), picks the ID column, and imports."""
    from selenium.webdriver.support.ui import Select

    from .conftest import HEADER_LABELS
    from .test_messy_files import messy_xlsx

    browser.set_window_size(390, 844)  # a phone
    browser.get(live_server.url + "/login")
    css(browser, "#f-username").send_keys(officers["police_user"].username)
    css(browser, "#f-password").send_keys(DEFAULT_PASSWORD)
    css(browser, "form[action='/login'] button[type=submit]").click()
    wait(browser).until(lambda d: "/login" not in d.current_url)

    rows = [[str(n), *person(n)] for n in range(1, 31)]
    path = messy_xlsx(tmp_path / "人口名单.xlsx", rows, header=["序号", "身份证号", *HEADER_LABELS[1:]])
    browser.get(f"{live_server.url}/catalog/{people.id}/import")
    css(browser, "#f-file").send_keys(str(path))
    css(browser, "#import-form button[type=submit]").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#mapping-form"))

    header_row = Select(css(browser, "#f-header-row"))
    assert header_row.first_selected_option.get_attribute("value") == "3"  # found below the title
    cells = [td.text for td in browser.find_elements("css selector", "#preview-rows tbody tr:first-child td")]
    assert cells[:3] == ["4", "1", person(1)[0]]
    assert Select(css(browser, "#map-xm")).first_selected_option.text.endswith("姓名")
    form = css(browser, "#mapping-form")
    assert form.rect["x"] + form.rect["width"] <= 390  # fits the phone's width (wide tables scroll inside)

    header_row.select_by_value("1")  # the title row: the step is redrawn for it
    wait(browser).until(lambda d: Select(css(d, "#map-xm")).first_selected_option.get_attribute("value") == "xm=")
    Select(css(browser, "#f-header-row")).select_by_value("3")
    wait(browser).until(lambda d: Select(css(d, "#map-xm")).first_selected_option.get_attribute("value") == "xm=3")

    Select(css(browser, "#map-sfzh")).select_by_value("sfzh=2")
    css(browser, "#mapping-submit").click()
    wait(browser).until(lambda d: "/imports/" in d.current_url)
    wait(browser).until(finished)
    assert "已导入 30 行，生成第 1 版" in css(browser, "#import-result").text
