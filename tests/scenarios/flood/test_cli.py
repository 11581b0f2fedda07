"""`zhicheng flood rain / levels / rain-class`: tables or JSON from the configured instance; a bad value is one line
and exit code 1."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from tests.scenarios.flood.conftest import send
from zhicheng import cli


def flood_cli(*args: str):
    return CliRunner().invoke(cli.app, ["flood", *args], env={"COLUMNS": "200"})


@pytest.fixture
def instance(settings, monkeypatch):
    monkeypatch.setenv("ZHICHENG_DATA", str(settings.data))
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", settings.secret_key)
    from zhicheng.core.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_rain_class_as_text_and_json():
    r = flood_cli("rain-class", "120", "--period", "24h")
    assert r.exit_code == 0, r.output
    assert "大暴雨" in r.output and "GB/T 28592-2012" in r.output
    hour = json.loads(flood_cli("rain-class", "20", "--period", "1h", "--json").output)
    assert hour["class"]["name"] == "暴雨" and hour["short_duration_heavy"] is True


def test_a_bad_period_is_one_line_and_exit_code_1(tmp_path):
    done = subprocess.run([sys.executable, "-m", "zhicheng", "flood", "rain-class", "5", "--period", "6h"],
                          capture_output=True, text=True, timeout=60,
                          env={"ZHICHENG_DATA": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("错误 / error:") and "period" in done.stderr


def test_rain_and_levels_from_the_instance(db, flood, instance):
    send(db, flood.gauge, "precipitation_5min", [(flood.end - timedelta(minutes=5 * k), 1.0) for k in range(12)])
    send(db, flood.level, "water_level", [(flood.end, 35.0)])
    at = flood.end.isoformat()
    table = flood_cli("rain", "--at", at)
    assert table.exit_code == 0, table.output
    assert "岳麓山雨量站" in table.output and "12.0" in table.output and "中雨" in table.output
    levels = json.loads(flood_cli("levels", "--at", at, "--json").output)
    station = levels["stations"][0]
    assert station["level_m"] == 35.0 and station["state"] == "normal" and station["over_warning_m"] == -1.0
    assert "正常" in flood_cli("levels", "--at", at).output
