"""The quality story in a real headless Chromium: the dashboard shows a resource's findings; the officer
proposes rules, accepts one, and runs the check again."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.helpers.browser import css, wait
from zhicheng.quality import service

pytestmark = pytest.mark.browser


def log_in(browser, base: str, username: str, path: str) -> None:
    browser.delete_all_cookies()
    browser.get(base + path)
    wait(browser).until(
        lambda d: "/login" in d.current_url and d.find_elements("css selector", "#f-username")
    )
    css(browser, "#f-username").send_keys(username)
    css(browser, "#f-password").send_keys(DEFAULT_PASSWORD)
    css(browser, "form[action='/login'] button[type=submit]").click()
    wait(browser).until(lambda d: "/login" not in d.current_url)


def test_dashboard_and_accepting_a_proposal(live_server, browser, db, people_resource, quality_actors):
    res, _ = people_resource(name="常住人口浏览器测试")
    service.define_rule(
        db,
        actor=quality_actors["officer"],
        resource_id=res.id,
        data={"kind": "allowed", "item": "dqdm", "params": {"table": "gb2260"}},
    )
    service.run(db, actor=quality_actors["officer"], resource_id=res.id)
    base = live_server.url

    log_in(browser, base, "q_admin", "/quality")
    wait(browser).until(lambda d: d.find_elements("css selector", f"#resources tr[data-resource='{res.id}']"))
    row = css(browser, f"#resources tr[data-resource='{res.id}']")
    assert "常住人口浏览器测试" in row.text and "长沙市公安局" in row.text
    wait(browser).until(lambda d: d.find_elements("css selector", "#worst-rules tbody tr"))
    assert "行政区划代码" in css(browser, "#worst-rules tbody tr").text  # the item by its name, not dqdm
    assert css(browser, "#open-task-count").text == "1"

    log_in(browser, base, "q_officer", f"/quality/resources/{res.id}")
    wait(browser).until(lambda d: d.find_elements("css selector", "#propose"))
    css(browser, "#propose").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#proposals tbody tr"))
    check = next(
        r for r in browser.find_elements("css selector", "#proposals tbody tr") if "校验码" in r.text
    )
    rule_id = check.get_attribute("data-rule")
    check.find_element("css selector", "button.accept").click()
    wait(browser).until(lambda d: d.find_elements("css selector", f"#rules tr[data-rule='{rule_id}']"))
    assert not browser.find_elements("css selector", f"#proposals tr[data-rule='{rule_id}']")
    css(browser, "#run-now").click()
    wait(browser).until(lambda d: d.find_elements("css selector", f"#findings tr[data-rule='{rule_id}']"))
    finding = css(browser, f"#findings tr[data-rule='{rule_id}']")
    assert "1 / 30" in finding.text and "5：" in finding.text  # row 5 carries a wrong check digit
