"""The command line answers a user error with one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys


def test_unknown_benchmark_is_one_line_and_exit_1(tmp_path):
    r = subprocess.run([sys.executable, "-m", "zhicheng", "bench", "no-such-bench"], capture_output=True,
                       text=True, env={"ZHICHENG_DATA": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "no-such-bench" in r.stderr


def test_help_lists_the_commands():
    r = subprocess.run([sys.executable, "-m", "zhicheng", "--help"], capture_output=True, text=True)
    assert r.returncode == 0
    for cmd in ("init", "serve", "bench"):
        assert cmd in r.stdout
