"""Benchmark of the masked sharing API: a 1,000,000-row population table (ZHICHENG_BENCH_ROWS) read page by page
(1,000 rows, keyset, deep pages included) by a consumer department through a real uvicorn server, with grant
check, masking and audit on; against Datasette serving the same SQLite table with its `_size=1000` and `_next`.

Both servers run at once and are read in turn, 20 pages at a time (as bench_opendata), each side timed on its own
pages only: the load other processes put on the machine during the run falls on both sides alike. A second walk
in turns of 2 pages is reported as well: there each side's first page after the other's turn finds the CPU caches
cold, which costs a fast server relatively more; a client walking a table reads its pages back to back. The client (httpx, parsing
with `orjson.loads(r.content)`) is the same for both. Datasette lives in a virtual environment of its own
(created on first run under ~/.cache/zhicheng-bench), so the project's environment is untouched. Datasette runs
with its cheapest settings (no counts, no facet suggestions), so the comparison is conservative. Run:
`zhicheng bench sharing` or `python bench/bench_sharing.py`; the last line is the BENCH line.
"""

from __future__ import annotations

import csv
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import httpx
import orjson

ITEMS = [
    {
        "name": "sfzh",
        "label": "公民身份号码",
        "type": "string",
        "length": 18,
        "required": True,
        "check": "citizen_id",
        "personal": True,
        "sensitivity": "important",
    },
    {"name": "xm", "label": "姓名", "type": "string", "length": 20, "required": True, "personal": True},
    {"name": "xb", "label": "性别", "type": "string", "length": 1},
    {"name": "csrq", "label": "出生日期", "type": "date"},
    {"name": "dqdm", "label": "行政区划代码", "type": "string", "length": 6, "check": "region_code"},
    {
        "name": "sjhm",
        "label": "手机号码",
        "type": "string",
        "length": 11,
        "check": "mobile",
        "personal": True,
    },
    {"name": "zz", "label": "住址", "type": "string", "length": 100, "personal": True},
]
REGIONS = ["430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181"]
ROADS = ["五一大道", "芙蓉中路", "韶山北路", "麓山南路", "人民东路", "湘江中路", "劳动西路", "车站北路"]
STREETS = ["岳麓街道", "橘子洲街道", "望月湖街道", "东塘街道", "侯家塘街道", "月湖街道"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
PAGE = 1000
CHUNK = 20  # pages read from one side before the other side's turn
SHORT_CHUNK = 2  # the second walk's turns: every other page comes after the other side's
DATASETTE_ENV = Path.home() / ".cache" / "zhicheng-bench" / "datasette-venv"
WORKER_PAGES = 150  # pages each client of the several-workers walk reads (from the start of the table)
sys.path.insert(0, str(Path(__file__).resolve().parent))
import several_workers  # noqa: E402 - beside this script (run by path: `zhicheng bench sharing`)


def write_people(path: Path, rows: int) -> None:
    """`rows` people with valid GB 11643 numbers, as UTF-8 CSV with the items' names as header."""
    from zhicheng.core.ids.citizen_id import check_char

    rnd = random.Random(11_2026)
    start = date(1940, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([i["name"] for i in ITEMS])
        for n in range(rows):
            region = REGIONS[n % len(REGIONS)]
            born = start + timedelta(days=rnd.randrange(0, 365 * 80))
            order = rnd.randrange(0, 1000)
            first17 = f"{region}{born:%Y%m%d}{order:03d}"
            writer.writerow(
                [
                    first17 + check_char(first17),
                    rnd.choice(SURNAMES) + rnd.choice(GIVEN),
                    "男" if order % 2 else "女",
                    born.isoformat(),
                    region,
                    f"1{rnd.choice('3589')}{rnd.randrange(0, 10**9):09d}",
                    f"湖南省长沙市岳麓区{rnd.choice(STREETS)}{rnd.choice(ROADS)}{rnd.randrange(1, 999)}号",
                ]
            )


def build_instance(data: Path, csv_path: Path) -> tuple[str, int, str, str]:
    """A fresh SQLite instance: 公安局 imports the table, 住建局 holds a live API grant; (db, resource, token, table)."""
    from zhicheng.accounts import service as accounts
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service as datasets
    from zhicheng.core import clock
    from zhicheng.core.actor import SYSTEM
    from zhicheng.core.db import make_engine, make_sessionmaker, migrate
    from zhicheng.core.settings import Settings
    from zhicheng.exchange.delivery import service as delivery
    from zhicheng.exchange.models import Grant, ShareRequest

    settings = Settings(data=data)
    settings.ensure_data_dir()
    engine = make_engine(settings.db_url)
    migrate(engine)
    from zhicheng.policy.anchor import attach

    attach(engine, settings)  # the audit key of this data folder, which the server will use too
    with make_sessionmaker(engine)() as db:
        police = accounts.create_department(
            db, actor=SYSTEM, name="长沙市公安局", kind="bureau", region_code="430100"
        )
        housing = accounts.create_department(
            db, actor=SYSTEM, name="长沙市住房和城乡建设局", kind="bureau", region_code="430100"
        )
        res = catalog.create_resource(
            db,
            actor=SYSTEM,
            data={
                "name": "常住人口基本信息",
                "catalog_class": "base",
                "subclass": "population",
                "summary": "基准测试用的常住人口数据",
                "format": "database",
                "share_type": "conditional",
                "share_condition": "用于住房保障资格审核",
                "share_method": "api",
                "open_type": "none",
                "update_cycle": "daily",
                "department_id": police.id,
                "items": ITEMS,
            },
        )
        started = time.perf_counter()
        report = datasets.import_file(
            db, actor=SYSTEM, resource_id=res.id, path=csv_path, filename="people.csv"
        )
        import_s = time.perf_counter() - started
        if not report.ok:
            raise SystemExit(f"import failed: {report.message_en} {report.errors[:3]}")
        user = accounts.create_user(
            db,
            actor=SYSTEM,
            username="zjj_bench",
            password="Zhicheng2026",
            display_name="住建局基准用户",
            department_id=housing.id,
            roles=["dept_user"],
        )
        today = clock.now().date()
        names = [i["name"] for i in ITEMS]
        req = ShareRequest(
            resource_id=res.id,
            resource_name=res.name,
            share_type="conditional",
            provider_department_id=police.id,
            consumer_department_id=housing.id,
            requester_id=user.id,
            purpose="住房保障资格审核",
            basis="《公共租赁住房管理办法》",
            items=names,
            period_start=today,
            period_end=today + timedelta(days=30),
            delivery="api",
            state="granted",
            due_date=today,
        )
        db.add(req)
        db.flush()
        db.add(
            Grant(
                request_id=req.id,
                resource_id=res.id,
                consumer_department_id=housing.id,
                provider_department_id=police.id,
                items=names,
                plain_items=[],
                purpose=req.purpose,
                starts_on=today - timedelta(days=1),
                expires_at=clock.now() + timedelta(days=30),
                delivery="api",
            )
        )
        db.commit()
        # what the server does after an import when a live grant will read the version (exchange.masked_copy):
        # here the grant comes after the import, so the copy is built now, and timed
        started = time.perf_counter()
        copy = delivery.build_copy(make_sessionmaker(engine), res.id)
        print(
            f"  import {import_s:.1f}s; masked copy {copy} built in {time.perf_counter() - started:.1f}s",
            flush=True,
        )
        token = accounts.issue_token(db, user=user, settings=settings)
        table = datasets.get_version(db, actor=SYSTEM, resource_id=res.id).table_name
    engine.dispose()
    return str(data / "zhicheng.db"), res.id, token, table


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server did not answer at {url}")


def peak_mb(pid: int) -> float:
    """The peak resident memory of a running process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pages(client: httpx.Client, first_url: str, next_of) -> Iterator[tuple[int, float]]:
    """Read every page from `first_url` following `next_of(parsed body)`, yielding (rows, seconds) per page: the
    seconds from sending the request to holding the whole body. The client's parse of the body (to count its
    rows and find the next page) comes after the clock stops: it is the client's work, not the server's."""
    url = first_url
    while url:
        started = time.perf_counter()
        r = client.get(url)  # httpx reads the whole body before it returns
        took = time.perf_counter() - started
        r.raise_for_status()
        got, url = next_of(orjson.loads(r.content))  # the same fast parser for both sides
        yield got, took


def interleaved(
    walkers: dict[str, Iterator[tuple[int, float]]], chunk: int = CHUNK
) -> dict[str, tuple[int, float, float]]:
    """Walk every side `chunk` pages at a time, in turn, timing each side's own pages: a change of the machine's
    load during the run (other processes) then falls on both sides alike. {side: (rows, seconds of the server's
    answers, seconds with the client's parse)}."""
    done = {name: (0, 0.0, 0.0) for name in walkers}
    live = dict(walkers)
    while live:
        for name, it in list(live.items()):
            rows, answers, seconds = done[name]
            started = time.perf_counter()
            for _ in range(chunk):
                try:
                    got, took = next(it)
                except StopIteration:
                    del live[name]
                    break
                rows += got
                answers += took
            done[name] = (rows, answers, seconds + time.perf_counter() - started)
    return done


@contextmanager
def running(proc: subprocess.Popen, port: int, probe: str) -> Iterator[str]:
    """The base URL of the server `proc` on `port` once `probe` answers; the server is stopped on leaving."""
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base + probe, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def our_server(
    data: Path, factory: str = "zhicheng.web.app:create_app", path: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Our app under uvicorn on a free port (`factory`: module:function, importable from `path` if given)."""
    port = free_port()
    env = {**os.environ, "ZHICHENG_DATA": str(data), "ZHICHENG_LANGUAGE": "zh-CN"}
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path), os.environ.get("PYTHONPATH", "")])
    env.pop("ZHICHENG_DATABASE_URL", None)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    with running(proc, port, "/api/v1/health") as base:
        yield base, proc


def datasette_binary() -> Path:
    """Datasette in a virtual environment of its own (installed with pip on first use)."""
    binary = DATASETTE_ENV / "bin" / "datasette"
    if not binary.exists():
        print(f"  installing datasette into {DATASETTE_ENV} …", flush=True)
        venv.create(DATASETTE_ENV, with_pip=True)
        subprocess.run([str(DATASETTE_ENV / "bin" / "pip"), "install", "-q", "datasette"], check=True)
    return binary


@contextmanager
def datasette_server(db_path: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            str(datasette_binary()),
            "serve",
            db_path,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--setting",
            "suggest_facets",
            "off",
            "--setting",
            "max_returned_rows",
            str(PAGE),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with running(proc, port, "/-/versions.json") as base:
        yield base


def keyset_walk(client: httpx.Client, path: str) -> Iterator[tuple[int, float]]:
    """Every page of our rows API (or the bare loop's) at `path`, following `next` as `after`."""
    return pages(
        client,
        f"{path}?size={PAGE}",
        lambda b: (b["count"], f"{path}?size={PAGE}&after={b['next']}" if b["next"] else None),
    )


def datasette_walk(client: httpx.Client, first: str) -> Iterator[tuple[int, float]]:
    """Every page of Datasette's table JSON from `first`, following its `_next`."""
    return pages(
        client, first, lambda b: (len(b["rows"]), f"{first}&_next={b['next']}" if b.get("next") else None)
    )


@contextmanager
def bare_server(db_path: str, table: str) -> Iterator[str]:
    """The calibration point (`bare_masked_loop.py`, a bare masked FastAPI loop) under uvicorn on a free port."""
    port = free_port()
    env = {**os.environ, "BARE_DB": db_path, "BARE_TABLE": table}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_masked_loop:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env=env,
    )
    with running(proc, port, "/rows?size=1") as base:
        yield base


def bench(data: Path, db_path: str, resource_id: int, token: str, table: str) -> dict:
    """Both servers up at once, each table walked twice (turns of CHUNK pages, then of SHORT_CHUNK):
    {chunk: {"ours": (rows, s), "datasette": (rows, s)}, "peak_mb": ...}."""
    out: dict = {}
    with (
        our_server(data) as (base, proc),
        datasette_server(db_path) as ref_base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as ours,
        httpx.Client(base_url=ref_base, timeout=60) as ref,
    ):
        path = f"/api/v1/exchange/resources/{resource_id}/rows"
        print(f"  a masked row: {ours.get(path, params={'size': 1}).json()['items'][0]}", flush=True)
        first = f"/{Path(db_path).stem}/{table}.json?_size={PAGE}&_shape=objects&_nocount=1"
        if os.environ.get("ZHICHENG_BENCH_BARE") == "1":
            out["bare"] = calibrate(ours, ref, path, first, db_path, table)
        for chunk in (CHUNK, SHORT_CHUNK):
            out[chunk] = interleaved({"ours": keyset_walk(ours, path), "datasette": datasette_walk(ref, first)}, chunk)
        out["peak_mb"] = peak_mb(proc.pid)
        out["1w"] = several_workers.at_once(base, token, path, WORKER_PAGES, PAGE)  # several clients, one process
        # the same pages from wrk (its own process, one thread): the measure the Python clients cannot limit
        wrk_paths = several_workers.page_paths(base, token, path, WORKER_PAGES, PAGE)
        out["1w_wrk"] = several_workers.with_wrk(base, token, wrk_paths, PAGE)
    with several_workers.served_workers(data, 2) as base2:  # the same clients, `zhicheng serve --workers 2`
        out["2w"] = several_workers.at_once(base2, token, path, WORKER_PAGES, PAGE)
        out["2w_wrk"] = several_workers.with_wrk(base2, token, wrk_paths, PAGE)
    return out


def calibrate(ours: httpx.Client, ref: httpx.Client, path: str, first: str, db_path: str, table: str) -> dict:
    """One more walk in turns of CHUNK with the bare masked loop as a third side: {side: (rows, s, s with parse)}."""
    with bare_server(db_path, table) as bare_base, httpx.Client(base_url=bare_base, timeout=60) as bare:
        return interleaved(
            {
                "ours": keyset_walk(ours, path),
                "bare": keyset_walk(bare, "/rows"),
                "datasette": datasette_walk(ref, first),
            }
        )


def main() -> None:
    rows = int(os.environ.get("ZHICHENG_BENCH_ROWS", "1000000"))
    with tempfile.TemporaryDirectory(prefix="zhicheng-bench-sharing-") as tmp:
        folder = Path(tmp)
        csv_path = folder / "people.csv"
        started = time.perf_counter()
        write_people(csv_path, rows)
        db_path, resource_id, token, table = build_instance(folder / "data", csv_path)
        print(f"prepared {rows} rows ({table}) in {time.perf_counter() - started:.1f}s", flush=True)
        done = bench(folder / "data", db_path, resource_id, token, table)
    ours_mb = done["peak_mb"]
    if "bare" in done:
        ref_s, ref_all = done["bare"]["datasette"][1:]
        for side in ("ours", "bare"):
            n, s, s_all = done["bare"][side]
            assert n == rows, (side, n, rows)
            print(
                f"calibration, turns of {CHUNK}: {side} {s:.2f}s, ratio to Datasette {ref_s / s:.2f} "
                f"(with the client's parse {ref_all / s_all:.2f})"
            )
    for chunk in (SHORT_CHUNK, CHUNK):
        (ours_rows, ours_s, ours_all), (ref_rows, ref_s, ref_all) = done[chunk]["ours"], done[chunk]["datasette"]
        assert ours_rows == ref_rows == rows, (ours_rows, ref_rows, rows)
        print(
            f"turns of {chunk:>2} pages: zhicheng masked API (grant, masking, audit) {ours_s:.2f}s "
            f"{rows / ours_s:,.0f} rows/s; Datasette _size={PAGE} _next {ref_s:.2f}s {rows / ref_s:,.0f} rows/s; "
            f"ratio {ref_s / ours_s:.2f} (with the client's parse: {ours_all:.2f}s against {ref_all:.2f}s, "
            f"ratio {ref_all / ours_all:.2f})"
        )
    (_, ours_s, _), (_, ref_s, _) = done[CHUNK]["ours"], done[CHUNK]["datasette"]
    ours_rate, ref_rate = rows / ours_s, rows / ref_s
    print(f"{rows // PAGE + (rows % PAGE > 0)} pages of {PAGE} each side and walk; server peak RSS {ours_mb:.1f} MB")
    (one_rows, one_s), (two_rows, two_s) = done["1w"], done["2w"]
    ratio_2w = (two_rows / two_s) / (one_rows / one_s)
    print(f"{several_workers.CLIENTS} Python client threads at once: 1 worker {one_rows / one_s:,.0f} rows/s, "
          f"2 workers {two_rows / two_s:,.0f} rows/s: ratio_2w {ratio_2w:.2f}")
    (one_rows, one_s), (two_rows, two_s) = done["1w_wrk"], done["2w_wrk"]
    ratio_2w_wrk = (two_rows / two_s) / (one_rows / one_s)
    print(f"wrk, {several_workers.CLIENTS} connections, {several_workers.WRK_SECONDS} s each: 1 worker "
          f"{one_rows / one_s:,.0f} rows/s, 2 workers {two_rows / two_s:,.0f} rows/s: ratio_2w_wrk {ratio_2w_wrk:.2f}")
    print(
        f"BENCH sharing rows_per_s={ours_rate:.0f} datasette_rows_per_s={ref_rate:.0f} "
        f"ratio={ours_rate / ref_rate:.2f} peak_mb={ours_mb:.0f} ratio_2w={ratio_2w:.2f} ratio_2w_wrk={ratio_2w_wrk:.2f}"
    )


if __name__ == "__main__":
    main()
