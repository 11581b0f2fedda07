"""The demo city's main zh-CN pages in a headless Chromium on a phone: no raw ISO timestamps, nothing wider than it."""

from __future__ import annotations

import re

import pytest

from tests.helpers.browser import css, wait

pytestmark = pytest.mark.browser
PASSWORD = "Changsha2026demo"
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:")
START = ["/", "/catalog", "/catalog/review", "/exchange/requests", "/exchange/inbox", "/exchange/grants",
         "/exchange/kpis", "/quality", "/basedb", "/lineage", "/open", "/open/admin", "/about", "/admin/departments",
         "/audit"]
SKIP = ("/logout", "/lang/", "download", "/api/", "export", ".csv", ".xlsx", ".json", ".ttl", ".rdf", ".geojson")
PER_USER = 45  # pages walked per user: every page kind the start pages link to, once each


# resources whose data holds timestamps and station names: their pages are walked whatever the links
TIMED = ("空气质量监测小时数据", "雨量站实时雨量", "河道水位监测")


@pytest.fixture
def demo_city(settings, engine, monkeypatch) -> list[str]:
    """The demo city, small (300 people, 80 enterprises), loaded through the services as `zhicheng demo` does;
    the pages of its timed resources."""
    from sqlalchemy import select

    from zhicheng.catalog.models import Resource
    from zhicheng.core.db import make_sessionmaker
    from zhicheng.demo.loader import load_demo

    monkeypatch.setenv("ZHICHENG_DEMO_PASSWORD", PASSWORD)
    factory = make_sessionmaker(engine)
    load_demo(settings, factory, people=300, enterprises=80)
    with factory() as db:
        ids = db.scalars(select(Resource.id).where(Resource.name.in_(TIMED))).all()
    assert len(ids) == len(TIMED)
    return [page for i in ids for page in (f"/catalog/{i}", f"/catalog/{i}/versions/1", f"/open/datasets/{i}")]


def _log_in(driver, base: str, username: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + "/login")
    css(driver, "#f-username").send_keys(username)
    css(driver, "#f-password").send_keys(PASSWORD)
    css(driver, "form[action='/login'] button[type=submit]").click()
    wait(driver).until(lambda d: "/login" not in d.current_url)


def _kind(path: str) -> str:
    """/catalog/12/rows?page=2 and /catalog/31/rows are the same kind of page."""
    return re.sub(r"\d+", "N", path.split("?")[0])


def test_main_pages_show_local_times_and_fit_a_phone(demo_city, live_server, browser):
    base = live_server.url
    browser.set_window_size(390, 844)
    raw, wide, seen, visited_text = [], [], set(), ""
    for username in ("admin", "police_officer", "dept_user", "auditor"):
        _log_in(browser, base, username)
        start = START + demo_city
        queue, walked = list(start), 0
        while queue and walked < PER_USER + len(demo_city):
            path = queue.pop(0)
            if _kind(path) in seen and path not in start:
                continue
            seen.add(_kind(path))
            browser.get(base + path)
            walked += 1
            if browser.find_elements("css selector", ".error-code"):
                continue  # a page this user may not open
            text = css(browser, "body").text
            visited_text += text if path in demo_city else ""
            for m in ISO.finditer(text):
                raw.append(f"{username} {path}: …{text[max(0, m.start() - 30):m.end() + 10]}…")
            width = browser.execute_script("return document.documentElement.scrollWidth")
            if width > 390:
                wide.append(f"{username} {path}: {width} px")
            for a in browser.find_elements("css selector", "main a[href^='/']"):
                href = (a.get_attribute("href") or "").replace(base, "").split("#")[0]
                if href and not any(s in href for s in SKIP) and _kind(href) not in seen:
                    queue.append(href)
    print(f"walked {len(seen)} kinds of page")
    assert len(seen) > 30
    assert not raw, "raw ISO timestamps on zh-CN pages:\n" + "\n".join(raw)
    assert not wide, "pages wider than a 390 px phone:\n" + "\n".join(wide)
    assert "奥体中心" in visited_text, "the air-quality preview names its stations in Chinese"
