"""A new API key is never in the answer to a POST nor in any cache: the form redirects (POST-redirect-GET), the
next page shows the key once with `Cache-Control: no-store`, a reload no longer shows it; every API answer that
carries a token or key is `no-store` (staff and portal)."""

from __future__ import annotations

import re

from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.opendata.fixtures import make_portal_user, portal_login  # noqa: F401 - fixtures, used by name

HTML = {"Accept": "text/html"}


def no_store(r) -> bool:
    return "no-store" in r.headers.get("cache-control", "")


def test_a_new_staff_key_is_shown_once_after_a_redirect(client, make_user, login):
    user = make_user("zhao_key")
    csrf = login(client, user)
    r = client.post("/account/api-keys", data={"name": "同步程序", "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/account")
    assert "zc" not in r.text and no_store(r)
    page = client.get("/account", headers=HTML)
    shown = re.search(r'id="new-api-key">([^<]+)<', page.text)
    assert shown and no_store(page)
    key = shown.group(1)
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200
    again = client.get("/account", headers=HTML)
    assert key not in again.text and 'id="new-api-key"' not in again.text  # once only


def test_staff_token_and_key_answers_are_not_stored(client, make_user, auth_headers):
    user = make_user("qian_key")
    r = client.post("/api/v1/auth/token", json={"username": "qian_key", "password": DEFAULT_PASSWORD})
    assert r.status_code == 200 and no_store(r)
    r = client.post("/api/v1/me/api-keys", json={"name": "k"}, headers=auth_headers(user))
    assert r.status_code == 201 and no_store(r)


def test_a_new_portal_key_is_shown_once_after_a_redirect(client, make_portal_user, portal_login):  # noqa: F811
    user = make_portal_user("sun_key")
    r = client.post("/api/v1/open/account/login", json={"username": user.username, "password": "Portal2026pw"})
    assert r.status_code == 200 and no_store(r)  # it carries the CSRF token
    csrf = r.json()["csrf_token"]
    r = client.post("/open/me/keys", data={"name": "我的应用", "expires_days": "30", "csrf_token": csrf},
                    headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/open/me") and no_store(r)
    assert "zco_" not in r.text
    page = client.get("/open/me", headers=HTML)
    shown = re.search(r'id="new-key">([^<]+)<', page.text)
    assert shown and shown.group(1).startswith("zco_") and no_store(page)
    assert shown.group(1) not in client.get("/open/me", headers=HTML).text
    r = client.post("/api/v1/open/keys", json={"name": "脚本"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201 and no_store(r)
