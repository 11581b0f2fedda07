"""`zhicheng init` and `zhicheng user ...` run as a real process against the test instance."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from zhicheng.accounts import service
from zhicheng.accounts.models import User
from zhicheng.core.errors import Unauthorized


def run(settings, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url,
               "ZHICHENG_SECRET_KEY": "test-secret-key", "COLUMNS": "200", **env}
    return subprocess.run([sys.executable, "-m", "zhicheng", *args], capture_output=True, text=True, env=environ,
                          timeout=120)


def test_init_creates_the_city_and_admin_and_the_console_cannot_add_an_auditor(settings, engine, db):
    r = run(settings, "init", "--admin", "root", ZHICHENG_ADMIN_PASSWORD="Rootpass2026")
    assert r.returncode == 0, r.stderr
    city = service.get_department_by_code(db, "430100-001")
    assert city.name == "长沙市人民政府" and city.kind == "city"
    admin = service.get_user_by_username(db, "root")
    assert admin.roles == {"admin"} and admin.password_hash.startswith("$argon2id$")
    r = run(settings, "user", "add", "shenji", "--department", "430100-001", "--role", "auditor",
            "--name", "审计员", "--password", "Audit2026x")
    assert r.returncode == 1 and "没有权限" in r.stderr  # 三员分立: the security admin's to create (test_duties)
    r = run(settings, "user", "add", "shenji", "--department", "430100-001", "--role", "dept_user",
            "--name", "审计员", "--password", "Audit2026x")
    assert r.returncode == 0, r.stderr
    assert "shenji" in r.stdout
    r = run(settings, "init", "--admin", "root", ZHICHENG_ADMIN_PASSWORD="Rootpass2026")
    assert r.returncode == 1 and "已存在" in r.stderr and "Traceback" not in r.stderr


def test_user_commands(settings, db, departments, make_user):
    make_user("zhaomin", roles=["dept_user"], department=departments["police"])
    code = departments["police"].code
    r = run(settings, "user", "list", "--department", code)
    assert r.returncode == 0 and "zhaomin" in r.stdout
    r = run(settings, "user", "roles", "zhaomin", "--set", "operator", "--set", "leader")
    assert r.returncode == 0, r.stderr
    r = run(settings, "user", "passwd", "zhaomin", "--password", "Changed2026")
    assert r.returncode == 0, r.stderr
    db.expire_all()
    user = db.scalar(select(User).where(User.username == "zhaomin"))
    assert user.roles == {"operator", "leader"}
    assert service.authenticate(db, username="zhaomin", password="Changed2026").id == user.id


def test_cli_errors_are_one_line_and_exit_1(settings, db, departments, make_user):
    make_user("qinlan")
    cases = [
        ("user", "add", "x1", "--department", "000000-001", "--password", "Abcdef1234"),
        ("user", "add", "x2", "--department", departments["city"].code, "--role", "boss", "--password", "Abcdef1234"),
        ("user", "add", "x3", "--department", departments["city"].code, "--password", "short"),
        ("user", "add", "qinlan", "--department", departments["city"].code, "--password", "Abcdef1234"),
        ("user", "unlock", "nobody"),
        ("user", "roles", "qinlan", "--set", "admin,auditor"),
    ]
    for args in cases:
        r = run(settings, *args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    assert db.scalar(select(User).where(User.username.in_(["x1", "x2", "x3"]))) is None


def test_unlock_from_the_cli(settings, db, make_user):
    user = make_user("linfeng")
    for _ in range(settings.login_max_failures):
        with pytest.raises(Unauthorized):
            service.authenticate(db, username="linfeng", password="Wrong12345", settings=settings)
    assert service.is_locked(db.get(User, user.id))
    r = run(settings, "user", "unlock", "linfeng")
    assert r.returncode == 0, r.stderr
    db.expire_all()
    assert not service.is_locked(db.get(User, user.id))
