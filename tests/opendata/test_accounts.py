"""Portal registration and login: identity numbers checked (GB 11643 / GB 32100), stored encrypted, shown masked."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.opendata.fixtures import PASSWORD, cid
from zhicheng.core.ids import credit_code
from zhicheng.opendata.users.models import PortalUser

HTML = {"Accept": "text/html"}


def body(**kw) -> dict:
    data = {
        "kind": "citizen",
        "username": "liming",
        "password": PASSWORD,
        "display_name": "李明",
        "id_number": cid(7),
        "phone": "13912345678",
    }
    data.update(kw)
    return data


def test_register_citizen_and_enterprise(client, db):
    r = client.post("/api/v1/open/account/register", json=body())
    assert r.status_code == 201, r.text
    number = cid(7)
    assert r.json()["id_number"] == number[:4] + "*" * 10 + number[-4:]  # the masking rule in force
    assert r.json()["phone"] == "139****5678"
    row = db.scalar(select(PortalUser).where(PortalUser.username == "liming"))
    assert number not in (row.id_encrypted + row.id_digest + row.id_masked)
    assert row.password_hash.startswith("$argon2id$")
    code = credit_code.make("9", "1", "430100", "MA4L0000")
    r = client.post(
        "/api/v1/open/account/register",
        json=body(kind="enterprise", username="acme", id_number=code, display_name="长沙示例科技有限公司"),
    )
    assert r.status_code == 201, r.text
    assert code not in r.text


def test_bad_identities_are_rejected_and_nothing_is_stored(client, db):
    good = cid(8)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    cases = [
        body(id_number=wrong_check),
        body(id_number="12345"),
        body(id_number="43010419990231001X"),
        body(id_number="<script>"),
        body(kind="enterprise", id_number="91430100MA4L00000X"),
        body(kind="alien"),
        body(username="1bad"),
        body(phone="12345"),
        body(phone="", email=""),
        body(password="short"),
        body(display_name=""),
        body(email="not-an-email"),
    ]
    for data in cases:
        r = client.post("/api/v1/open/account/register", json=data)
        assert r.status_code == 422, (data, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"], r.json()
    assert db.scalar(select(func.count(PortalUser.id))) == 0
    r = client.post("/api/v1/open/account/register", json=body(unexpected="x"))
    assert r.status_code == 422


def test_same_identity_or_username_twice_conflicts(client):
    assert client.post("/api/v1/open/account/register", json=body()).status_code == 201
    assert client.post("/api/v1/open/account/register", json=body(username="other")).status_code == 409
    assert client.post("/api/v1/open/account/register", json=body(id_number=cid(9))).status_code == 409


def test_register_page_logs_in_and_shows_masked_id(client):
    page = client.get("/open/register", headers=HTML)
    assert page.status_code == 200
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    bad = client.post(
        "/open/register", data={**body(id_number="430104199001011234"), "csrf_token": token}, headers=HTML
    )
    assert bad.status_code == 422 and "校验码" in bad.text
    r = client.post("/open/register", data={**body(), "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/open/me"
    me = client.get("/open/me", headers=HTML)
    assert me.status_code == 200
    assert cid(7) not in me.text and cid(7)[:4] + "*" * 10 in me.text
    # the staff pages do not know this user
    assert client.get("/api/v1/me").status_code == 401


def test_login_lockout_and_csrf(client, make_portal_user, settings):
    user = make_portal_user("wangwu")
    for _ in range(settings.login_max_failures):
        r = client.post("/api/v1/open/account/login", json={"username": "wangwu", "password": "Wrong12345"})
        assert r.status_code == 401
    r = client.post("/api/v1/open/account/login", json={"username": "wangwu", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert user.id
    # a page form without the CSRF token is refused
    r = client.post("/open/login", data={"username": "wangwu", "password": PASSWORD})
    assert r.status_code == 403
