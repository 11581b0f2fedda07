"""Throughput with several clients at once against one server process and against `zhicheng serve --workers 2`
(used by bench_sharing: its `ratio_2w`). Each client walks the granted table from its start, page after page
(round again on a table shorter than the walk)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: its tests' server helper
from tests.helpers.served import environ, serve_workers  # noqa: E402

CLIENTS = int(os.environ.get("ZHICHENG_BENCH_CLIENTS", "4"))


@contextmanager
def served_workers(data: Path, workers: int) -> Iterator[str]:
    """`zhicheng serve --workers N` on the bench's data folder (the same settings as the one-process server)."""
    env = environ(ZHICHENG_DATA=str(data))
    env.pop("ZHICHENG_DATABASE_URL", None)
    try:
        with serve_workers(env, workers) as (base, _pids):
            yield base
    except RuntimeError as exc:
        raise SystemExit(f"zhicheng serve --workers {workers}: {exc}") from None


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


WRK_SECONDS = int(os.environ.get("ZHICHENG_BENCH_WRK_SECONDS", "15"))
WRK_SCRIPT = """
local paths = {%s}
local headers = {["Authorization"] = %s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1], headers)
end
"""


def page_paths(base: str, token: str, path: str, pages: int, page: int) -> list[str]:
    """The first `pages` full pages of the walk as request paths (each with its keyset cursor), for `with_wrk`."""
    out, after = [], None
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
        while len(out) < pages:
            params = {"size": page, **({"after": after} if after else {})}
            r = c.get(path, params=params)
            r.raise_for_status()
            body = orjson.loads(r.content)
            if body["count"] != page:
                break
            out.append(str(httpx.URL(path, params=params)))
            after = body["next"]
            if not after:
                break
    return out


def with_wrk(base: str, token: str, paths: list[str], page: int, clients: int = CLIENTS,
             seconds: int = WRK_SECONDS) -> tuple[int, float]:
    """The same pages read by `wrk` (a C load generator in a process of its own, one thread, `clients`
    connections) for `seconds`: (rows read, seconds). The Python client threads of `at_once` share the two cores
    with the server's workers and can be what limits; wrk costs a fraction of that. Every answer must be 200."""
    import re
    import shutil
    import subprocess
    import tempfile

    binary = shutil.which("wrk")
    if binary is None:
        raise SystemExit("wrk not found: apt-get install -y wrk (Debian's package)")
    script = WRK_SCRIPT % (", ".join(orjson.dumps(p).decode() for p in paths), orjson.dumps(f"Bearer {token}").decode())
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        done = subprocess.run([binary, "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "60s", "-s", lua.name,
                               base], capture_output=True, text=True, check=True)
    text = done.stdout
    if "Non-2xx" in text or "Socket errors" in text:
        raise SystemExit(f"wrk: calls failed:\n{text}")
    found = re.search(r"(\d+) requests in ([0-9.]+)(m?s)", text)
    if found is None:
        raise SystemExit(f"wrk: no result in\n{text}")
    took = float(found[2]) / (1000 if found[3] == "ms" else 1)
    return int(found[1]) * page, took
