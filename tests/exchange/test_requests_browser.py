"""The sharing story in a real headless Chromium: 住建局 asks, 公安局's officer narrows and approves, then revokes."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.helpers.browser import css, wait

pytestmark = pytest.mark.browser


def log_in(browser, base: str, username: str, path: str) -> None:
    browser.delete_all_cookies()
    browser.get(base + path)
    wait(browser).until(lambda d: "/login" in d.current_url)
    css(browser, "#f-username").send_keys(username)
    css(browser, "#f-password").send_keys(DEFAULT_PASSWORD)
    css(browser, "form[action='/login'] button[type=submit]").click()
    wait(browser).until(lambda d: "/login" not in d.current_url)


def test_request_approve_and_revoke_in_the_browser(live_server, browser, db, make_resource, departments,
                                                   exchange_users):
    res = make_resource("不动产权属信息", department=departments["police"], state="published")
    base = live_server.url
    log_in(browser, base, "ex_consumer_user", f"/exchange/requests/new?resource_id={res.id}")
    css(browser, "textarea[name=purpose]").send_keys("住房保障资格审核")
    css(browser, "textarea[name=basis]").send_keys("《公共租赁住房管理办法》")
    css(browser, "input[name=filter_prefix]").send_keys("4301")
    from selenium.webdriver.support.ui import Select

    Select(css(browser, "select[name=filter_item]")).select_by_value("zz")
    css(browser, "#request-form button[type=submit]").click()
    wait(browser).until(lambda d: "/exchange/requests/" in d.current_url and "new" not in d.current_url)
    assert "待审批" in css(browser, "#request-state").text
    request_url = browser.current_url

    log_in(browser, base, "ex_provider_officer", "/exchange/inbox")
    assert "不动产权属信息" in css(browser, "#inbox").text
    css(browser, "#inbox a").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#approve-form"))
    css(browser, "#approve-form input[name=items][value=sfzh]").click()  # narrow: no citizen ID
    prefix = css(browser, "#approve-form input[name=filter_prefix]")
    prefix.clear()
    prefix.send_keys("430104")
    css(browser, "#approve-form button[type=submit]").click()
    wait(browser).until(lambda d: d.current_url.endswith("/exchange/inbox"))
    browser.get(base + "/exchange/grants")
    row = css(browser, "#grants tbody tr")
    assert "430104" in row.text and "sfzh" not in row.text and "有效" in row.text
    css(browser, ".revoke-form input[name=reason]").send_keys("核查结束")
    css(browser, ".revoke-form button[type=submit]").click()
    wait(browser).until(lambda d: "已撤销" in css(d, "#grants tbody tr").text)

    log_in(browser, base, "ex_consumer_user", "/exchange/requests")
    browser.get(request_url)
    assert "已授权" in css(browser, "#request-state").text
    timeline = css(browser, "#timeline").text
    assert "提交申请" in timeline and "同意" in timeline and "撤销授权" in timeline
