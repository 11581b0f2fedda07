"""`zhicheng basedb templates|define|run|conflicts` and `zhicheng lineage show` at the console, and the demo seed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers.basedb import fields
from zhicheng.basedb import flows, service


def cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ZHICHENG_DATA": str(settings.data),
        "ZHICHENG_DATABASE_URL": settings.db_url,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "zhicheng", *args], capture_output=True, text=True, env=env, timeout=180
    )


@pytest.mark.slow
def test_define_run_conflicts_and_lineage_at_the_console(db, settings, sources, departments, tmp_path):
    a, b = sources
    r = cli(settings, "basedb", "templates")
    assert r.returncode == 0 and "citizen_id" in r.stdout and "credit_code" in r.stdout
    path = tmp_path / "population.json"
    bad = {
        "name": "人口基础库",
        "template": "population",
        "department_id": departments["data_bureau"].id,
        "fields": fields(a, b)[1:],
    }
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    r = cli(settings, "basedb", "define", str(path))
    assert r.returncode == 1 and "citizen_id" in r.stderr and "Traceback" not in r.stderr
    path.write_text(json.dumps({**bad, "fields": fields(a, b)}, ensure_ascii=False), encoding="utf-8")
    r = cli(settings, "basedb", "define", str(path))
    assert r.returncode == 0, r.stderr
    r = cli(settings, "basedb", "run", "1")
    assert r.returncode == 0, r.stderr
    assert "records=5" in r.stdout and "conflicts=1" in r.stdout and "by_er=3" in r.stdout
    r = cli(settings, "basedb", "conflicts")
    assert r.returncode == 0 and "住房保障对象" in r.stdout
    output = service.get_assembly(db, 1).resource_id
    r = cli(settings, "lineage", "show", str(output), "--direction", "up")
    assert r.returncode == 0 and "人口基础库" in r.stdout and "常住人口登记" in r.stdout


def test_the_demo_seed(db, basedb_actors, departments):
    asm = flows.seed_demo(
        db,
        actor=basedb_actors["admin"],
        source_departments=(departments["police"].id, departments["housing"].id),
        owner_department_id=departments["data_bureau"].id,
        rows=80,
    )
    view = service.read_assembly(db, actor=basedb_actors["admin"], assembly_id=asm.id)
    assert view["name"] == "人口基础库（演示）" and view["last_run"]["records"] >= 80
    assert view["last_run"]["conflicts"] > 0
    again = flows.seed_demo(
        db,
        actor=basedb_actors["admin"],
        source_departments=(departments["police"].id, departments["housing"].id),
        owner_department_id=departments["data_bureau"].id,
        rows=80,
    )
    assert again.id == asm.id  # seeding twice (a demo started again) changes nothing
