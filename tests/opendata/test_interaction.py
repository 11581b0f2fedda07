"""Ratings, comments (moderated, limited, escaped), data requests answered publicly, the app showcase."""

from __future__ import annotations

from sqlalchemy import func, select

from zhicheng.accounts import service as accounts_service
from zhicheng.opendata.interaction.models import Comment, DataRequest, ShowcaseApp

HTML = {"Accept": "text/html"}
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_comments_are_moderated_escaped_and_limited(
    client, db, open_data, make_portal_user, portal_login, officer, auth_headers
):
    free = open_data["free"]
    user = make_portal_user("commenter")
    csrf = portal_login(client, user)
    h = {"X-CSRF-Token": csrf}

    def post(text):
        return client.post(
            "/api/v1/open/comments",
            json={"resource_id": free.id, "body": text},
            headers=h,
        )

    assert post("x").status_code == 422
    assert post("长" * 1001).status_code == 422
    assert post("bad\x00byte").status_code == 422
    r = post(XSS)
    assert r.status_code == 201 and r.json()["state"] == "pending"
    assert post(XSS).status_code == 409  # the same text twice
    assert "onerror" not in client.get(f"/open/datasets/{free.id}", headers=HTML).text  # pending: not shown
    assert post("数据很有用，谢谢").status_code == 201
    assert post("希望按月更新").status_code == 201
    r = post("第四条评论")
    assert r.status_code == 429 and r.headers["Retry-After"]
    assert db.scalar(select(func.count(Comment.id))) == 3

    provider = accounts_service.get_user(db, officer.user_id)
    pending = client.get("/api/v1/open/comments/pending", headers=auth_headers(provider)).json()["items"]
    assert len(pending) == 3
    xss_id = next(c["id"] for c in pending if "script" in c["body"])
    r = client.post(
        f"/api/v1/open/comments/{xss_id}/moderation",
        json={"decision": "approve"},
        headers=auth_headers(provider),
    )
    assert r.status_code == 200
    assert (
        client.post(
            f"/api/v1/open/comments/{xss_id}/moderation",
            json={"decision": "approve"},
            headers=auth_headers(provider),
        ).status_code
        == 409
    )
    page = client.get(f"/open/datasets/{free.id}", headers=HTML).text
    assert XSS not in page and "&lt;script&gt;alert(" in page
    shown = client.get("/api/v1/open/comments", params={"resource_id": free.id}).json()["items"]
    assert [c["id"] for c in shown] == [xss_id]


def test_comment_needs_a_portal_login(client, open_data):
    r = client.post("/api/v1/open/comments", json={"resource_id": open_data["free"].id, "body": "匿名评论"})
    assert r.status_code in (401, 403)


def test_ratings(client, open_data, make_portal_user, portal_login):
    free = open_data["free"]
    csrf = portal_login(client, make_portal_user("rater"))
    h = {"X-CSRF-Token": csrf}
    assert (
        client.post("/api/v1/open/ratings", json={"resource_id": free.id, "stars": 6}, headers=h).status_code
        == 422
    )
    assert client.post(
        "/api/v1/open/ratings", json={"resource_id": free.id, "stars": 2}, headers=h
    ).json() == {"average": 2.0, "count": 1}
    assert client.post(
        "/api/v1/open/ratings", json={"resource_id": free.id, "stars": 4}, headers=h
    ).json() == {"average": 4.0, "count": 1}
    r = client.post(
        "/api/v1/open/ratings", json={"resource_id": open_data["closed"].id, "stars": 4}, headers=h
    )
    assert r.status_code == 404


