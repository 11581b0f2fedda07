"""One department's import does not freeze the city: while 公安局 imports a large table through a real server
(1,000,000 rows; 200,000 in the quick variant), another department's user keeps logging in, taking a page of
granted data through the sharing API and searching the catalog, and each answer comes in about as fast as on a
quiet server. The import completes with every row; a server killed half way through leaves no half version."""

from __future__ import annotations

import os
import signal
import statistics
import threading
import time

import httpx
import pytest
import sqlalchemy as sa

from tests.datasets.conftest import person, write_csv
from tests.helpers.accounts import DEFAULT_PASSWORD
from tests.helpers.catalog import SAMPLE_ITEMS
from tests.helpers.served import served
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import SYSTEM
from zhicheng.core.errors import NotFound

BIG_ITEMS = [
    {"name": "bh", "label": "编号", "type": "integer", "required": True},
    {"name": "mc", "label": "名称", "type": "string", "length": 30, "required": True},
    {"name": "dqdm", "label": "行政区划代码", "type": "string", "length": 6, "check": "region_code"},
    {"name": "rq", "label": "登记日期", "type": "date"},
    {"name": "je", "label": "金额", "type": "decimal", "length": 12, "scale": 2},
]
REGIONS = ["430102", "430103", "430104", "430105", "430111", "430112"]


def write_big(path, rows: int):
    """`rows` valid rows of BIG_ITEMS as a CSV (identifiers as header)."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write("bh,mc,dqdm,rq,je\n")
        batch = []
        for n in range(1, rows + 1):
            batch.append(f"{n},登记事项{n % 9973},{REGIONS[n % 6]},2026-{n % 12 + 1:02d}-{n % 28 + 1:02d},"
                         f"{n % 100000}.{n % 100:02d}\n")
            if len(batch) == 10_000:
                fh.write("".join(batch))
                batch.clear()
        fh.write("".join(batch))
    return path


@pytest.fixture
def city(db, settings, tmp_path, make_resource, make_grant, exchange_users, departments):
    """公安局's big resource to import into, and 住建局's user with a live grant on a small 公安局 table."""
    shared = make_resource("常住人口共享库", department=departments["police"], state="published")
    rows = [[r[0], r[1], r[2], r[5]] for r in (person(n) for n in range(1, 101))]
    report = datasets.import_file(db, actor=SYSTEM, resource_id=shared.id, filename="people.csv",
                                  path=write_csv(tmp_path / "people.csv", rows,
                                                 header=[i["name"] for i in SAMPLE_ITEMS]))
    assert report.ok, report.errors[:3]
    make_grant(shared)
    big = make_resource("企业登记流水", department=departments["police"], items=BIG_ITEMS)
    return {"shared": shared, "big": big, "consumer": exchange_users["consumer_user"],
            "officer": exchange_users["provider_officer"]}


class Timings:
    """Latencies of each kind of call, with every failure kept."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = {}
        self.failures: list[str] = []

    def call(self, kind: str, fn) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            r = fn()
        except httpx.HTTPError as exc:
            self.failures.append(f"{kind}: {type(exc).__name__}")
            return None
        self.seconds.setdefault(kind, []).append(time.perf_counter() - started)
        if r.status_code != 200:
            self.failures.append(f"{kind}: {r.status_code} {r.text[:200]}")
        return r

    def summary(self) -> str:
        out = []
        for kind, values in self.seconds.items():
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
            out.append(f"{kind}: n={len(ordered)} p50={statistics.median(ordered):.3f}s p95={p95:.3f}s "
                       f"max={ordered[-1]:.3f}s")
        return "; ".join(out)


def login(c: httpx.Client, t: Timings, city) -> dict[str, str]:
    r = t.call("login", lambda: c.post("/api/v1/auth/token",
                                       json={"username": city["consumer"].username, "password": DEFAULT_PASSWORD}))
    token = r.json()["access_token"] if r is not None and r.status_code == 200 else None
    return {"Authorization": f"Bearer {token}"}


def deliver(c: httpx.Client, t: Timings, city, auth) -> None:
    t.call("deliver", lambda: c.get(f"/api/v1/exchange/resources/{city['shared'].id}/rows",
                                    params={"size": 20}, headers=auth))


def search(c: httpx.Client, t: Timings, auth) -> None:
    t.call("catalog", lambda: c.get("/api/v1/catalog/resources", params={"q": "人口"}, headers=auth))


def the_other_department(base: str, t: Timings, city, auth, until: threading.Event) -> None:
    """The other department's day, three people at once: one logs in again and again, one takes pages of granted
    rows, one searches the catalog (each audited); each at least once, then until `until` is set."""

    def loop(step) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            step(c)
            while not until.is_set():
                step(c)

    people = [threading.Thread(target=loop, args=(step,)) for step in (
        lambda c: login(c, t, city), lambda c: deliver(c, t, city, auth), lambda c: search(c, t, auth))]
    for someone in people:
        someone.start()
    for someone in people:
        someone.join()


