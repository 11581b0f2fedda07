"""WAL checkpoints off the request path: a server's engine leaves them to a background thread, which copies the
log back while the app runs and stops with it; commits no longer pay for them."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from zhicheng.core.checkpoints import Checkpointer
from zhicheng.core.db import BACKGROUND_AUTOCHECKPOINT, make_engine
from zhicheng.web.app import create_app


def _sqlite_only(settings):
    if not settings.db_url.startswith("sqlite"):
        pytest.skip("SQLite's write-ahead log")


def _write(engine, rows: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body TEXT)"))
        for i in range(rows):
            conn.execute(text("INSERT INTO filler (body) VALUES (:b)"), {"b": "数据" * 500 + str(i)})


def test_a_server_engine_leaves_checkpoints_to_the_thread(settings):
    _sqlite_only(settings)
    server = make_engine(settings.db_url, background_checkpoints=True)
    plain = make_engine(settings.db_url)
    try:
        with server.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKGROUND_AUTOCHECKPOINT
        with plain.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000  # SQLite's own
        _write(server, 1500)  # some 1,500 pages: past SQLite's threshold, below ours
        busy, logged, copied = Checkpointer(server).checkpoint()
        assert busy == 0 and logged > 1000 and copied == logged  # nothing had been copied back by a commit
    finally:
        server.dispose()
        plain.dispose()


def test_the_thread_copies_the_log_back_and_stops(settings):
    _sqlite_only(settings)
    engine = make_engine(settings.db_url, background_checkpoints=True)
    checkpointer = Checkpointer(engine, every=0.05)
    try:
        checkpointer.start()
        assert checkpointer.running
        _write(engine, 300)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (checkpointer.last and checkpointer.last[1] > 0
                                                   and checkpointer.last[1] == checkpointer.last[2]):
            time.sleep(0.05)
        busy, logged, copied = checkpointer.last
        assert busy == 0 and logged > 0 and copied == logged
    finally:
        checkpointer.stop()
        engine.dispose()
    assert not checkpointer.running


def test_the_app_runs_it_for_its_lifetime(settings, engine):
    app = create_app(settings)
    checkpointer = app.state.checkpointer
    with TestClient(app) as client:
        assert client.get("/api/v1/health").status_code == 200
        assert checkpointer.running is settings.db_url.startswith("sqlite")  # PostgreSQL needs none
    assert not checkpointer.running
    app.state.engine.dispose()
