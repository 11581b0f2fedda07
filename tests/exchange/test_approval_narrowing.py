"""The provider narrows the rows when approving: on any item of the resource, requested or not; through the API
and through the approval page in a real browser; the consumer then gets only those rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.exchange.test_delivery import ROWS
from tests.exchange.test_requests_browser import log_in
from tests.helpers.browser import css, wait
from zhicheng.accounts import service as accounts
from zhicheng.core.workdays import service as workdays


def _request(client, world, auth_headers, **over) -> dict:
    today = workdays.china_today()
    body = {"resource_id": world["resource"].id, "purpose": "住房保障资格审核", "basis": "《公共租赁住房管理办法》",
            "items": ["xm", "nl"], "row_filter": None, "period_start": today.isoformat(),
            "period_end": (today + timedelta(days=60)).isoformat(), "delivery": "api", **over}
    r = client.post("/api/v1/exchange/requests", json=body, headers=auth_headers(world["consumer"]))
    assert r.status_code == 201, r.text
    return r.json()


def _officer(db):
    return accounts.get_user_by_username(db, "gaj_officer")


def _all_rows(client, world, auth_headers) -> list[dict]:
    r = client.get(world["url"], params={"size": 100}, headers=auth_headers(world["consumer"]))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_an_officer_narrows_the_rows_on_an_item_that_was_not_requested(client, db, world, auth_headers):
    req = _request(client, world, auth_headers)  # 姓名 and 年龄, every row
    officer = auth_headers(_officer(db))
    g = client.post(f"/api/v1/exchange/requests/{req['id']}/approve", headers=officer,
                    json={"row_filter": {"dqdm": {"prefix": "430104"}}})  # 行政区划代码: not asked for
    assert g.status_code == 200, g.text
    assert g.json()["row_filter"] == {"dqdm": {"prefix": "430104"}} and g.json()["items"] == ["xm", "nl"]
    rows = _all_rows(client, world, auth_headers)
    assert len(rows) == ROWS // 2  # only 岳麓区's people (odd rows: 430104)
    assert {r["nl"] for r in rows} == {20 + i for i in range(ROWS) if i % 2}
    assert all(set(r) == {"xm", "nl"} for r in rows)  # the filter's item itself is not delivered


def test_a_requested_condition_is_kept_and_another_item_narrows_further(client, db, world, auth_headers):
    req = _request(client, world, auth_headers, row_filter={"dqdm": {"prefix": "4301"}})
    officer = auth_headers(_officer(db))
    dropped = client.post(f"/api/v1/exchange/requests/{req['id']}/approve", headers=officer,
                          json={"row_filter": {"nl": {"prefix": "3"}}})  # drops the requested condition: wider
    assert dropped.status_code == 403 and dropped.json()["field"] == "row_filter"
    unknown = client.post(f"/api/v1/exchange/requests/{req['id']}/approve", headers=officer,
                          json={"row_filter": {"csrq": {"prefix": "1"}}})  # no such item in the resource
    assert unknown.status_code == 422 and unknown.json()["field"] == "row_filter.csrq"
    g = client.post(f"/api/v1/exchange/requests/{req['id']}/approve", headers=officer,
                    json={"row_filter": {"dqdm": {"prefix": "430102"}, "nl": {"prefix": "3"}}})
    assert g.status_code == 200, g.text
    rows = _all_rows(client, world, auth_headers)
    assert sorted(r["nl"] for r in rows) == [n for n in range(30, 40) if (n - 20) % 2 == 0]


@pytest.mark.browser
def test_the_officer_narrows_rows_on_the_approval_page(live_server, browser, client, db, world, auth_headers):
    # asked: 姓名 and 年龄 of the rows whose 行政区划代码 starts 4301 (a condition on an item not requested)
    req = _request(client, world, auth_headers, row_filter={"dqdm": {"prefix": "4301"}})
    log_in(browser, live_server.url, "gaj_officer", f"/exchange/requests/{req['id']}")
    wait(browser).until(lambda d: d.find_elements("css selector", "#approve-form"))
    from selenium.webdriver.support.ui import Select

    selects = browser.find_elements("css selector", "#approve-form select[name=filter_item]")
    prefixes = browser.find_elements("css selector", "#approve-form input[name=filter_prefix]")
    assert Select(selects[0]).first_selected_option.get_attribute("value") == "dqdm"  # prefilled as asked
    assert prefixes[0].get_attribute("value") == "4301"
    assert {o.get_attribute("value") for o in Select(selects[-1]).options} >= {"dqdm", "nl", "sfzh", "zz"}
    prefixes[0].clear()
    prefixes[0].send_keys("430104")  # lengthen the requested prefix
    css(browser, "#approve-form button[type=submit]").click()
    wait(browser).until(lambda d: d.current_url.endswith("/exchange/inbox"))
    browser.get(live_server.url + "/exchange/grants")
    assert "430104" in css(browser, "#grants tbody tr").text
    rows = _all_rows(client, world, auth_headers)
    assert len(rows) == ROWS // 2 and {r["nl"] for r in rows} == {20 + i for i in range(ROWS) if i % 2}


@pytest.mark.browser
def test_the_prefilled_filter_is_accepted_as_it_is(live_server, browser, client, db, world, auth_headers):
    req = _request(client, world, auth_headers, row_filter={"dqdm": {"prefix": "430102"}})
    log_in(browser, live_server.url, "gaj_officer", f"/exchange/requests/{req['id']}")
    wait(browser).until(lambda d: d.find_elements("css selector", "#approve-form"))
    from selenium.webdriver.support.ui import Select

    extra = browser.find_elements("css selector", "#approve-form select[name=filter_item]")[-1]
    Select(extra).select_by_value("nl")  # and one more condition, on 年龄
    browser.find_elements("css selector", "#approve-form input[name=filter_prefix]")[-1].send_keys("2")
    css(browser, "#approve-form button[type=submit]").click()
    wait(browser).until(lambda d: d.current_url.endswith("/exchange/inbox") or d.find_elements("css selector",
                                                                                                "#form-error"))
    assert browser.current_url.endswith("/exchange/inbox"), css(browser, "#form-error").text
    rows = _all_rows(client, world, auth_headers)
    assert sorted(r["nl"] for r in rows) == [20, 22, 24, 26, 28]
