"""`zhicheng import` from the command line, and a 100k-row import that stays in bounded memory."""

from __future__ import annotations

import tracemalloc

import pytest
from typer.testing import CliRunner

from zhicheng.catalog.datasets import service
from zhicheng.cli import app as cli_app

from .conftest import person, write_csv


@pytest.fixture
def cli_env(settings, engine, monkeypatch):
    """The CLI pointed at the test instance (its settings come from the environment)."""
    from zhicheng.core.settings import get_settings

    monkeypatch.setenv("ZHICHENG_DATA", str(settings.data))
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("ZHICHENG_LANGUAGE", "zh-CN")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_import_prints_the_version(cli_env, db, people, tmp_path):
    path = write_csv(tmp_path / "people.csv", [person(n) for n in range(1, 26)], encoding="gbk")
    result = CliRunner().invoke(cli_app, ["import", people.code, str(path)])
    assert result.exit_code == 0, result.output
    assert "已导入 25 行，生成第 1 版" in result.output and "version=1 rows=25" in result.output
    from sqlalchemy import select

    from zhicheng.policy.models import AuditEntry

    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "dataset.import")).one()
    assert entry.actor_kind == "system" and entry.detail["via"] == "cli"


def test_cli_bad_rows_first_20_and_a_count_exit_1(cli_env, people, tmp_path):
    rows = [person(n) for n in range(1, 31)]
    for row in rows:
        row[6] = "很多"
    path = write_csv(tmp_path / "bad.csv", rows)
    result = CliRunner().invoke(cli_app, ["import", people.code, str(path)])
    assert result.exit_code == 1
    assert "发现 30 处错误" in result.output
    assert "第 21 行「家庭人数」列：不是整数：很多" in result.output and "第 22 行" not in result.output
    assert "另有 10 处错误" in result.output


def test_cli_unknown_resource_code_is_one_line(cli_env, people, tmp_path):
    import subprocess
    import sys

    path = write_csv(tmp_path / "p.csv", [person(1)])
    out = subprocess.run([sys.executable, "-m", "zhicheng", "import", "NO-SUCH-CODE", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "NO-SUCH-CODE" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow
def test_100k_rows_stream_in_bounded_memory(db, people, officers, tmp_path):
    path = tmp_path / "big.csv"
    template = person(7)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join(["公民身份号码", "姓名", "出生日期", "行政区划代码", "手机号码", "住址", "家庭人数", "月收入",
                           "是否党员"]) + "\n")
        line = ",".join(template) + "\n"
        for _ in range(100_000):
            fh.write(line)
    assert path.stat().st_size > 8_000_000
    tracemalloc.start()
    try:
        report = service.import_file(db, actor=officers["police"], resource_id=people.id, path=path,
                                     filename="big.csv")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.ok and report.row_count == 100_000, report.errors[:3]
    assert peak < 40 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB for a {path.stat().st_size / 1e6:.1f} MB file"