def officer_auth(c: httpx.Client, city) -> dict[str, str]:
    r = c.post("/api/v1/auth/token", json={"username": city["officer"].username, "password": DEFAULT_PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def start_import(c: httpx.Client, city, path) -> tuple[str, dict[str, str]]:
    """(job id, the officer's credentials) of an import of `path` into the big resource, through the API."""
    auth = officer_auth(c, city)
    with path.open("rb") as fh:
        r = c.post(f"/api/v1/catalog/resources/{city['big'].id}/imports", headers=auth,
                   files={"file": ("企业登记流水.csv", fh, "text/csv")})
    assert r.status_code == 202, r.text
    return r.json()["id"], auth


@pytest.mark.parametrize("rows", [pytest.param(1_000_000, marks=pytest.mark.slow), 200_000])
def test_others_log_in_receive_and_read_while_a_big_import_runs(db, settings, tmp_path, city, rows):
    big_csv = write_big(tmp_path / "big.csv", rows)
    quiet, busy = Timings(), Timings()
    with served(settings) as (base, _proc), httpx.Client(base_url=base, timeout=60) as c:
        auth = login(c, Timings(), city)
        done = threading.Event()
        done.set()
        the_other_department(base, Timings(), city, auth, done)  # warm: one call of each (the first search, …)
        done.clear()
        calm = threading.Thread(target=the_other_department, args=(base, quiet, city, auth, done))
        calm.start()
        time.sleep(3)  # a quiet server's answers first
        done.set()
        calm.join()
        done.clear()
        others = threading.Thread(target=the_other_department, args=(base, busy, city, auth, done))
        job, officer = start_import(c, city, big_csv)
        started = time.perf_counter()
        others.start()
        while c.get(f"/api/v1/imports/{job}", headers=officer).json()["state"] in ("queued", "running"):
            time.sleep(0.1)
        took = time.perf_counter() - started
        done.set()
        others.join()
        final = c.get(f"/api/v1/imports/{job}", headers=officer).json()
    print(f"\n{rows:,} rows imported in about {took:.1f} s ({final['state']})\n"
          f"  quiet server: {quiet.summary()}\n  during the import: {busy.summary()}")
    assert not quiet.failures and not busy.failures, (quiet.failures + busy.failures)[:5]
    assert final["state"] == "succeeded", final
    version = datasets.get_version(db, actor=SYSTEM, resource_id=city["big"].id)
    assert version.row_count == rows
    for kind, values in busy.seconds.items():  # generous: two seconds more than the slowest quiet call, and more
        assert max(values) < 2.0 + 3 * max(quiet.seconds[kind]), (kind, busy.summary())
    assert len(busy.seconds["deliver"]) >= 5  # the calls really ran while the import did


def staging_tables(engine) -> list[str]:
    return [n for n in sa.inspect(engine).get_table_names() if n.startswith("ds_stage_")]


def test_a_server_killed_mid_import_leaves_no_half_version(db, engine, settings, tmp_path, city):
    big_csv = write_big(tmp_path / "big.csv", 400_000)
    with served(settings) as (base, proc), httpx.Client(base_url=base, timeout=60) as c:
        job, admin = start_import(c, city, big_csv)
        deadline = time.monotonic() + 120
        while c.get(f"/api/v1/imports/{job}", headers=admin).json()["rows_read"] < 50_000:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # the machine loses power half way through
        proc.wait()
    with pytest.raises(NotFound):  # no version, whole or half, is visible
        datasets.get_version(db, actor=SYSTEM, resource_id=city["big"].id)
    assert datasets.list_versions(db, actor=SYSTEM, resource_id=city["big"].id) == []
    with served(settings) as (base, _proc), httpx.Client(base_url=base, timeout=60) as c:
        after = c.get(f"/api/v1/imports/{job}", headers=officer_auth(c, city)).json()
        assert after["state"] == "failed"  # the restarted server says so, and has cleared what was staged
    assert staging_tables(engine) == []
    db.expire_all()
    assert datasets.list_versions(db, actor=SYSTEM, resource_id=city["big"].id) == []


def test_a_failed_import_leaves_nothing_staged(db, engine, tmp_path, city, officers):
    """A bad row after many good ones (already written in batches): no version, and the staged rows are gone."""
    path = write_big(tmp_path / "big.csv", 12_000)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("12001,登记事项,999999,2026-13-45,abc\n")
    report = datasets.import_file(db, actor=officers["police"], resource_id=city["big"].id, path=path,
                                  filename="big.csv")
    assert not report.ok and report.error_count >= 1 and report.rows_read == 12_001
    assert staging_tables(engine) == []
    assert datasets.list_versions(db, actor=SYSTEM, resource_id=city["big"].id) == []