def test_data_requests_answered_publicly(
    client, db, open_data, make_portal_user, portal_login, officer, auth_headers, departments, make_user
):
    csrf = portal_login(client, make_portal_user("asker"))
    h = {"X-CSRF-Token": csrf}
    police = departments["police"].id
    r = client.post(
        "/api/v1/open/requests",
        json={"title": "公交实时到站", "description": "希望开放公交车实时到站数据", "department_id": police},
        headers=h,
    )
    assert r.status_code == 201
    req_id = r.json()["id"]
    assert (
        client.post(
            "/api/v1/open/requests", json={"title": "x", "description": "太短"}, headers=h
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/open/requests",
            json={"title": "有效标题", "description": "有效的需求说明文字，足够长", "department_id": 999999},
            headers=h,
        ).status_code
        == 404
    )
    other = make_user("housing_o2", roles=["data_officer"], department=departments["housing"])
    r = client.post(
        f"/api/v1/open/requests/{req_id}/answer", json={"answer": "不归我们"}, headers=auth_headers(other)
    )
    assert r.status_code == 403
    provider = accounts_service.get_user(db, officer.user_id)
    r = client.post(
        f"/api/v1/open/requests/{req_id}/answer",
        json={"answer": "计划于下季度开放"},
        headers=auth_headers(provider),
    )
    assert r.status_code == 200 and r.json()["state"] == "answered"
    page = client.get("/open/requests", headers=HTML).text
    assert "公交实时到站" in page and "计划于下季度开放" in page
    assert db.scalar(select(func.count(DataRequest.id))) == 1


def test_showcase_submitted_reviewed_shown(
    client, db, open_data, make_portal_user, portal_login, staff_admin, auth_headers, officer
):
    csrf = portal_login(client, make_portal_user("dev"))
    h = {"X-CSRF-Token": csrf}
    good = {
        "name": "社区人口地图",
        "description": "用开放数据绘制的社区人口地图",
        "url": "https://example.cn/map",
        "resource_ids": [open_data["free"].id],
    }
    for bad in (
        {**good, "url": "javascript:alert(1)"},
        {**good, "url": 'https://a.cn/x"onmouseover=1'},
        {**good, "resource_ids": [open_data["closed"].id]},
        {**good, "name": "x"},
    ):
        assert client.post("/api/v1/open/apps", json=bad, headers=h).status_code in (404, 422), bad
    r = client.post("/api/v1/open/apps", json=good, headers=h)
    assert r.status_code == 201
    app_id = r.json()["id"]
    assert client.get("/api/v1/open/apps").json()["items"] == []
    provider = accounts_service.get_user(db, officer.user_id)
    assert (
        client.post(
            f"/api/v1/open/apps/{app_id}/review", json={"decision": "show"}, headers=auth_headers(provider)
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/v1/open/apps/{app_id}/review", json={"decision": "show"}, headers=auth_headers(staff_admin)
        ).status_code
        == 200
    )
    assert [a["id"] for a in client.get("/api/v1/open/apps").json()["items"]] == [app_id]
    assert "社区人口地图" in client.get("/open/apps", headers=HTML).text
    assert db.scalar(select(func.count(ShowcaseApp.id))) == 1


def test_staff_page_decides_applications(client, db, open_data, make_portal_user, login, officer):
    from zhicheng.opendata import service

    user = make_portal_user("applicant")
    app = service.apply(db, user=user, resource_id=open_data["cond"].id, purpose="交通规划研究需要人员分布")
    provider = accounts_service.get_user(db, officer.user_id)
    from tests.helpers.accounts import DEFAULT_PASSWORD

    csrf = login(client, provider, DEFAULT_PASSWORD)
    page = client.get("/open/admin", headers=HTML)
    assert page.status_code == 200 and "交通规划研究需要人员分布" in page.text
    r = client.post(
        f"/open/admin/applications/{app.id}",
        data={"decision": "refuse", "reason": "", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    assert db.get(type(app), app.id).state == "pending"  # refusal without a reason changes nothing
    r = client.post(
        f"/open/admin/applications/{app.id}",
        data={"decision": "refuse", "reason": "用途不符", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    got = db.get(type(app), app.id)
    assert got.state == "refused" and got.reason == "用途不符"


def test_comments_are_limited_per_ip_too(db, open_data, make_portal_user):
    import pytest

    from zhicheng.core.errors import TooMany
    from zhicheng.opendata.interaction import service as interaction

    users = [make_portal_user(f"spam{i}") for i in range(4)]
    n = 0
    for user in users:
        for _ in range(interaction.COMMENTS_PER_USER):
            if n == interaction.COMMENTS_PER_IP:
                break
            interaction.add_comment(
                db, user=user, resource_id=open_data["free"].id, body=f"评论{n}", ip="10.9.9.9"
            )
            n += 1
    with pytest.raises(TooMany):
        interaction.add_comment(
            db, user=users[-1], resource_id=open_data["free"].id, body="又一条", ip="10.9.9.9"
        )
    assert db.scalar(select(func.count(Comment.id))) == interaction.COMMENTS_PER_IP
