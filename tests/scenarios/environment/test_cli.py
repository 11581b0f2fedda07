"""`zhicheng env aqi / water / noise`: a Rich table or JSON; a bad value is one line on stderr and exit code 1."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from zhicheng import cli
from zhicheng.core.errors import Invalid


def env(*args: str):
    return CliRunner().invoke(cli.app, ["env", *args])


def test_aqi_of_an_hour_as_a_table():
    r = env("aqi", "--pm25", "75", "--pm10", "120", "--no2", "90", "--o3", "210", "--co", "1.2", "--so2", "8")
    assert r.exit_code == 0, r.output
    assert "AQI 105" in r.output and "轻度污染" in r.output and "臭氧1小时" in r.output
    assert "首要污染物" in r.output and "儿童、老年人及心脏病" in r.output


def test_aqi_of_a_day_as_json():
    r = env("aqi", "--day", "--pm25", "155", "--pm10", "171", "--o3-1h", "72", "--o3-8h", "50", "--json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert body["kind"] == "day" and body["aqi"] == 205 and body["missing"] == ["so2", "no2", "co"]
    assert body["pollutants"]["o3_8h"]["column"] == "o3_8h"


def test_water_and_noise():
    w = env("water", "--ph", "7.2", "--do", "5.5", "--nh3n", "1.2", "--tp", "0.08", "--tn", "3.1", "--json")
    assert w.exit_code == 0, w.output
    assert json.loads(w.output)["water_class"] == "IV" and json.loads(w.output)["exceeding"] == ["nh3n"]
    table = env("water", "--body", "lake", "--tp", "0.08", "--target", "none")
    assert table.exit_code == 0 and "IV" in table.output and "定类参数" in table.output
    n = env("noise", "--zone", "4a", "--leq", "58.3", "--time", "23:10", "--lmax", "72")
    assert n.exit_code == 0, n.output
    assert "超标 3.3 dB(A)" in n.output and "夜间" in n.output
    assert json.loads(env("noise", "--zone", "1", "--leq", "50", "--json").output)["compliant"] is True


def test_bad_input_raises_the_calculators_error():
    r = env("aqi", "--pm25", "-5")
    assert r.exit_code == 1 and isinstance(r.exception, Invalid) and r.exception.field == "pm25"
    assert isinstance(env("noise", "--zone", "9", "--leq", "50").exception, Invalid)


@pytest.mark.parametrize("args", [["aqi", "--day", "--o3", "40"], ["water", "--do", "nan"],
                                  ["noise", "--zone", "4", "--leq", "60"]])
def test_a_bad_value_is_one_line_and_exit_1(tmp_path, args):
    r = subprocess.run([sys.executable, "-m", "zhicheng", "env", *args], capture_output=True, text=True,
                       env={"ZHICHENG_DATA": str(tmp_path), "PATH": "/usr/bin:/bin", "COLUMNS": "200"})
    assert r.returncode == 1, r
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("错误 / error:")


def test_the_command_group_comes_from_the_plugin_hook():
    names = {g.name for g in cli.app.registered_groups}
    assert "env" in names
    assert env("--help").exit_code == 0 and "aqi" in env("--help").output
