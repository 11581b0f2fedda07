"""Background work whose database went away (a test run drops its database at the end) ends with a debug line, not
a traceback; a real failure on a database that is still there is still logged as a warning."""

from __future__ import annotations

import logging
import shutil
import threading
import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_ADMIN_URL, USE_PG, pg_reachable
from zhicheng.core.db import database_gone, make_engine, migrate
from zhicheng.policy.anchor import Anchor, attach


def checkpointing(engine, tmp_path) -> Anchor:
    anchor = Anchor(b"k" * 32, checkpoint_file=tmp_path / "checkpoints.log", every_seconds=0.05)
    anchor.start(engine)
    return anchor


def test_a_real_failure_is_still_logged(tmp_path, caplog):
    # a database that is there but holds no audit chain: every tick fails for a reason worth a warning
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.commit()
    caplog.set_level(logging.DEBUG, logger="zhicheng.policy.anchor")
    anchor = checkpointing(engine, tmp_path)
    anchor._thread.join(timeout=0.5)
    assert anchor._thread.is_alive()  # retried at the next tick
    anchor.stop()
    assert any(r.levelno == logging.WARNING and r.message == "audit checkpoint failed" for r in caplog.records)
    assert not database_gone(RuntimeError("no"), engine)
    engine.dispose()


def test_sqlite_folder_removed_ends_the_checkpoints_quietly(tmp_path, caplog):
    folder = tmp_path / "instance"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'zhicheng.db'}")
    migrate(engine)
    caplog.set_level(logging.DEBUG, logger="zhicheng.policy.anchor")
    anchor = checkpointing(engine, tmp_path)
    engine.dispose()
    shutil.rmtree(folder)
    anchor._thread.join(timeout=30)
    assert not anchor._thread.is_alive()
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert "database is gone" in caplog.records[0].message


@pytest.mark.skipif(not USE_PG, reason="a dropped PostgreSQL database: runs with ZHICHENG_TEST_DB=postgres")
def test_postgres_database_dropped_ends_checkpoints_and_imports_quietly(tmp_path, settings, caplog, monkeypatch):
    reason = pg_reachable()
    if reason:
        pytest.skip(reason)
    from zhicheng.catalog.datasets import jobs
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_sessionmaker

    name = f"zhicheng_gone_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        migrate(engine)
        anchor = attach(engine, settings)
        factory = make_sessionmaker(engine)
        anchor.every_seconds = 0.05
        anchor.start(engine)
        held = engine.connect()  # a session the drop ends (57P01), as a running import's is
        caplog.set_level(logging.DEBUG)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        with pytest.raises(Exception) as ended:
            held.execute(text("SELECT 1"))
        assert database_gone(ended.value, engine)
        anchor._thread.join(timeout=30)
        assert not anchor._thread.is_alive()
        # an import job and its lease heartbeat on the dropped database: both end without a traceback
        monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.01)
        jobs._heartbeat(factory, "gone", threading.Event())  # returns instead of warning on every beat
        upload = tmp_path / "rows.csv"
        upload.write_text("a,b\n1,2\n", encoding="utf-8")
        jobs._run(factory, "gone", SYSTEM, 1, upload, "rows.csv", None)
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
        gone = [r.message for r in caplog.records if "database is gone" in r.message]
        assert len(gone) == 3, gone  # the checkpoints, the heartbeat and the job
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
