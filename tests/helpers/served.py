"""A zhicheng server in a process of its own (uvicorn, or `zhicheng serve --workers N`, on a free port): for tests
that measure the server from outside (its memory, its answers while something else runs, several workers), as an
operator would, and for the benchmarks (bench/several_workers.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environ(settings=None, **env: str) -> dict[str, str]:
    """This process's environment with `settings`' database, data folder and secret (when given) and `env` added."""
    ours = {} if settings is None else {
        "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url,
        "ZHICHENG_SECRET_KEY": settings.secret_key or "test-secret-key"}
    return {**os.environ, **ours, "ZHICHENG_LANGUAGE": "zh-CN", **env}


def healthy(base: str, times: int = 1) -> bool:
    """Whether `times` health calls in a row all answer 200 (with several workers, each call may meet another)."""
    return all(httpx.get(base + "/api/v1/health", timeout=5).status_code == 200 for _ in range(times))


@contextmanager
def running(argv: list[str], *, env: dict[str, str], ready: Callable[[subprocess.Popen], bool], timeout: float,
            **popen) -> Iterator[subprocess.Popen]:
    """The process `argv`, once `ready(process)` says so (an HTTP error counts as not yet); RuntimeError when it
    exits or is not ready within `timeout` seconds. Stopped on leaving: terminated, killed after 60 s."""
    proc = subprocess.Popen(argv, env=env, **popen)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{' '.join(argv[2:4])} exited with {proc.returncode}")
            try:
                if ready(proc):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(argv[2:4])} did not answer within {timeout:.0f} s")
            time.sleep(0.1)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def served(settings, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """(base URL, process) of `zhicheng.web.app:create_app` on `settings`' database and data folder (already
    migrated), with `env` added to its environment (ZHICHENG_* settings); stopped on leaving."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "uvicorn", "--factory", "zhicheng.web.app:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning", "--no-access-log"]
    # 240 s: the app's imports alone take half a minute on a busy machine (8 sessions on 2 cores)
    with running(argv, env=environ(settings, **env), ready=lambda _p: healthy(base), timeout=240) as proc:
        yield base, proc


def workers_of(pid: int) -> list[int]:
    """The worker processes of the server `pid` (not multiprocessing's resource tracker)."""
    try:
        found = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return [p for p in found if b"resource_tracker" not in Path(f"/proc/{p}/cmdline").read_bytes()]
    except OSError:
        return []


@contextmanager
def serve_workers(env: dict[str, str], workers: int = 2, timeout: float = 90) -> Iterator[tuple[str, list[int]]]:
    """`zhicheng serve --workers N` on a free port with the environment `env`: (base URL, the worker pids), once every
    worker has started and the health call answers again and again."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "zhicheng", "serve", "--port", str(port), "--workers", str(workers)]

    def ready(proc: subprocess.Popen) -> bool:
        return len(workers_of(proc.pid)) >= workers and healthy(base, 4 * workers)

    with running(argv, env=env, ready=ready, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                 start_new_session=True) as proc:
        yield base, workers_of(proc.pid)


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
