"""三员分立: the system admin cannot become the auditor, through the API, the pages or the console; the security
admin manages the duties' accounts; every such change, and every refused attempt, is shown to the auditor."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from zhicheng.accounts import service
from zhicheng.accounts.models import User
from zhicheng.core.errors import Forbidden, Invalid


@pytest.fixture
def three(make_user):
    """The three duties, each its own account."""
    return {"admin": make_user("zhou_admin", roles=["admin"]),
            "security_admin": make_user("sun_secadmin", roles=["security_admin"]),
            "auditor": make_user("zhao_auditor", roles=["auditor"])}


def problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def test_the_admin_cannot_become_the_auditor_through_the_api(client, departments, three, auth_headers, db):
    admin, auditor = three["admin"], three["auditor"]
    h = auth_headers(admin)
    # the attack of the issue, step by step: a second auditor account, the real auditor's password, then the log
    r = client.post("/api/v1/users", headers=h, json={
        "username": "shadow", "password": "Shadow2026x", "display_name": "影子审计员",
        "department_id": departments["data_bureau"].id, "roles": ["auditor"]})
    assert problem(r, 403)["code"] == "forbidden"
    assert db.scalar(select(User).where(User.username == "shadow")) is None
    r = client.post(f"/api/v1/users/{auditor.id}/reset-password", headers=h, json={"new_password": "Taken2026x"})
    problem(r, 403)
    assert client.post("/api/v1/auth/token", json={"username": "zhao_auditor",
                                                   "password": "Taken2026x"}).status_code == 401
    problem(client.put(f"/api/v1/users/{admin.id}/roles", headers=h, json={"roles": ["admin", "auditor"]}), 403)
    problem(client.put(f"/api/v1/users/{admin.id}/roles", headers=h, json={"roles": ["auditor"]}), 403)
    problem(client.put(f"/api/v1/users/{admin.id}/roles", headers=h, json={"roles": ["admin", "security_admin"]}), 403)
    problem(client.delete(f"/api/v1/users/{auditor.id}", headers=h), 403)
    problem(client.post(f"/api/v1/users/{auditor.id}/unlock", headers=h), 403)
    problem(client.patch(f"/api/v1/users/{auditor.id}", headers=h, json={"email": "me@evil.example"}), 403)
    problem(client.put(f"/api/v1/users/{three['security_admin'].id}/roles", headers=h, json={"roles": []}), 403)
    problem(client.get("/api/v1/audit", headers=h), 403)
    db.expire_all()
    assert db.get(User, admin.id).roles == {"admin"} and db.get(User, auditor.id).active
    # the auditor sees every refused attempt, in Chinese
    entries = client.get("/api/v1/audit?outcome=denied&actor=zhou_admin", headers=auth_headers(auditor)).json()
    actions = {e["action"] for e in entries["items"]}
    assert "授予角色 · 用户" in {e["action_label"] for e in entries["items"]}
    assert {"create", "reset_password", "grant_role", "revoke_role", "deactivate", "unlock", "update"} <= actions
    page = client.get("/audit?outcome=denied", headers=auth_headers(auditor))
    assert page.status_code == 200 and "授予角色" in page.text and "重置密码" in page.text


def test_the_admin_still_manages_ordinary_accounts(client, departments, three, auth_headers):
    h = auth_headers(three["admin"])
    r = client.post("/api/v1/users", headers=h, json={
        "username": "liqiang", "password": "Liqiang2026", "display_name": "李强",
        "department_id": departments["police"].id, "roles": ["data_officer"]})
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    assert client.put(f"/api/v1/users/{uid}/roles", headers=h, json={"roles": ["dept_user"]}).status_code == 200
    assert client.post(f"/api/v1/users/{uid}/reset-password", headers=h,
                       json={"new_password": "Reset2026x"}).status_code == 204


def test_the_security_admin_creates_the_auditor_but_takes_no_second_duty(client, departments, three, auth_headers,
                                                                         db):
    sec = three["security_admin"]
    h = auth_headers(sec)
    r = client.post("/api/v1/users", headers=h, json={
        "username": "qian_auditor", "password": "Qian2026xx", "display_name": "钱审计",
        "department_id": departments["data_bureau"].id, "roles": ["auditor"]})
    assert r.status_code == 201, r.text
    new_auditor = r.json()["id"]
    assert client.post(f"/api/v1/users/{three['auditor'].id}/reset-password", headers=h,
                       json={"new_password": "Fresh2026x"}).status_code == 204
    # one account, one duty: not for others, not for themself
    body = problem(client.put(f"/api/v1/users/{new_auditor}/roles", headers=h,
                              json={"roles": ["auditor", "admin"]}), 422)
    assert body["field"] == "roles" and "三员分立" in body["detail"]
    problem(client.put(f"/api/v1/users/{sec.id}/roles", headers=h, json={"roles": ["security_admin", "auditor"]}),
            403)
    problem(client.put(f"/api/v1/users/{sec.id}/roles", headers=h, json={"roles": ["auditor"]}), 403)
    # the auditor reads who gave the role and whose password was reset
    items = client.get("/api/v1/audit?actor=sun_secadmin", headers=auth_headers(three["auditor"])).json()["items"]
    done = {(e["action"], e["outcome"]) for e in items}
    assert {("create", "ok"), ("reset_password", "ok"), ("grant_role", "denied")} <= done
    created = next(e for e in items if e["action"] == "create" and e["outcome"] == "ok")
    assert created["detail"]["roles"] == ["auditor"]


def test_one_account_never_holds_two_duties(db, three, departments):
    with pytest.raises(Invalid) as err:
        service.create_user(db, actor=service.actor_for(three["security_admin"]), username="both",
                            password="Both2026xx", display_name="两职", department_id=departments["city"].id,
                            roles=["security_admin", "auditor"])
    assert err.value.field == "roles"
    with pytest.raises(Forbidden):
        service.set_roles(db, actor=service.actor_for(three["admin"]), id=three["admin"].id,
                          roles=["admin", "auditor"])


def test_the_pages_refuse_the_admin_too(client, departments, three, login, db):
    csrf = login(client, three["admin"])
    r = client.post("/admin/users", data={"csrf_token": csrf, "username": "shadow", "display_name": "影子",
                                          "department_id": str(departments["city"].id), "password": "Shadow2026x",
                                          "roles": ["auditor"]})
    assert r.status_code == 403
    r = client.post(f"/admin/users/{three['auditor'].id}/password",
                    data={"csrf_token": csrf, "new_password": "Taken2026x"})
    assert r.status_code == 403
    r = client.post(f"/admin/users/{three['admin'].id}/roles", data={"csrf_token": csrf, "roles": ["admin", "auditor"]})
    assert r.status_code == 403
    page = client.get(f"/admin/users/{three['auditor'].id}")
    assert page.status_code == 200 and "重置密码" not in page.text  # no form for what the admin may not do
    form = client.get("/admin/users/new")
    assert 'value="auditor" disabled' in form.text and "三员分立" in form.text
    assert db.scalar(select(User).where(User.username == "shadow")) is None


def test_the_security_admin_page_gives_the_auditor_role(client, departments, three, login, make_user, db):
    officer = make_user("xu_officer", roles=["data_officer"])
    csrf = login(client, three["security_admin"])
    assert "/admin/users" in client.get("/").text  # the shell shows them the users
    page = client.get(f"/admin/users/{officer.id}")
    assert page.status_code == 200 and "保存角色" in page.text and "重置密码" not in page.text
    r = client.post(f"/admin/users/{officer.id}/roles", data={"csrf_token": csrf, "roles": ["auditor"]},
                    follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    assert db.get(User, officer.id).roles == {"auditor"}


def run(settings, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url,
               "ZHICHENG_SECRET_KEY": "test-secret-key", "COLUMNS": "200", **env}
    return subprocess.run([sys.executable, "-m", "zhicheng", *args], capture_output=True, text=True, env=environ,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_init_creates_the_three_duties_and_the_console_is_the_system_admin(settings, engine, db):
    r = run(settings, "init", "--admin", "root", "--security-admin", "anquan", "--auditor", "shenji",
            ZHICHENG_ADMIN_PASSWORD="Rootpass2026", ZHICHENG_SECURITY_ADMIN_PASSWORD="Anquan2026x",
            ZHICHENG_AUDITOR_PASSWORD="Shenji2026x")
    assert r.returncode == 0, r.stderr
    roles = {u.username: u.roles for u in db.scalars(select(User))}
    assert roles == {"root": {"admin"}, "anquan": {"security_admin"}, "shenji": {"auditor"}}
    city = service.get_department_by_code(db, "430100-001").code
    # at the console the operator is the system administrator: no auditor, no auditor's password, no self-grant
    for args in (("user", "add", "shadow", "-d", city, "--role", "auditor", "--password", "Shadow2026x"),
                 ("user", "passwd", "shenji", "--password", "Taken2026x"),
                 ("user", "roles", "root", "--set", "admin,auditor"),
                 ("user", "deactivate", "anquan")):
        r = run(settings, *args)
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
        assert "没有权限" in r.stderr and "Traceback" not in r.stderr
    # the security admin, with their password, may
    r = run(settings, "user", "--as", "anquan", "add", "shenji2", "-d", city, "--role", "auditor",
            "--password", "Shenji2026y", ZHICHENG_AS_PASSWORD="Anquan2026x")
    assert r.returncode == 0, r.stderr
    r = run(settings, "user", "--as", "anquan", "passwd", "shenji", "--password", "Again2026x",
            ZHICHENG_AS_PASSWORD="wrong-password1")
    assert r.returncode == 1 and "用户名或密码错误" in r.stderr
    db.expire_all()
    assert db.scalar(select(User).where(User.username == "shenji2")).roles == {"auditor"}
    assert service.authenticate(db, username="shenji", password="Shenji2026x").username == "shenji"
    # a second init names no second security admin
    r = run(settings, "init", "--admin", "root", "--security-admin", "anquan2", ZHICHENG_ADMIN_PASSWORD="x",
            ZHICHENG_SECURITY_ADMIN_PASSWORD="Anquan2026y")
    assert r.returncode == 1 and "已有安全管理员" in r.stderr


def test_the_demo_has_three_duty_accounts():
    from zhicheng.demo import city

    duties = {spec.username: spec.roles for spec in city.USERS if {"admin", "security_admin", "auditor"} & set(spec.roles)}
    assert duties == {"admin": ("admin",), "security_admin": ("security_admin",), "auditor": ("auditor",)}
