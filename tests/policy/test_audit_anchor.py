"""Someone who can write the database tries to rewrite the audit log: the key file and the signed checkpoints outside
the database catch them, through `zhicheng audit verify`, the API and the auditor's page."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from zhicheng.core.actor import SYSTEM
from zhicheng.core.errors import AppError
from zhicheng.policy import audit
from zhicheng.policy.anchor import AuditKeyError, anchor_for, attach, checkpoint_file, key_file
from zhicheng.policy.models import AuditEntry

ZHICHENG = str(Path(sys.executable).with_name("zhicheng"))


@pytest.fixture
def run(settings, engine):
    def zhicheng(*args: str) -> subprocess.CompletedProcess:
        environ = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url,
                   "ZHICHENG_SECRET_KEY": "test-secret-key", "COLUMNS": "200"}
        environ.pop("ZHICHENG_CONFIG", None)
        return subprocess.run([ZHICHENG, *args], capture_output=True, text=True, env=environ, timeout=120)

    return zhicheng


def fill(db, n: int) -> None:
    for i in range(n):
        audit.record(db, actor=SYSTEM, action="test.anchor", target_kind="test", target_id=i, detail={"i": i})
    db.commit()


def truncate_the_end(db) -> int:
    """The first attack: remove the last entry and move the head back to the one before (raw SQL)."""
    last = db.execute(text("SELECT max(seq) FROM audit_entry")).scalar()
    db.execute(text("DELETE FROM audit_entry WHERE seq = :s"), {"s": last})
    before = db.execute(text("SELECT hash FROM audit_entry WHERE seq = :s"), {"s": last - 1}).scalar()
    db.execute(text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"), {"s": last - 1, "h": before})
    db.commit()
    return last


def rehash_plainly(db, since: int = 0) -> str:
    """Every hash from entry `since` on recomputed with plain SM3 (no key), the head moved to the last: the forged
    chain anyone who can write the database can make, and a chain of the release before keyed hashing. Its head."""
    rows = db.execute(select(*AuditEntry.__table__.c).where(AuditEntry.seq >= since).order_by(AuditEntry.seq)).all()
    prev = rows[0].prev_hash
    for row in rows:
        new = audit.plain_hash(prev, row)
        db.execute(text("UPDATE audit_entry SET prev_hash = :p, hash = :h WHERE seq = :s"),
                   {"p": prev, "h": new, "s": row.seq})
        prev = new
    db.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": prev})
    db.commit()
    return prev


def rewrite_and_rehash(db, seq: int) -> None:
    """The second attack: change an entry, then recompute every later hash and the head, as SM3 allows anyone."""
    db.execute(text("UPDATE audit_entry SET target_id = 'rewritten' WHERE seq = :s"), {"s": seq})
    rehash_plainly(db, seq)


def verify_everywhere(run, client, headers) -> tuple[subprocess.CompletedProcess, dict, str]:
    cli = run("audit", "verify")
    api = client.get("/api/v1/audit/verify", headers=headers).json()
    page = client.get("/audit/verify", headers=headers).text
    return cli, api, page


def test_removing_the_end_and_moving_the_head_back_is_caught(run, db, engine, settings, make_user, auth_headers):
    from zhicheng.web.app import create_app

    fill(db, 498)
    written = anchor_for(db).checkpoint(engine)  # the server writes these every N entries and seconds
    removed = truncate_the_end(db)
    assert written.seq == removed
    assert audit.verify(db).ok is False
    headers = auth_headers(make_user("shenji", roles=["auditor"]))
    # a server that checkpoints its head while the check runs would anchor the forged chain (on a busy machine the
    # check can take longer than the default 10 s): the attacker's work is caught before the next checkpoint
    app = create_app(settings.model_copy(update={"audit_checkpoint_seconds": 3600}))
    with TestClient(app) as client:
        cli, api, page = verify_everywhere(run, client, headers)
    app.state.engine.dispose()
    assert cli.returncode == 1 and len(cli.stderr.strip().splitlines()) == 1, cli.stderr
    assert f"seq {removed}" in cli.stderr and "removed" in cli.stderr
    assert api["ok"] is False and api["bad_seq"] == removed and api["problem"] == "removed"
    assert "审计链已损坏" in page and f"第 {removed} 条" in page


def test_rewriting_an_entry_and_recomputing_the_hashes_is_caught(run, db, engine, app, make_user, auth_headers):
    fill(db, 498)
    rewrite_and_rehash(db, 3)
    headers = auth_headers(make_user("shenji", roles=["auditor"]))
    with TestClient(app) as client:
        cli, api, page = verify_everywhere(run, client, headers)
    assert cli.returncode == 1 and "seq 3" in cli.stderr and "altered" in cli.stderr, cli.stderr
    assert api["ok"] is False and api["bad_seq"] == 3 and api["problem"] == "altered"
    assert "第 3 条" in page


def test_an_intact_chain_is_held_against_its_checkpoints(run, db, engine):
    fill(db, 5)
    anchor_for(db).checkpoint(engine)
    fill(db, 2)
    result = audit.verify(db)
    assert result.ok and result.checkpoint_seq == 5
    r = run("audit", "verify")
    assert r.returncode == 0 and "checkpoint: seq" in r.stdout, r.stderr


def test_a_forged_checkpoint_line_is_named(db, engine, settings):
    fill(db, 3)
    anchor_for(db).checkpoint(engine)
    path = checkpoint_file(settings)
    doc = json.loads(path.read_text().splitlines()[-1])
    path.open("a").write(json.dumps({**doc, "seq": 9}) + "\n")  # a checkpoint not signed with the key
    result = audit.verify(db)
    assert not result.ok and result.problem == "checkpoint" and "第 2 行" in result.message_zh


def test_the_key_file_is_0600_and_a_looser_one_is_refused(run, settings, engine, app):
    path = key_file(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    path.chmod(0o644)
    with pytest.raises(AuditKeyError) as err:
        attach(engine, settings)
    assert "chmod 600" in err.value.message("zh-CN")
    r = run("audit", "verify")
    assert r.returncode == 1 and "chmod 600" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    from zhicheng.web.app import create_app

    with pytest.raises(AppError):
        create_app(settings)


def test_a_missing_key_is_not_recreated_while_checkpoints_exist(db, engine, settings):
    fill(db, 2)
    anchor_for(db).checkpoint(engine)
    key_file(settings).unlink()
    with pytest.raises(AuditKeyError) as err:
        attach(engine, settings)
    assert "恢复" in err.value.message("zh-CN")


def test_the_server_appends_checkpoints_and_the_file_grows(settings, engine, make_user):
    from zhicheng.web.app import create_app

    make_user("zhangsan", roles=["dept_user"])
    path = checkpoint_file(settings.model_copy(update={"audit_checkpoint_every": 3}))
    sizes = []
    for _ in range(2):
        app = create_app(settings.model_copy(update={"audit_checkpoint_every": 3}))
        with TestClient(app) as client:
            for _ in range(5):  # each login is an audit entry
                r = client.post("/api/v1/auth/token", json={"username": "zhangsan", "password": "Zhicheng2026"})
                assert r.status_code == 200
        app.state.engine.dispose()  # shutdown wrote the last head
        sizes.append(len(path.read_text().splitlines()))
    assert 0 < sizes[0] < sizes[1], sizes
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    with engine.connect() as conn:
        head = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    assert (lines[-1]["seq"], lines[-1]["hash"]) == (head[0], head[1])
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)


def test_checkpoints_go_to_syslog_when_configured(settings, engine, db):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    try:
        port = receiver.getsockname()[1]
        anchor = attach(engine, settings.model_copy(update={"audit_syslog": f"127.0.0.1:{port}"}))
        fill(db, 4)
        anchor.checkpoint(engine)
        message = receiver.recv(65536).decode()
    finally:
        receiver.close()
    assert "zhicheng-audit-checkpoint" in message and '"seq":4' in message


def test_a_chain_written_before_keyed_hashing_is_rekeyed_once(db, engine, settings):
    fill(db, 6)
    prev = rehash_plainly(db)  # a chain of the previous release: plain SM3, no key, no checkpoint
    key_file(settings).unlink()
    attach(engine, settings)  # the first start of the new release creates the key and re-keys the chain
    db.expire_all()
    result = audit.verify(db)
    assert result.ok and result.entries == 7, result
    last = db.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert last.action == "audit.rekey" and last.detail["entries"] == 6 and last.detail["unkeyed_head_hash"] == prev
