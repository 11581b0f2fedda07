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
