"""The auditor's story in a real headless Chromium: log in, filter the log, verify the chain, find the tampered entry."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.helpers.browser import css, wait
from zhicheng.core.actor import Actor
from zhicheng.policy import audit

pytestmark = pytest.mark.browser


def test_the_auditor_filters_verifies_and_finds_tampering(live_server, browser, db, make_user, tmp_path):
    make_user("shenji", roles=["auditor"], display_name="审计员")
    clerk = Actor(kind="user", user_id=9, username="zhaoliu", roles=frozenset({"dept_user"}))
    for i in range(8):
        audit.record(db, actor=clerk, action="catalog.dataset.read", target_kind="catalog.dataset", target_id=i,
                     outcome="denied" if i == 5 else "ok", detail={"行数": i * 10})
    db.commit()

    browser.get(live_server.url + "/audit")
    wait(browser).until(lambda d: "/login" in d.current_url)
    css(browser, "#f-username").send_keys("shenji")
    css(browser, "#f-password").send_keys(DEFAULT_PASSWORD)
    css(browser, "form[action='/login'] button[type=submit]").click()
    wait(browser).until(lambda d: d.current_url.endswith("/audit"))
    assert "zhaoliu" in css(browser, ".audit-table").text

    from selenium.webdriver.support.ui import Select

    Select(css(browser, "#f-outcome")).select_by_value("denied")
    css(browser, "#f-actor").send_keys("zhaoliu")
    css(browser, "form[role=search] button[type=submit]").click()
    wait(browser).until(lambda d: "outcome=denied" in d.current_url)
    rows = browser.find_elements("css selector", ".audit-table tbody tr")
    assert len(rows) == 1 and "catalog.dataset 5" in rows[0].text and "拒绝" in rows[0].text

    css(browser, "button[hx-get='/audit/verify']").click()  # htmx swaps the verdict in place
    wait(browser).until(lambda d: "审计链完整" in css(d, "#verify-result").text)
    assert browser.current_url.endswith("outcome=denied") or "outcome=denied" in browser.current_url

    db.execute(text("UPDATE audit_entry SET detail = :d WHERE target_id = '3' AND actor_username = 'zhaoliu'"),
               {"d": '{"行数": 0}'})
    db.commit()
    css(browser, "button[hx-get='/audit/verify']").click()
    wait(browser).until(lambda d: "审计链已损坏" in css(d, "#verify-result").text)
    verdict = css(browser, "#verify-result").text
    assert "被修改" in verdict and "首个问题记录" in verdict
    browser.save_screenshot(str(tmp_path / "audit.png"))
