"""Fixtures of the accounts domain other tests use: a small real department tree, users, tokens and logins."""

from __future__ import annotations

import re

import pytest
from argon2 import Parameters, Type
from argon2.profiles import RFC_9106_LOW_MEMORY

from zhicheng.accounts import security, service
from zhicheng.core.actor import SYSTEM

DEFAULT_PASSWORD = "Zhicheng2026"
TEST_ARGON2 = Parameters(type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=1, memory_cost=1024,
                         parallelism=1)


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing():
    """Argon2id with light parameters in tests (real Argon2id hashes, 1 MiB instead of 64 MiB)."""
    security.use_parameters(TEST_ARGON2)
    yield
    security.use_parameters(RFC_9106_LOW_MEMORY)


@pytest.fixture
def departments(db) -> dict:
    """长沙市人民政府 (430100) with three bureaus, and 岳麓区人民政府 (430104) under it."""
    city = service.create_department(db, actor=SYSTEM, name="长沙市人民政府", kind="city", region_code="430100",
                                     name_en="Changsha Municipal People's Government")
    data_bureau = service.create_department(db, actor=SYSTEM, name="长沙市数据资源局", kind="bureau",
                                            region_code="430100", parent_id=city.id,
                                            name_en="Changsha Data Resources Bureau")
    police = service.create_department(db, actor=SYSTEM, name="长沙市公安局", kind="bureau", region_code="430100",
                                       parent_id=city.id, name_en="Changsha Public Security Bureau")
    housing = service.create_department(db, actor=SYSTEM, name="长沙市住房和城乡建设局", kind="bureau",
                                        region_code="430100", parent_id=city.id,
                                        name_en="Changsha Housing and Urban-Rural Development Bureau")
    district = service.create_department(db, actor=SYSTEM, name="岳麓区人民政府", kind="district",
                                         region_code="430104", parent_id=city.id,
                                         name_en="Yuelu District People's Government")
    return {"city": city, "data_bureau": data_bureau, "police": police, "housing": housing, "district": district}


@pytest.fixture
def make_user(db, departments):
    """make_user("name", roles=[...], department=dept, password=...) -> User (department: the data bureau)."""

    def make(username: str, *, roles=("dept_user",), department=None, password: str = DEFAULT_PASSWORD,
             display_name: str | None = None):
        dept = department or departments["data_bureau"]
        return service.create_user(db, actor=SYSTEM, username=username, password=password,
                                   display_name=display_name or username, department_id=dept.id, roles=list(roles))

    return make


@pytest.fixture
def auth_headers(db, settings):
    """auth_headers(user) -> {"Authorization": "Bearer <a fresh token>"}."""

    def headers(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {service.issue_token(db, user=user, settings=settings)}"}

    return headers


def page_csrf(html: str) -> str:
    """The CSRF token a page carries (its <meta name="csrf-token"> or a hidden csrf_token field)."""
    found = re.search(r'name="csrf-token"\s+content="([^"]+)"', html) or re.search(
        r'name="csrf_token"\s+value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def login():
    """login(client, user, password) logs the TestClient in through the form; returns the session's CSRF token."""

    def do_login(client, user, password: str = DEFAULT_PASSWORD) -> str:
        form = client.get("/login")
        assert form.status_code == 200, form.text
        r = client.post("/login", data={"username": user.username, "password": password,
                                        "csrf_token": page_csrf(form.text), "next": "/"},
                        follow_redirects=False)
        assert r.status_code == 303, r.text
        me = client.get("/api/v1/me")
        assert me.status_code == 200, me.text
        return me.json()["csrf_token"]

    return do_login
