"""Apply → approve → key → rows; limits with 429 and Retry-After; rotate and revoke refuse the next call."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from zhicheng.opendata.models import Application, ResourceLimit


def test_apply_approve_key_rows(
    client, db, open_data, make_portal_user, portal_login, officer, make_user, auth_headers, departments
):
    cond = open_data["cond"]
    user = make_portal_user("scholar")
    csrf = portal_login(client, user)
    url = f"/open/datasets/{cond.id}/download.csv"
    assert client.get(url).status_code == 403  # logged in, not approved
    r = client.post(
        "/api/v1/open/applications",
        json={"resource_id": cond.id, "purpose": "短"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 422 and r.json()["field"] == "purpose"
    r = client.post(
        "/api/v1/open/applications", json={"resource_id": cond.id, "purpose": "城市人口流动研究项目"}
    )
    assert r.status_code == 403  # no CSRF token
    r = client.post(
        "/api/v1/open/applications",
        json={"resource_id": cond.id, "purpose": "城市人口流动研究项目"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    assert (
        client.post(
            "/api/v1/open/applications",
            json={"resource_id": cond.id, "purpose": "城市人口流动研究项目"},
            headers={"X-CSRF-Token": csrf},
        ).status_code
        == 409
    )
    free = open_data["free"]
    assert (
        client.post(
            "/api/v1/open/applications",
            json={"resource_id": free.id, "purpose": "城市人口流动研究项目"},
            headers={"X-CSRF-Token": csrf},
        ).status_code
        == 422
    )

    key_r = client.post("/api/v1/open/keys", json={"name": "研究用"}, headers={"X-CSRF-Token": csrf})
    assert key_r.status_code == 201
    key = key_r.json()["key"]
    assert key.startswith("zco_") and key not in client.get("/api/v1/open/keys").text

    import httpx

    anon = httpx.Client(transport=client._transport, base_url=str(client.base_url))
    assert anon.get(url, headers={"X-API-Key": key}).status_code == 403  # pending

    # another department's officer may not decide; the provider's officer does
    other = make_user("housing_o", roles=["data_officer"], department=departments["housing"])
    r = anon.post(
        f"/api/v1/open/applications/{app_id}/decision",
        json={"decision": "approve"},
        headers=auth_headers(other),
    )
    assert r.status_code == 403
    from zhicheng.accounts import service as accounts_service

    provider = accounts_service.get_user(db, officer.user_id)
    inbox = anon.get("/api/v1/open/applications/inbox", headers=auth_headers(provider)).json()["items"]
    assert [a["id"] for a in inbox] == [app_id]
    r = anon.post(
        f"/api/v1/open/applications/{app_id}/decision",
        json={"decision": "refuse"},
        headers=auth_headers(provider),
    )
    assert r.status_code == 422 and r.json()["field"] == "reason"
    r = anon.post(
        f"/api/v1/open/applications/{app_id}/decision",
        json={"decision": "approve", "reason": "同意"},
        headers=auth_headers(provider),
    )
    assert r.status_code == 200 and r.json()["state"] == "approved"

    r = anon.get(url, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    table = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(table) == 1 + len(open_data["rows"]) and all("*" in line[0] for line in table[1:])
    assert anon.get(url, headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert anon.get(url).status_code == 401
    # the portal user's own page (cookie) previews it too
    page = client.get(f"/open/datasets/{cond.id}", headers={"Accept": "text/html"})
    assert 'id="preview"' in page.text

    # rotate: the old key dies, the new one works
    key_id = key_r.json()["id"]
    rot = client.post(f"/api/v1/open/keys/{key_id}/rotate", headers={"X-CSRF-Token": csrf})
    assert rot.status_code == 201
    new_key = rot.json()["key"]
    assert anon.get(url, headers={"X-API-Key": key}).status_code == 401
    assert anon.get(url, headers={"X-API-Key": new_key}).status_code == 200
    # revoke: refused on the next call
    r = client.post(f"/api/v1/open/keys/{rot.json()['id']}/revoke", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    r = anon.get(url, headers={"X-API-Key": new_key})
    assert r.status_code == 401 and r.json()["code"] == "invalid_key"
    assert db.scalar(select(func.count(Application.id))) == 1


def test_over_the_limit_is_429_with_retry_after(client, db, open_data, approved_key):
    free, cond = open_data["free"], open_data["cond"]
    db.add(ResourceLimit(resource_id=free.id, rate_per_minute=3))
    db.commit()
    url = f"/open/datasets/{free.id}/download.json"
    for _ in range(3):
        assert client.get(url).status_code == 200
    r = client.get(url)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["code"] == "too_many_requests"
    # a key's own limit
    row = approved_key["row"]
    row.rate_per_minute = 2
    db.commit()
    url = f"/open/datasets/{cond.id}/download.csv"
    headers = {"X-API-Key": approved_key["key"]}
    assert client.get(url, headers=headers).status_code == 200
    assert client.get(url, headers=headers).status_code == 200
    r = client.get(url, headers=headers)
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_staff_limits_need_an_admin(client, open_data, staff_admin, auth_headers, officer, db):
    from zhicheng.accounts import service as accounts_service

    url = f"/api/v1/open/limits/resources/{open_data['free'].id}"
    provider = accounts_service.get_user(db, officer.user_id)
    assert client.put(url, json={"rate_per_minute": 5}, headers=auth_headers(provider)).status_code == 403
    r = client.put(url, json={"rate_per_minute": 5}, headers=auth_headers(staff_admin))
    assert r.status_code == 200
    assert db.get(ResourceLimit, open_data["free"].id).rate_per_minute == 5
    assert (
        client.put(
            f"/api/v1/open/limits/resources/{open_data['closed'].id}",
            json={"rate_per_minute": 5},
            headers=auth_headers(staff_admin),
        ).status_code
        == 404
    )
