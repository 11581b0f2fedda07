"""A browser session must prove each change came from our own page (CSRF); tokens and keys need not."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.helpers.accounts import DEFAULT_PASSWORD
from zhicheng.accounts.models import ApiKey, Department


def test_cookie_post_without_or_with_forged_csrf_is_refused_and_changes_nothing(client, db, make_user, login):
    admin = make_user("admin", roles=["admin"])
    csrf = login(client, admin)
    before = db.scalar(select(func.count()).select_from(Department))
    form = {"name": "长沙市交通运输局", "kind": "bureau", "region_code": "430100"}
    for extra in ({}, {"csrf_token": "forged"}, {"csrf_token": csrf[:-1] + "x"}):
        r = client.post("/admin/departments", data={**form, **extra}, follow_redirects=False)
        assert r.status_code == 403, r.text
        r = client.post("/api/v1/departments", json=form, headers={"X-CSRF-Token": extra.get("csrf_token", "")})
        assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Department)) == before
    # with the session's token it works, from the form and from the header (htmx)
    r = client.post("/admin/departments", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post("/api/v1/departments", json={**form, "name": "长沙市水利局"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201


def test_logout_and_api_keys_from_pages_need_csrf(client, db, make_user, login):
    user = make_user("zhuming")
    csrf = login(client, user)
    assert client.post("/account/api-keys", data={"name": "k"}).status_code == 403
    assert db.scalar(select(func.count()).select_from(ApiKey)) == 0
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/api/v1/me").status_code == 200
    r = client.post("/account/api-keys", data={"name": "k", "csrf_token": csrf})
    assert r.status_code == 200 and 'id="new-api-key"' in r.text


def test_login_form_needs_its_csrf_token(client, make_user):
    make_user("caoyu")
    client.get("/login")
    r = client.post("/login", data={"username": "caoyu", "password": DEFAULT_PASSWORD, "csrf_token": "nope"},
                    follow_redirects=False)
    assert r.status_code == 403
    assert "zhicheng_session" not in client.cookies


def test_bearer_and_api_key_requests_are_exempt(client, make_user, auth_headers):
    admin = make_user("admin", roles=["admin"])
    r = client.post("/api/v1/departments", json={"name": "长沙市教育局", "kind": "bureau", "region_code": "430100"},
                    headers=auth_headers(admin))
    assert r.status_code == 201
