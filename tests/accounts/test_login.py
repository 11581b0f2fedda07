"""Logging in through the form and the token endpoint, failing, getting locked out and unlocked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.helpers.accounts import DEFAULT_PASSWORD, page_csrf
from zhicheng.accounts import service
from zhicheng.core import clock
from zhicheng.policy.models import AuditEntry


def test_login_form_opens_a_session_and_goes_to_next(client, make_user, login):
    officer = make_user("zhangwei", roles=["data_officer"], display_name="张伟")
    csrf = login(client, officer)
    assert csrf
    me = client.get("/api/v1/me").json()
    assert me["user"]["username"] == "zhangwei"
    assert me["user"]["roles"] == ["data_officer"]
    assert me["via"] == "session"
    page = client.get("/account")
    assert page.status_code == 200 and "张伟" in page.text


def test_login_redirects_to_a_local_next_only(client, make_user):
    make_user("lina")
    form = client.get("/login?next=/account")
    r = client.post("/login", data={"username": "lina", "password": DEFAULT_PASSWORD, "next": "/account",
                                    "csrf_token": page_csrf(form.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    client.cookies.clear()
    form = client.get("/login")
    r = client.post("/login", data={"username": "lina", "password": DEFAULT_PASSWORD, "next": "https://evil.example/",
                                    "csrf_token": page_csrf(form.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_wrong_password_shows_the_error_next_to_the_field_and_is_audited(client, db, make_user):
    user = make_user("wangfang")
    form = client.get("/login")
    r = client.post("/login", data={"username": "wangfang", "password": "Wrong12345",
                                    "csrf_token": page_csrf(form.text)})
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text and 'id="e-password"' in r.text
    assert "zhicheng_session" not in client.cookies
    failed = db.scalars(select(AuditEntry).where(AuditEntry.action == "login",
                                                 AuditEntry.outcome == "failed")).all()
    assert [e.target_id for e in failed] == [str(user.id)]


def test_login_page_in_english(client, make_user):
    make_user("liuyang")
    form = client.get("/login?lang=en")
    assert "Log in" in form.text
    r = client.post("/login?lang=en", data={"username": "liuyang", "password": "Wrong12345",
                                            "csrf_token": page_csrf(form.text)})
    assert "wrong username or password" in r.text


def test_token_endpoint_and_me(client, make_user):
    make_user("chenjing", roles=["operator"])
    r = client.post("/api/v1/auth/token", data={"grant_type": "password", "username": "chenjing",
                                                "password": DEFAULT_PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 480 * 60
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["user"]["roles"] == ["operator"]
    assert me.json()["csrf_token"] is None
    # JSON works too
    r = client.post("/api/v1/auth/token", json={"username": "chenjing", "password": DEFAULT_PASSWORD})
    assert r.status_code == 200


def test_token_endpoint_rejects_bad_credentials_as_problem_json(client, make_user):
    make_user("zhaolei")
    r = client.post("/api/v1/auth/token", json={"username": "zhaolei", "password": "nope12345"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "invalid_credentials" and r.json()["field"] == "password"
    r = client.post("/api/v1/auth/token", json={"username": "zhaolei"})
    assert r.status_code == 422 and r.json()["field"] == "password"
    r = client.post("/api/v1/auth/token", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "body"


def test_lockout_after_failures_then_unlock_when_the_clock_moves(client, db, make_user, settings):
    user = make_user("sunli")
    for _ in range(settings.login_max_failures):
        r = client.post("/api/v1/auth/token", json={"username": "sunli", "password": "Wrong12345"})
        assert r.status_code == 401
    # even the right password is refused while locked
    r = client.post("/api/v1/auth/token", json={"username": "sunli", "password": DEFAULT_PASSWORD})
    assert r.status_code == 403 and r.json()["code"] == "account_locked"
    db.expire_all()
    assert service.is_locked(service.get_user(db, user.id))
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "lockout")) is not None
    clock.advance(timedelta(minutes=settings.login_lockout_minutes - 1))
    r = client.post("/api/v1/auth/token", json={"username": "sunli", "password": DEFAULT_PASSWORD})
    assert r.status_code == 403
    clock.advance(timedelta(minutes=2))
    r = client.post("/api/v1/auth/token", json={"username": "sunli", "password": DEFAULT_PASSWORD})
    assert r.status_code == 200
    db.expire_all()
    assert service.get_user(db, user.id).failed_logins == 0


def test_admin_unlocks_a_locked_user(client, db, make_user, auth_headers, settings):
    admin = make_user("admin1", roles=["admin"])
    victim = make_user("zhoujie")
    for _ in range(settings.login_max_failures):
        client.post("/api/v1/auth/token", json={"username": "zhoujie", "password": "Wrong12345"})
    assert client.get(f"/api/v1/users/{victim.id}", headers=auth_headers(admin)).json()["locked"] is True
    r = client.post(f"/api/v1/users/{victim.id}/unlock", headers=auth_headers(admin))
    assert r.status_code == 200 and r.json()["locked"] is False
    r = client.post("/api/v1/auth/token", json={"username": "zhoujie", "password": DEFAULT_PASSWORD})
    assert r.status_code == 200


def test_inactive_user_cannot_log_in(client, db, make_user, auth_headers):
    admin = make_user("admin2", roles=["admin"])
    user = make_user("gaoyan")
    headers = auth_headers(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/users/{user.id}", headers=auth_headers(admin)).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "gaoyan", "password": DEFAULT_PASSWORD})
    assert r.status_code == 401


def test_logout_ends_the_session(client, make_user, login):
    user = make_user("huangmin")
    csrf = login(client, user)
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_pages_redirect_anonymous_visitors_to_login(client):
    r = client.get("/account", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account"
    r = client.get("/api/v1/me")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
