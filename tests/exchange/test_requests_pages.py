"""The sharing story through HTTP: the API's problem+json answers and the pages 我的申请, 待审批, 授权."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.helpers.accounts import page_csrf
from zhicheng.core.workdays import service as workdays
from zhicheng.exchange.models import ShareRequest


def _body(rid: int, **over) -> dict:
    today = workdays.china_today()
    body = {"resource_id": rid, "purpose": "住房保障资格审核", "basis": "《公共租赁住房管理办法》",
            "items": ["xm", "zz"], "row_filter": {"zz": {"prefix": "4301"}}, "period_start": today.isoformat(),
            "period_end": (today + timedelta(days=60)).isoformat(), "delivery": "api"}
    body.update(over)
    return body


def test_request_approve_and_revoke_through_the_api(client, db, make_resource, departments, exchange_users,
                                                    auth_headers):
    res = make_resource("不动产登记信息", department=departments["police"], state="published")
    consumer, officer = auth_headers(exchange_users["consumer_user"]), auth_headers(exchange_users["provider_officer"])
    r = client.post("/api/v1/exchange/requests", json=_body(res.id), headers=consumer)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["state"] == "pending" and req["events"][0]["action"] == "submitted" and req["working_days_left"] >= 9
    inbox = client.get("/api/v1/exchange/inbox", headers=officer).json()
    assert [x["id"] for x in inbox] == [req["id"]]
    wider = client.post(f"/api/v1/exchange/requests/{req['id']}/approve", headers=officer,
                        json={"row_filter": {"zz": {"prefix": "43"}}})
    assert wider.status_code == 403 and wider.json()["field"] == "row_filter"
    g = client.post(f"/api/v1/exchange/requests/{req['id']}/approve", headers=officer,
                    json={"items": ["zz"], "plain_items": ["zz"]})
    assert g.status_code == 200, g.text
    grant = g.json()
    assert grant["items"] == ["zz"] and grant["state"] == "active"
    mine = client.get(f"/api/v1/exchange/requests/{req['id']}", headers=consumer).json()
    assert mine["state"] == "granted" and mine["grant_id"] == grant["id"]
    assert client.post(f"/api/v1/exchange/grants/{grant['id']}/revoke", headers=consumer,
                       json={"reason": "x"}).status_code == 403
    r = client.post(f"/api/v1/exchange/grants/{grant['id']}/revoke", headers=officer, json={"reason": "任务结束"})
    assert r.status_code == 200 and r.json()["state"] == "revoked"


def test_bad_input_is_a_problem_with_the_field_and_stores_nothing(client, db, make_resource, departments,
                                                                  exchange_users, auth_headers):
    res = make_resource("法人基本信息", department=departments["police"], state="published")
    consumer = auth_headers(exchange_users["consumer_user"])
    for over, field in [({"items": ["xm' OR 1=1"]}, "items"), ({"row_filter": {"zz": {"prefix": "%"}}},
                                                                 "row_filter.zz.prefix"),
                        ({"delivery": "ftp"}, None), ({"resource_id": 10**12}, None), ({"extra": 1}, None)]:
        r = client.post("/api/v1/exchange/requests", json=_body(res.id, **over), headers=consumer)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        if field:
            assert r.json()["field"] == field
    assert client.post("/api/v1/exchange/requests", json=_body(999_999), headers=consumer).status_code == 404
    assert client.post("/api/v1/exchange/requests", json=_body(res.id)).status_code in (401, 403)
    assert db.scalar(select(func.count()).select_from(ShareRequest)) == 0


def test_pages_my_requests_inbox_and_grants(client, db, make_resource, departments, exchange_users, login):
    res = make_resource("房屋登记信息", department=departments["police"], state="published")
    csrf = login(client, exchange_users["consumer_user"])
    form = client.get(f"/exchange/requests/new?resource_id={res.id}")
    assert form.status_code == 200 and "申请共享" in form.text
    today = workdays.china_today()
    data = {"csrf_token": page_csrf(form.text), "resource_id": res.id, "purpose": "", "basis": "依据",
            "items": ["xm"], "period_start": today.isoformat(), "period_end": (today + timedelta(days=9)).isoformat()}
    bad = client.post("/exchange/requests", data=data)
    assert bad.status_code == 422 and "请填写用途" in bad.text
    data["purpose"] = "住房保障资格审核"
    r = client.post("/exchange/requests", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    detail = client.get(r.headers["location"])
    assert "待审批" in detail.text and "approve-form" not in detail.text
    assert "房屋登记信息" in client.get("/exchange/requests").text
    assert client.get("/exchange/inbox").status_code == 403  # a department user answers nothing
    client.post("/logout", data={"csrf_token": csrf})
    login(client, exchange_users["provider_officer"])
    inbox = client.get("/exchange/inbox")
    assert inbox.status_code == 200 and "房屋登记信息" in inbox.text
    req_id = db.scalar(select(ShareRequest.id))
    page = client.get(f"/exchange/requests/{req_id}")
    assert "approve-form" in page.text
    none = client.post(f"/exchange/requests/{req_id}/approve", data={"csrf_token": page_csrf(page.text)})
    assert none.status_code == 422 and "至少选择一个数据项" in none.text  # unticking every item widens nothing
    r = client.post(f"/exchange/requests/{req_id}/approve",
                    data={"csrf_token": page_csrf(page.text), "items": ["xm"], "note": "同意"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    grants = client.get("/exchange/grants")
    assert "grant-" in grants.text and "revoke-form" in grants.text
    english = client.get("/exchange/grants", headers={"Accept-Language": "en"})
    assert english.status_code == 200


def test_every_request_page_string_has_english():
    import re
    from pathlib import Path

    from zhicheng.exchange import pages
    from zhicheng.web.i18n import english_catalog

    folder = Path(pages.__file__).parent / "templates" / "exchange"
    names = ["_macros.html", "grants.html", "inbox.html", "request.html", "request_form.html", "requests.html"]
    found = set()
    for name in names:
        found.update(a or b for a, b in re.findall(r"""_\(\s*(?:"([^"]+)"|'([^']+)')""",
                                                   (folder / name).read_text(encoding="utf-8")))
    found.update(pages.STATE_NAMES.values(), pages.EVENT_NAMES.values(), pages.SHARE_NAMES.values())
    found.update({"我的申请", "待审批", "授权", "申请共享"})
    english = english_catalog()
    assert not sorted(s for s in found if not english.get(s))
