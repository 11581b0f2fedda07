"""Fixtures every test can use: a fresh migrated instance (SQLite, or PostgreSQL with ZHICHENG_TEST_DB=postgres)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from zhicheng.core import clock
from zhicheng.core.db import make_engine, make_sessionmaker, migrate
from zhicheng.core.settings import Settings

pytest_plugins = ["tests.helpers.accounts", "tests.helpers.catalog", "tests.helpers.exchange", "tests.helpers.browser"]

PG_ADMIN_URL = os.environ.get("ZHICHENG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
USE_PG = os.environ.get("ZHICHENG_TEST_DB", "sqlite") == "postgres"


def pg_reachable() -> str | None:
    """None when the PostgreSQL server answers, else the reason it does not."""
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def pg_database():
    """A throw-away PostgreSQL database for this test run (dropped at the end)."""
    reason = pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"zhicheng_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(tmp_path, request):
    if USE_PG:
        url = request.getfixturevalue("pg_database")
        eng = create_engine(url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            # a thread the last test left (an import, a checkpoint) must not hold a lock the drop waits on
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        eng.dispose()
        return url
    return f"sqlite:///{tmp_path / 'zhicheng.db'}"


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return Settings(data=tmp_path / "data", database_url=database_url, secret_key="test-secret-key",
                    language="zh-CN")


@pytest.fixture
def engine(settings):
    settings.ensure_data_dir()
    eng = make_engine(settings.db_url)
    migrate(eng)
    from zhicheng.policy.anchor import attach

    attach(eng, settings)  # the audit chain's key and checkpoints: this test's data folder
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine):
    """A session on the migrated instance."""
    factory = make_sessionmaker(engine)
    with factory() as session:
        yield session


@pytest.fixture
def app(settings, engine):
    from zhicheng.web.app import create_app

    application = create_app(settings)
    yield application
    application.state.lane_workers.close()
    application.state.engine.dispose()


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture
def route_client(settings, monkeypatch):
    """A second app on the same database without fast lanes (zhicheng.web.fastlane): every request takes the
    FastAPI route, to hold a lane's answers to the route's."""
    from zhicheng.web import app as app_module

    monkeypatch.setattr(app_module, "FAST_LANES", [])
    application = app_module.create_app(settings)
    with TestClient(application) as c:
        yield c
    application.state.engine.dispose()


BACKGROUND_WORK = ("import-", "lease-", "zhicheng-quality-sql", "zhicheng-ds_")  # imports, quality SQL, masked copies


@pytest.fixture(autouse=True)
def _reset_clock_and_bus():
    yield
    # background work a test started and did not wait for ends before the next test's database is made
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.name.startswith(BACKGROUND_WORK):
            thread.join(timeout=60)
    clock.reset()
