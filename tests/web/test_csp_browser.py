"""The main pages under the Content-Security-Policy in a real headless Chromium: no script, style, image, worker
or frame is refused (read from the browser console), and the scripts still run (charts, map, API docs)."""

from __future__ import annotations

import pytest

from tests.helpers.browser import wait
from tests.opendata.fixtures import officer, open_data  # noqa: F401 - fixtures, used by name
from tests.web.test_browser import log_in

pytestmark = pytest.mark.browser


def violations(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if "Content Security Policy" in e["message"] or "Refused to" in e["message"]]


def test_main_pages_load_without_csp_violations(live_server, browser, make_user, departments, open_data):  # noqa: F811
    make_user("csp_admin", roles=["admin"], department=departments["data_bureau"])
    base = live_server.url
    geo = open_data["geo"].id
    browser.get(base + "/open")
    assert "js" in browser.execute_script("return document.documentElement.className")  # early.js ran
    browser.get(base + f"/open/datasets/{geo}")
    wait(browser, 20).until(lambda d: d.execute_script(
        "var m = document.getElementById('map'); return !m || m.hidden || m.dataset.ready === '1'"))
    browser.get(base + "/open/stats")
    browser.get(base + "/api/docs")
    wait(browser, 20).until(lambda d: d.find_elements("css selector", ".swagger-ui .opblock"))
    seen = violations(browser)
    log_in(browser, base, "csp_admin", start="/")
    for path in ("/", "/catalog", f"/catalog/{open_data['free'].id}", "/exchange/kpis", "/open/admin", "/account",
                 "/admin/departments", "/about"):
        browser.get(base + path)
        wait(browser).until(lambda d: d.execute_script("return document.readyState") == "complete")
        seen += [f"{path}: {m}" for m in violations(browser)]
    assert seen == [], "\n".join(seen)
