"""A zhicheng server in a process of its own (uvicorn on a free port): for tests that measure the server from
outside (its memory, its answers while something else runs), as an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(settings, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """(base URL, process) of `zhicheng.web.app:create_app` on `settings`' database and data folder (already
    migrated), with `env` added to its environment (ZHICHENG_* settings); stopped on leaving."""
    port = _free_port()
    environ = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url,
               "ZHICHENG_SECRET_KEY": settings.secret_key or "test-secret-key", "ZHICHENG_LANGUAGE": "zh-CN", **env}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "zhicheng.web.app:create_app",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                             "--no-access-log"], env=environ)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer at {base}")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def memory_mb(pid: int, field: str) -> float:
    """A process's `VmRSS` (resident now) or `VmHWM` (its peak), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def reset_peak(pid: int) -> bool:
    """Start a process's peak (VmHWM) afresh from its present size; False where the kernel does not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False
