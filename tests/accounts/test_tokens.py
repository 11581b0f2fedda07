"""Bearer tokens and API keys expire and can be revoked; passwords are stored as Argon2 hashes only."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import select

from tests.helpers.accounts import DEFAULT_PASSWORD
from zhicheng.accounts import security, service
from zhicheng.accounts.models import ApiKey, LoginSession, User
from zhicheng.core import clock


def test_expired_token_gets_401_token_expired(client, make_user, auth_headers, settings):
    headers = auth_headers(make_user("yangfan"))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    clock.advance(timedelta(minutes=settings.token_ttl_minutes + 1))
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "token_expired"
    assert "invalid_token" in r.headers["www-authenticate"]


def test_revoked_and_unknown_tokens_get_401_invalid_token(client, make_user, auth_headers):
    headers = auth_headers(make_user("xuhui"))
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    r = client.get("/api/v1/health", headers={"Authorization": "Bearer made-up-token"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_tokens_are_stored_as_sha256_only(db, make_user):
    user = make_user("malin")
    token = service.issue_token(db, user=user)
    rows = db.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).all()
    assert [r.token_hash for r in rows] == [security.token_digest(token)]
    assert token not in rows[0].token_hash


def test_expired_session_cookie_is_simply_anonymous(client, make_user, login, settings):
    login(client, make_user("hejun"))
    clock.advance(timedelta(minutes=settings.session_ttl_minutes + 1))
    r = client.get("/account", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.get("/api/v1/me").status_code == 401


def test_password_hashes_are_argon2_and_rehashed_when_parameters_change(db, make_user):
    user = make_user("tangmei", password="Tangmei2026")
    assert user.password_hash.startswith("$argon2id$")
    assert "Tangmei2026" not in user.password_hash
    # an old hash made with weaker parameters is replaced at the next login
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("Tangmei2026")
    db.get(User, user.id).password_hash = weak
    db.commit()
    service.authenticate(db, username="tangmei", password="Tangmei2026")
    db.expire_all()
    fresh = db.get(User, user.id).password_hash
    assert fresh != weak and fresh.startswith("$argon2id$") and not security.needs_rehash(fresh)


def test_password_policy(db, make_user, departments):
    import pytest

    from zhicheng.core.errors import Invalid

    for bad in ("short1", "onlyletters", "1234567890", "lidan123"):
        with pytest.raises(Invalid) as exc:
            make_user("lidan123" if bad == "lidan123" else "lidan", password=bad)
        assert exc.value.field == "password"
    assert db.scalar(select(User).where(User.username.in_(["lidan", "lidan123"]))) is None


def test_api_key_lifecycle(client, db, make_user, auth_headers):
    user = make_user("fengyu", roles=["dept_user"])
    headers = auth_headers(user)
    r = client.post("/api/v1/me/api-keys", json={"name": "同步程序"}, headers=headers)
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    assert key.startswith("zc_" + r.json()["prefix"] + "_")
    stored = db.scalar(select(ApiKey).where(ApiKey.prefix == r.json()["prefix"]))
    assert stored.key_hash == security.token_digest(key) and key not in stored.key_hash
    me = client.get("/api/v1/me", headers={"X-API-Key": key})
    assert me.status_code == 200 and me.json()["via"] == "apikey" and me.json()["user"]["username"] == "fengyu"
    listed = client.get("/api/v1/me/api-keys", headers=headers).json()
    assert [k["name"] for k in listed] == ["同步程序"] and "key" not in listed[0]
    assert listed[0]["last_used_at"] is not None
    # a key cannot mint more keys
    assert client.post("/api/v1/me/api-keys", json={"name": "x"}, headers={"X-API-Key": key}).status_code == 401
    assert client.delete(f"/api/v1/me/api-keys/{stored.id}", headers=headers).status_code == 204
    r = client.get("/api/v1/me", headers={"X-API-Key": key})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_api_key_expiry_and_tampering(client, make_user, auth_headers):
    headers = auth_headers(make_user("qianrui"))
    key = client.post("/api/v1/me/api-keys", json={"name": "短期", "expires_days": 1}, headers=headers).json()["key"]
    forged = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    assert client.get("/api/v1/me", headers={"X-API-Key": forged}).json()["code"] == "invalid_token"
    assert client.get("/api/v1/me", headers={"X-API-Key": "not-a-key"}).status_code == 401
    clock.advance(timedelta(days=1, minutes=1))
    r = client.get("/api/v1/me", headers={"X-API-Key": key})
    assert r.status_code == 401 and r.json()["code"] == "token_expired"


def test_someone_elses_api_key_cannot_be_revoked(client, db, make_user, auth_headers):
    owner, other = make_user("kongwei"), make_user("luoyi")
    created = client.post("/api/v1/me/api-keys", json={"name": "k"}, headers=auth_headers(owner)).json()
    r = client.delete(f"/api/v1/me/api-keys/{created['id']}", headers=auth_headers(other))
    assert r.status_code == 403
    assert client.get("/api/v1/me", headers={"X-API-Key": created["key"]}).status_code == 200


def test_changing_password_ends_other_tokens(client, make_user, auth_headers):
    user = make_user("dengchao")
    old_headers, headers = auth_headers(user), auth_headers(user)
    r = client.post("/api/v1/me/password", json={"old_password": "wrong", "new_password": "Newpass2026"},
                    headers=headers)
    assert r.status_code == 422 and r.json()["field"] == "old_password"
    r = client.post("/api/v1/me/password", json={"old_password": DEFAULT_PASSWORD, "new_password": "Newpass2026"},
                    headers=headers)
    assert r.status_code == 204
    assert client.get("/api/v1/me", headers=old_headers).status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "dengchao", "password": "Newpass2026"})
    assert r.status_code == 200
