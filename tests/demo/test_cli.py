"""`zhicheng demo`: load once with --load-only, start again in seconds, serve, reset only when asked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from zhicheng.cli import app
from zhicheng.core.settings import Settings
from zhicheng.demo import city
from zhicheng.demo.cli import reset_database
from zhicheng.demo.marker import MARKER

ZHICHENG = str(Path(sys.executable).with_name("zhicheng"))


@pytest.fixture
def demo_env(tmp_path, database_url) -> dict[str, str]:
    """The environment of a demo in a temporary data folder (on PostgreSQL when the suite runs there)."""
    env = {"ZHICHENG_DATA": str(tmp_path / "var"), "ZHICHENG_SECRET_KEY": "demo-test-secret"}
    if not database_url.startswith("sqlite"):
        env["ZHICHENG_DATABASE_URL"] = database_url
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_loads_once_then_starts_in_seconds_and_serves(demo_env):
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--load-only"], env=demo_env)
    assert first.exit_code == 0, first.output
    assert "演示城市已装载" in first.output
    for spec in city.USERS:
        if spec.shown:
            assert spec.username in first.output
    assert city.DEFAULT_PASSWORD in first.output
    assert (Path(demo_env["ZHICHENG_DATA"]) / MARKER).exists()

    started = time.perf_counter()
    second = runner.invoke(app, ["demo", "--load-only"], env=demo_env)
    assert second.exit_code == 0, second.output
    assert "已存在" in second.output
    assert time.perf_counter() - started < 10

    port = _free_port()
    env = {**os.environ, **demo_env}
    proc = subprocess.Popen([ZHICHENG, "demo", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        health = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert health is not None and health.status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/" in out
    assert "已存在" in out


def test_reset_asks_first_and_a_bad_port_is_one_line(demo_env, tmp_path):
    data = Path(demo_env["ZHICHENG_DATA"])
    data.mkdir(parents=True)
    env = {**os.environ, **demo_env}
    bad = subprocess.run([ZHICHENG, "demo", "--port", "70000"], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "端口 70000 无效" in bad.stderr and "Traceback" not in bad.stderr + bad.stdout
    weak = subprocess.run([ZHICHENG, "demo", "--load-only"], env={**env, "ZHICHENG_DEMO_PASSWORD": "short"},
                          capture_output=True, text=True, timeout=60)
    assert weak.returncode == 1 and "ZHICHENG_DEMO_PASSWORD" in weak.stderr and "Traceback" not in weak.stderr
    assert not (data / "zhicheng.db").exists()  # nothing was created

    db_file = data / "zhicheng.db"
    db_file.write_bytes(b"kept")
    declined = CliRunner().invoke(app, ["demo", "--reset", "--load-only"], input="n\n", env=demo_env)
    assert declined.exit_code != 0
    assert db_file.read_bytes() == b"kept"
    if "ZHICHENG_DATABASE_URL" in demo_env:
        refused = subprocess.run([ZHICHENG, "demo", "--reset", "--yes", "--load-only"], env=env,
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode == 1 and "SQLite" in refused.stderr


def test_reset_with_yes_deletes_the_demo_database_and_its_marker(tmp_path):
    data = tmp_path / "var"
    data.mkdir()
    for name in ("zhicheng.db", "zhicheng.db-wal", "zhicheng.db-shm", MARKER):
        (data / name).write_text("x")
    (data / "secret.key").write_text("kept")
    result = CliRunner().invoke(app, ["demo", "--reset", "--yes", "--port", "0"],
                                env={"ZHICHENG_DATA": str(data), "ZHICHENG_DATABASE_URL": ""})
    assert result.exit_code != 0  # port 0 is refused before anything is deleted
    assert (data / "zhicheng.db").exists()
    assert reset_database(Settings(data=data, database_url=None)) is True
    assert sorted(p.name for p in data.iterdir()) == ["secret.key"]
