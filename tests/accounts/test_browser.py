"""An admin's story in a real headless Chromium: log in, add a user with a mistake, fix it, log out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.helpers.browser import css, wait
from zhicheng.accounts.models import User

pytestmark = pytest.mark.browser


def test_admin_logs_in_creates_a_user_and_logs_out(live_server, browser, db, departments, make_user):
    from selenium.webdriver.support.ui import Select

    make_user("admin", roles=["admin"], display_name="平台管理员")
    browser.get(live_server.url + "/admin/users")
    wait(browser).until(lambda d: "/login" in d.current_url)
    css(browser, "#f-username").send_keys("admin")
    css(browser, "#f-password").send_keys("wrong-password-1")
    css(browser, "form[action='/login'] button[type=submit]").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#e-password"))
    assert "用户名或密码错误" in css(browser, "#e-password").text
    css(browser, "#f-password").send_keys(DEFAULT_PASSWORD)
    css(browser, "form[action='/login'] button[type=submit]").click()
    wait(browser).until(lambda d: d.current_url.endswith("/admin/users"))

    browser.get(live_server.url + "/admin/users/new")
    css(browser, "#f-username").send_keys("zhangsan")
    css(browser, "#f-display_name").send_keys("张三")
    Select(css(browser, "#f-department_id")).select_by_value(str(departments["police"].id))
    css(browser, "#f-password").send_keys("abc")
    css(browser, "input[name=roles][value=data_officer]").click()
    css(browser, "form[action='/admin/users'] button[type=submit]").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#e-password"))
    assert "至少 8 位" in css(browser, "#e-password").text
    assert css(browser, "#f-display_name").get_attribute("value") == "张三"  # what was typed is kept
    css(browser, "#f-password").send_keys("Zhangsan2026")
    css(browser, "form[action='/admin/users'] button[type=submit]").click()
    wait(browser).until(lambda d: "/admin/users/" in d.current_url and "new" not in d.current_url)
    assert "张三" in css(browser, "h1").text
    user = db.scalar(select(User).where(User.username == "zhangsan"))
    assert user is not None and user.roles == {"data_officer"} and user.department_id == departments["police"].id

    css(browser, "form[action='/logout'] button").click()
    wait(browser).until(lambda d: d.find_elements("css selector", ".nav-login"))
    browser.get(live_server.url + "/account")
    wait(browser).until(lambda d: "/login" in d.current_url)
