"""Departments and users through the API: the tree, CRUD, roles, and who may do what."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.helpers.accounts import DEFAULT_PASSWORD
from zhicheng.accounts.models import Department, User
from zhicheng.policy.models import AuditEntry


def test_department_tree_and_codes(client, departments, make_user, auth_headers):
    headers = auth_headers(make_user("reader"))
    assert departments["city"].code == "430100-001"
    assert departments["housing"].code == "430100-004"
    assert departments["district"].code == "430104-001"
    tree = client.get("/api/v1/departments/tree", headers=headers).json()
    assert [n["name"] for n in tree] == ["长沙市人民政府"]
    assert {c["name"] for c in tree[0]["children"]} == {"长沙市数据资源局", "长沙市公安局", "长沙市住房和城乡建设局",
                                                        "岳麓区人民政府"}
    flat = client.get("/api/v1/departments", headers=headers).json()
    assert len(flat) == 5
    assert client.get("/api/v1/departments").status_code == 401


def test_admin_creates_updates_and_deletes_a_department(client, db, departments, make_user, auth_headers):
    headers = auth_headers(make_user("admin", roles=["admin"]))
    r = client.post("/api/v1/departments", headers=headers, json={
        "name": "岳麓区橘子洲街道办事处", "kind": "street", "region_code": "430104",
        "parent_id": departments["district"].id})
    assert r.status_code == 201, r.text
    street = r.json()
    assert street["code"] == "430104-002"
    r = client.patch(f"/api/v1/departments/{street['id']}", headers=headers, json={"short_name": "橘子洲街道"})
    assert r.status_code == 200 and r.json()["short_name"] == "橘子洲街道"
    # a department cannot move under its own child
    r = client.patch(f"/api/v1/departments/{departments['district'].id}", headers=headers,
                     json={"parent_id": street["id"]})
    assert r.status_code == 422 and r.json()["field"] == "parent_id"
    # the city has children: it cannot be deleted
    assert client.delete(f"/api/v1/departments/{departments['city'].id}", headers=headers).status_code == 409
    assert client.delete(f"/api/v1/departments/{street['id']}", headers=headers).status_code == 204
    assert db.get(Department, street["id"]) is None
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_kind == "accounts.department",
                                                         AuditEntry.target_id == str(street["id"]))).all()
    assert actions == ["create", "update", "delete"]


def test_bad_department_input_names_the_field(client, departments, make_user, auth_headers):
    headers = auth_headers(make_user("admin", roles=["admin"]))
    cases = [({"name": "x", "kind": "bureau", "region_code": "43010"}, "region_code"),
             ({"name": "x", "kind": "bureau", "region_code": "999999"}, "region_code"),
             ({"name": "x", "kind": "ministry", "region_code": "430100"}, "kind"),
             ({"name": "x", "kind": "bureau", "region_code": "430100", "parent_id": 99999}, "parent_id"),
             ({"name": "x", "kind": "bureau", "region_code": "430100", "code": departments["city"].code}, "code"),
             ({"name": "   ", "kind": "bureau", "region_code": "430100"}, "name")]
    for body, field in cases:
        r = client.post("/api/v1/departments", headers=headers, json=body)
        assert r.status_code in (409, 422), (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["field"] == field, (body, r.json())


def test_non_admin_cannot_create_users_or_departments(client, db, departments, make_user, auth_headers):
    officer = make_user("officer", roles=["data_officer"])
    headers = auth_headers(officer)
    before = db.scalar(select(func.count()).select_from(User))
    r = client.post("/api/v1/users", headers=headers, json={
        "username": "newbie", "password": "Newbie2026", "display_name": "新人",
        "department_id": departments["data_bureau"].id, "roles": ["admin"]})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    r = client.post("/api/v1/departments", headers=headers, json={"name": "x", "kind": "bureau",
                                                                   "region_code": "430100"})
    assert r.status_code == 403
    r = client.put(f"/api/v1/users/{officer.id}/roles", headers=headers, json={"roles": ["admin"]})
    assert r.status_code == 403
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(User)) == before
    assert db.get(User, officer.id).roles == {"data_officer"}


def test_admin_manages_users(client, db, departments, make_user, auth_headers):
    admin = make_user("admin", roles=["admin"])
    headers = auth_headers(admin)
    r = client.post("/api/v1/users", headers=headers, json={
        "username": "liqiang", "password": "Liqiang2026", "display_name": "李强",
        "department_id": departments["police"].id, "roles": ["data_officer"]})
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    assert r.json()["department_code"] == departments["police"].code and "password_hash" not in r.json()
    r = client.post("/api/v1/users", headers=headers, json={
        "username": "LiQiang", "password": "Liqiang2026", "display_name": "重名", "department_id":
            departments["police"].id})
    assert r.status_code == 409 and r.json()["field"] == "username"
    r = client.put(f"/api/v1/users/{uid}/roles", headers=headers, json={"roles": ["dept_user", "leader"]})
    assert r.json()["roles"] == ["dept_user", "leader"]
    r = client.put(f"/api/v1/users/{uid}/roles", headers=headers, json={"roles": ["superuser"]})
    assert r.status_code == 422 and r.json()["field"] == "roles"
    r = client.put(f"/api/v1/users/{uid}/roles", headers=headers, json={"roles": ["admin", "auditor"]})
    assert r.status_code == 403  # 三员分立: the auditor role is the security admin's to grant
    r = client.patch(f"/api/v1/users/{uid}", headers=headers, json={"display_name": "李强（治安）",
                                                                     "department_id": departments["city"].id})
    assert r.json()["display_name"] == "李强（治安）" and r.json()["department_id"] == departments["city"].id
    r = client.post(f"/api/v1/users/{uid}/reset-password", headers=headers, json={"new_password": "short"})
    assert r.status_code == 422 and r.json()["field"] == "new_password"
    r = client.post(f"/api/v1/users/{uid}/reset-password", headers=headers, json={"new_password": "Reset2026x"})
    assert r.status_code == 204
    assert client.post("/api/v1/auth/token", json={"username": "liqiang", "password": "Reset2026x"}).status_code == 200
    listed = client.get("/api/v1/users?q=李强", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["username"] == "liqiang"
    # the admin cannot lock themselves out of administration
    r = client.put(f"/api/v1/users/{admin.id}/roles", headers=headers, json={"roles": ["dept_user"]})
    assert r.status_code == 422
    assert client.delete(f"/api/v1/users/{admin.id}", headers=headers).status_code == 422


def test_data_officer_sees_only_their_department(client, departments, make_user, auth_headers):
    officer = make_user("officer", roles=["data_officer"], department=departments["police"])
    make_user("colleague", department=departments["police"])
    outsider = make_user("outsider", department=departments["housing"])
    headers = auth_headers(officer)
    listed = client.get("/api/v1/users", headers=headers).json()
    assert {u["username"] for u in listed["items"]} == {"officer", "colleague"}
    assert client.get(f"/api/v1/users/{outsider.id}", headers=headers).status_code == 403
    plain = auth_headers(make_user("plain"))
    assert client.get("/api/v1/users", headers=plain).status_code == 403
    assert client.get(f"/api/v1/users/{outsider.id}", headers=auth_headers(outsider)).status_code == 200


def test_logins_are_audited(client, db, make_user):
    user = make_user("wuxia")
    client.post("/api/v1/auth/token", json={"username": "wuxia", "password": DEFAULT_PASSWORD})
    client.post("/api/v1/auth/token", json={"username": "ghost", "password": DEFAULT_PASSWORD})
    rows = db.execute(select(AuditEntry.outcome, AuditEntry.actor_username, AuditEntry.target_id)
                      .where(AuditEntry.action == "login").order_by(AuditEntry.seq)).all()
    assert [tuple(r) for r in rows] == [("ok", "wuxia", str(user.id)), ("failed", None, None)]


def test_concurrent_department_creation_gets_distinct_codes(engine, departments):
    from concurrent.futures import ThreadPoolExecutor

    from zhicheng.accounts import service
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_sessionmaker

    factory = make_sessionmaker(engine)

    def create(i: int) -> str:
        with factory() as session:
            return service.create_department(session, actor=SYSTEM, name=f"长沙市第{i}局", kind="bureau",
                                             region_code="430100").code

    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(create, range(8)))
    assert sorted(codes) == [f"430100-{n:03d}" for n in range(5, 13)]
