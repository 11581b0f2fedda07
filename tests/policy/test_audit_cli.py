"""The operator verifies, exports and purges the audit log with `zhicheng audit ...`; errors are one line and exit 1."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from zhicheng.core import clock
from zhicheng.core.actor import SYSTEM
from zhicheng.policy import audit

ZHICHENG = str(Path(sys.executable).with_name("zhicheng"))


@pytest.fixture
def run(settings, engine):
    def zhicheng(*args: str, **env: str) -> subprocess.CompletedProcess:
        environ = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url,
                   "ZHICHENG_SECRET_KEY": "test-secret-key", "COLUMNS": "200", **env}
        environ.pop("ZHICHENG_CONFIG", None)
        return subprocess.run([ZHICHENG, *args], capture_output=True, text=True, env=environ, timeout=120)

    return zhicheng


def fill(db, n: int) -> None:
    for i in range(n):
        audit.record(db, actor=SYSTEM, action="test.cli", target_kind="test", target_id=i, detail={"i": i})
    db.commit()


def test_verify_says_intact(run, db):
    fill(db, 5)
    r = run("audit", "verify")
    assert r.returncode == 0, r.stderr
    assert "完整 / intact, 5 entries" in r.stdout
    assert re.search(r"head: seq 5, HMAC-SM3 [0-9a-f]{64}", r.stdout)


def test_verify_names_the_first_bad_entry(run, db):
    fill(db, 5)
    db.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
    db.commit()
    r = run("audit", "verify")
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "seq 2" in lines[0] and "removed" in lines[0] and "Traceback" not in r.stderr


def test_export_writes_the_chosen_time_range(run, db, tmp_path):
    fill(db, 3)
    out = tmp_path / "审计.csv"
    r = run("audit", "export", "--since", "2000-01-01", "--until", "2999-12-31T23:59:59+08:00", "--action", "test",
            str(out))
    assert r.returncode == 0, r.stderr
    assert "exported 3 entries" in r.stdout
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][:2] == ["序号", "时间（UTC）"] and [row[7] for row in rows[1:]] == ["test.cli"] * 3
    assert not list(tmp_path.glob(".*.partial"))


@pytest.mark.parametrize(("args", "words"), [
    (["--since", "yesterday"], "--since"),
    (["--since", "2026-02-01", "--until", "2026-01-01"], "结束时间早于开始时间"),
    (["--outcome", "perhaps"], "outcome"),
])
def test_export_refuses_bad_input_in_one_line(run, tmp_path, args, words):
    r = run("audit", "export", *args, str(tmp_path / "x.csv"))
    assert r.returncode == 1 and words in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "x.csv").exists()


def test_export_to_a_folder_that_does_not_exist_is_one_line(run, tmp_path):
    r = run("audit", "export", str(tmp_path / "no" / "such" / "x.csv"))
    assert r.returncode == 1 and "无法写入" in r.stderr and "Traceback" not in r.stderr


def test_purge_keeps_what_is_within_retention(run, db):
    fill(db, 4)
    r = run("audit", "purge", "--dry-run")
    assert r.returncode == 0 and "would purge 0 entries" in r.stdout
    r = run("audit", "purge", ZHICHENG_AUDIT_RETENTION_DAYS="30")
    assert r.returncode == 1 and "183" in r.stderr


def test_purge_through_the_cli_leaves_a_verifiable_chain(run, db, settings):
    fill(db, 4)
    # age the first four entries by rewriting them as they would have been written 200 days ago
    old = clock.now() - timedelta(days=200)
    rows = db.execute(text("SELECT seq FROM audit_entry ORDER BY seq")).all()
    db.execute(text("DELETE FROM audit_entry"))
    db.execute(text("UPDATE audit_head SET seq = 0, hash = :g"), {"g": "0" * 64})
    db.commit()
    clock.advance(old - clock.now())
    fill(db, len(rows))
    clock.reset()
    fill(db, 2)
    r = run("audit", "purge")
    assert r.returncode == 0, r.stderr
    assert "purged 4 entries" in r.stdout and "anchor at seq 4" in r.stdout
    r = run("audit", "verify")
    assert r.returncode == 0 and "intact, 3 entries" in r.stdout, r.stdout + r.stderr
