"""The department and user admin screens: forms with labelled fields, errors beside them, changes saved."""

from __future__ import annotations

import re

from sqlalchemy import select

from zhicheng.accounts.models import Department, User


def test_department_tree_page_and_create_form(client, db, departments, make_user, login):
    csrf = login(client, make_user("admin", roles=["admin"]))
    page = client.get("/admin/departments")
    assert page.status_code == 200
    assert "长沙市人民政府" in page.text and "岳麓区人民政府" in page.text
    assert 'class="required"' in page.text and 'for="f-region_code"' in page.text
    r = client.post("/admin/departments", data={"csrf_token": csrf, "name": "长沙市交通运输局", "kind": "bureau",
                                                "region_code": "43A100", "parent_id": str(departments["city"].id)})
    assert r.status_code == 422
    assert re.search(r'id="e-region_code">[^<]*行政区划代码', r.text)
    assert 'value="长沙市交通运输局"' in r.text  # what was typed is kept
    r = client.post("/admin/departments", data={"csrf_token": csrf, "name": "长沙市交通运输局", "kind": "bureau",
                                                "region_code": "430100", "parent_id": str(departments["city"].id)},
                    follow_redirects=False)
    assert r.status_code == 303
    dept = db.scalar(select(Department).where(Department.name == "长沙市交通运输局"))
    assert dept.code == "430100-005" and dept.parent_id == departments["city"].id
    page = client.get(r.headers["location"])
    assert "部门已创建" in page.text or "长沙市交通运输局" in page.text
    r = client.post(f"/admin/departments/{dept.id}", data={"csrf_token": csrf, "name": "长沙市交通运输局",
                                                          "kind": "bureau", "region_code": "430100",
                                                          "parent_id": str(departments["city"].id),
                                                          "short_name": "市交通局", "active": "1"},
                    follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    assert db.get(Department, dept.id).short_name == "市交通局"


def test_user_admin_create_roles_password_deactivate(client, db, departments, make_user, login):
    csrf = login(client, make_user("admin", roles=["admin"]))
    assert client.get("/admin/users/new").status_code == 200
    form = {"csrf_token": csrf, "username": "zhoutao", "display_name": "周涛", "password": "abc",
            "department_id": str(departments["housing"].id), "roles": ["data_officer"]}
    r = client.post("/admin/users", data=form)
    assert r.status_code == 422 and 'id="e-password"' in r.text and "至少 8 位" in r.text
    assert db.scalar(select(User).where(User.username == "zhoutao")) is None
    r = client.post("/admin/users", data={**form, "password": "Zhoutao2026"}, follow_redirects=False)
    assert r.status_code == 303
    user = db.scalar(select(User).where(User.username == "zhoutao"))
    assert user.roles == {"data_officer"}
    page = client.get(f"/admin/users/{user.id}")
    assert page.status_code == 200 and "周涛" in page.text
    r = client.post(f"/admin/users/{user.id}/roles", data={"csrf_token": csrf, "roles": ["dept_user", "inspector"]},
                    follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/admin/users/{user.id}/roles", data={"csrf_token": csrf, "roles": ["admin", "auditor"]})
    assert r.status_code == 403  # 三员分立: the auditor role is the security admin's to grant
    r = client.post(f"/admin/users/{user.id}/active", data={"csrf_token": csrf, "active": "0"},
                    follow_redirects=False)
    assert r.status_code == 303
    db.expire_all()
    user = db.get(User, user.id)
    assert user.roles == {"dept_user", "inspector"} and user.active is False
    listing = client.get("/admin/users?q=zhou")
    assert "zhoutao" in listing.text and "已停用" in listing.text


def test_non_admin_is_refused_on_admin_pages(client, departments, make_user, login):
    csrf = login(client, make_user("plain"))
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    r = client.post("/admin/users", data={"csrf_token": csrf, "username": "x1", "display_name": "x",
                                          "password": "Abcdefg123", "department_id": str(departments["city"].id)})
    assert r.status_code == 403
    page = client.get("/admin/departments")  # reading the tree is fine, but no form to add one
    assert page.status_code == 200 and 'action="/admin/departments"' not in page.text


def test_account_page_change_password(client, make_user, login):
    csrf = login(client, make_user("yinxue"))
    r = client.post("/account/password", data={"csrf_token": csrf, "old_password": "Zhicheng2026",
                                                "new_password": "Newpass2026", "new_password2": "Other2026"})
    assert r.status_code == 422 and 'id="e-new_password2"' in r.text
    r = client.post("/account/password", data={"csrf_token": csrf, "old_password": "Zhicheng2026",
                                                "new_password": "Newpass2026", "new_password2": "Newpass2026"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/v1/me").status_code == 200  # this browser stays logged in


def test_admin_pages_in_english(client, departments, make_user, login):
    login(client, make_user("admin", roles=["admin"]))
    page = client.get("/admin/departments?lang=en")
    assert "Departments" in page.text and "Department tree" in page.text
    page = client.get("/admin/users/new?lang=en")
    assert "New user" in page.text and "Initial password" in page.text
