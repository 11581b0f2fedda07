"""Settings come from the environment and a TOML file; errors become problem+json with the field at fault."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from zhicheng.core.errors import Conflict, Invalid
from zhicheng.core.events import EventBus
from zhicheng.core.settings import Settings


def test_environment_and_toml(tmp_path, monkeypatch):
    toml = tmp_path / "zhicheng.toml"
    toml.write_text('port = 9100\ncity_name = "岳阳市"\n', encoding="utf-8")
    monkeypatch.setenv("ZHICHENG_CONFIG", str(toml))
    monkeypatch.setenv("ZHICHENG_PORT", "9200")  # the environment beats the file
    monkeypatch.setenv("ZHICHENG_DATA", str(tmp_path / "d"))
    s = Settings()
    assert s.port == 9200
    assert s.city_name == "岳阳市"
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("d/zhicheng.db")


def test_secret_key_is_created_once_and_kept(tmp_path):
    s = Settings(data=tmp_path)
    first = s.signing_key()
    assert len(first) > 40
    assert Settings(data=tmp_path).signing_key() == first
    assert oct((tmp_path / "secret.key").stat().st_mode)[-3:] == "600"


def test_sqlite_runs_in_wal_with_foreign_keys(engine, settings):
    if not settings.is_sqlite:
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


class Body(BaseModel):
    count: int


def _app_raising(exc):
    from zhicheng.web import errors

    app = FastAPI()
    errors.install(app)

    @app.get("/api/boom")
    def boom():
        raise exc

    @app.post("/api/body")
    def body(b: Body):
        return b

    @app.get("/api/crash")
    def crash():
        raise RuntimeError("secret internals")

    from types import SimpleNamespace

    app.state.settings = SimpleNamespace(language="zh-CN")
    return app


def test_app_error_is_problem_json_in_chinese_then_english():
    c = TestClient(_app_raising(Conflict("编码已存在", "code exists", field="code")))
    r = c.get("/api/boom")
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "编码已存在" and r.json()["field"] == "code"
    assert c.get("/api/boom?lang=en").json()["detail"] == "code exists"


def test_validation_error_names_the_field():
    c = TestClient(_app_raising(Invalid("x", "x")))
    r = c.post("/api/body", json={"count": "many"})
    assert r.status_code == 422
    assert r.json()["field"] == "count"
    assert r.json()["errors"][0]["field"] == "count"


def test_unexpected_error_leaks_no_traceback():
    c = TestClient(_app_raising(Invalid("x", "x")), raise_server_exceptions=False)
    r = c.get("/api/crash")
    assert r.status_code == 500
    assert "secret internals" not in r.text and "Traceback" not in r.text


def test_event_bus_delivers_and_isolates_failures():
    bus = EventBus()
    seen = []

    @bus.subscribe("a.b")
    def bad(name, payload):
        raise ValueError("boom")

    bus.subscribe("a.b", lambda n, p: seen.append((n, p["x"])))
    bus.subscribe("*", lambda n, p: seen.append(("*", n)))
    bus.publish("a.b", {"x": 1})
    assert seen == [("a.b", 1), ("*", "a.b")]


def test_plugin_manager_declares_the_scenario_hooks():
    from zhicheng.hookspecs import plugin_manager

    pm = plugin_manager()
    names = {h for h in dir(pm.hook) if h.startswith("zhicheng_")}
    assert {"zhicheng_resource_templates", "zhicheng_demo_data", "zhicheng_indicators"} <= names


def test_locked_database_is_a_503_with_retry_after(tmp_path):
    """A real SQLite lock held by another writer, outlasting a short busy timeout, answers 503 + Retry-After."""
    import sqlite3

    from sqlalchemy import create_engine, text

    from zhicheng.web import errors

    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    holder.execute("INSERT INTO t VALUES (1)")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.2})

    app = FastAPI()
    errors.install(app)
    from types import SimpleNamespace

    app.state.settings = SimpleNamespace(language="zh-CN")

    @app.post("/api/write")
    def write():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))

    r = TestClient(app, raise_server_exceptions=False).post("/api/write")
    holder.execute("ROLLBACK")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "10"
    assert r.json()["code"] == "busy"
