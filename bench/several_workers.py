"""Throughput with several clients at once against one server process and against `zhicheng serve --workers 2`
(used by bench_sharing: its `ratio_2w`). Each client walks the granted table from its start, page after page
(round again on a table shorter than the walk)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

CLIENTS = int(os.environ.get("ZHICHENG_BENCH_CLIENTS", "4"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_workers(data: Path, workers: int) -> Iterator[str]:
    """`zhicheng serve --workers N` on the bench's data folder (the same settings as the one-process server)."""
    port = _free_port()
    env = {**os.environ, "ZHICHENG_DATA": str(data), "ZHICHENG_LANGUAGE": "zh-CN"}
    env.pop("ZHICHENG_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "zhicheng", "serve", "--port", str(port), "--workers",
                             str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"zhicheng serve --workers {workers} exited with {proc.returncode}")
            try:
                if all(httpx.get(base + "/api/v1/health", timeout=2).status_code == 200 for _ in range(8)):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"zhicheng serve --workers {workers} did not answer")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def at_once(base: str, token: str, path: str, pages: int, page: int, clients: int = CLIENTS) -> tuple[int, float]:
    """`clients` threads, each reading `pages` pages of `path` from the start: (rows read by all, wall seconds)."""
    totals = [0] * clients
    failures: list[str] = []
    start = threading.Barrier(clients + 1)

    def walk(i: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
            c.get(path, params={"size": 1})  # connected before the clock starts
            start.wait()
            after = None
            for _ in range(pages):
                r = c.get(path, params={"size": page, **({"after": after} if after else {})})
                if r.status_code != 200:
                    failures.append(f"{r.status_code} {r.text[:200]}")
                    return
                body = orjson.loads(r.content)
                totals[i] += body["count"]
                after = body["next"] or None  # at the end of a small table: from its start again

    threads = [threading.Thread(target=walk, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    if failures:
        raise SystemExit(f"calls failed: {failures[:3]}")
    return sum(totals), took
