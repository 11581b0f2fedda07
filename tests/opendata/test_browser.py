"""In a real headless Chromium: search in Chinese, filter by a facet, open a dataset, download its CSV,
register and apply for a 有条件开放 dataset."""

from __future__ import annotations

import csv
import io
import time

import pytest

from tests.helpers.browser import css, wait
from tests.opendata.fixtures import PASSWORD, cid

pytestmark = pytest.mark.browser


def texts(driver, selector: str) -> list[str]:
    return [e.text for e in driver.find_elements("css selector", selector)]


def test_search_filter_open_download(live_server, browser, open_data, tmp_path):
    browser.get(live_server.url + "/open")
    wait(browser).until(lambda d: d.find_elements("css selector", "#home-q"))
    css(browser, "#home-q").send_keys("人口统计")
    css(browser, "form[role=search] button[type=submit]").click()
    wait(browser).until(lambda d: "社区人口统计" in " ".join(texts(d, ".open-card h3")))
    assert "派出所位置" not in " ".join(texts(browser, ".open-card h3"))

    browser.get(live_server.url + "/open/datasets")
    wait(browser).until(lambda d: d.find_elements("css selector", "#facet-catalog_class-theme"))
    css(browser, "#facet-catalog_class-theme").click()  # htmx swaps the results in
    wait(browser).until(lambda d: texts(d, ".open-card h3") == ["派出所位置"])
    wait(browser).until(lambda d: "catalog_class=theme" in d.current_url)

    browser.get(live_server.url + "/open/datasets?q=社区")
    wait(browser).until(lambda d: d.find_elements("link text", "社区人口统计"))
    browser.find_element("link text", "社区人口统计").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#preview tbody tr"))
    first = texts(browser, "#preview tbody tr:first-child td")
    assert "*" in first[0] and first[2] == "岳麓街道"

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    css(browser, "#download-csv").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = list(downloads.glob("*.csv"))
        if done and not list(downloads.glob("*.crdownload")):
            break
        time.sleep(0.2)
    files = list(downloads.glob("*.csv"))
    assert files, list(downloads.iterdir())
    raw = files[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == ["公民身份号码", "姓名", "所属街道", "人数"] and len(table) == 1 + len(open_data["rows"])
    assert all("*" in row[0] and "*" in row[1] for row in table[1:])

    # 表头：英文标识符 — the same download headed by the identifiers
    css(browser, '#download-columns a[href^="?columns=names"]').click()
    wait(browser).until(lambda d: "columns=names" in css(d, "#download-csv").get_attribute("href"))
    for f in files:
        f.unlink()
    css(browser, "#download-csv").click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = list(downloads.glob("*.csv"))
        if done and not list(downloads.glob("*.crdownload")):
            break
        time.sleep(0.2)
    files = list(downloads.glob("*.csv"))
    assert files, list(downloads.iterdir())
    table = list(csv.reader(io.StringIO(files[0].read_bytes().decode("utf-8-sig"))))
    assert table[0] == ["sfzh", "xm", "jd", "rs"]


def test_register_and_apply_for_conditional_data(live_server, browser, open_data):
    cond = open_data["cond"]
    browser.get(f"{live_server.url}/open/datasets/{cond.id}")
    wait(browser).until(lambda d: d.find_elements("css selector", "#conditional"))
    assert not browser.find_elements("css selector", "#preview")

    browser.get(live_server.url + "/open/register")
    wait(browser).until(lambda d: d.find_elements("css selector", "#register-form"))
    for name, value in (
        ("username", "citizen_b"),
        ("display_name", "赵市民"),
        ("id_number", cid(42)),
        ("phone", "13700001111"),
        ("password", PASSWORD),
    ):
        css(browser, f"#f-{name}").send_keys(value)
    css(browser, "#register-form button[type=submit]").click()
    wait(browser).until(lambda d: d.current_url.endswith("/open/me"))
    wait(browser).until(lambda d: d.find_elements("css selector", "#masked-id"))
    assert "********" in css(browser, "#masked-id").text

    browser.get(f"{live_server.url}/open/datasets/{cond.id}")
    wait(browser).until(lambda d: d.find_elements("css selector", "#apply-link"))
    css(browser, "#apply-link").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#purpose"))
    css(browser, "#purpose").send_keys("用于社区人口结构的学术研究，数据不对外传播")
    css(browser, "#apply-submit").click()
    wait(browser).until(lambda d: d.current_url.endswith("/open/me"))
    wait(browser).until(lambda d: d.find_elements("css selector", "#applications [data-state]"))
    assert css(browser, "#applications [data-state]").get_attribute("data-state") == "pending"
    assert "重点人员信息" in css(browser, "#applications").text


def test_spatial_dataset_shows_a_map(live_server, browser, open_data):
    browser.get(f"{live_server.url}/open/datasets/{open_data['geo'].id}")
    wait(browser).until(lambda d: d.find_elements("css selector", "#map-preview"))

    def shown(d):
        ready = d.find_elements("css selector", "#map[data-ready='1']")
        svg = d.find_elements("css selector", "#map-preview")
        return bool(ready) or (
            svg and svg[0].is_displayed() and d.find_elements("css selector", "#map[hidden]")
        )

    wait(browser, 30).until(shown)
    if browser.find_elements("css selector", "#map[data-ready='1']"):  # WebGL there: MapLibre drew it
        assert not css(browser, "#map-preview").is_displayed()
        assert browser.find_elements("css selector", "#map canvas")
    else:  # no WebGL in this Chromium: the SVG preview stays
        assert len(browser.find_elements("css selector", "#map-preview circle")) == 2
