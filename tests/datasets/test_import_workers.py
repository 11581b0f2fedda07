"""Several server processes on one database: a process that starts while another imports leaves that import alone
(jobs are claimed by their process under a lease), and still fails the jobs a stopped process left."""

from __future__ import annotations

import time

import httpx

from tests.datasets.test_import_load import city, officer_auth, staging_tables, start_import, write_big  # noqa: F401
from tests.helpers.served import served
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import SYSTEM

ROWS = 1_000_000  # long enough that the second process starts while the first still imports


def test_a_second_worker_starting_mid_import_leaves_the_import_running(db, engine, settings, tmp_path, city):  # noqa: F811
    big_csv = write_big(tmp_path / "big.csv", ROWS)
    with served(settings) as (base, _first), httpx.Client(base_url=base, timeout=60) as c:
        job, auth = start_import(c, city, big_csv)
        deadline = time.monotonic() + 120
        while c.get(f"/api/v1/imports/{job}", headers=auth).json()["rows_read"] < 30_000:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        staged = staging_tables(engine)
        with served(settings) as (other, _second), httpx.Client(base_url=other, timeout=60) as c2:
            seen = c2.get(f"/api/v1/imports/{job}", headers=officer_auth(c2, city)).json()
            print(f"the second worker started while {staged} was staged; it sees the job {seen['state']}")
            assert seen["state"] in ("queued", "running")  # not swept as interrupted (and still running: the race)
        deadline = time.monotonic() + 300
        while (state := c.get(f"/api/v1/imports/{job}", headers=auth).json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert state["state"] == "succeeded", state
    version = datasets.get_version(db, actor=SYSTEM, resource_id=city["big"].id)
    assert version.row_count == ROWS
    assert staging_tables(engine) == []
