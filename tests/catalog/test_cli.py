"""`zhicheng catalog load / list / show`: a data bureau loads its first resources from JSON at the console."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers.catalog import resource_data
from zhicheng.catalog import service as catalog


def run(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url,
           "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "zhicheng", "catalog", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_load_list_show(db, settings, departments, tmp_path):
    police, housing = departments["police"].code, departments["housing"].code
    entries = [
        {**resource_data(), "department_code": police},
        {**resource_data(name="商品房预售许可信息", catalog_class="department", subclass=None, tags=["住房"],
                         summary="商品房预售许可证核发情况"), "department_code": housing, "state": "submitted"},
    ]
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    r = run(settings, "load", str(path), "--publish")
    assert r.returncode == 0, r.stderr
    assert "已发布 published 2" in r.stdout
    r = run(settings, "reindex")
    assert r.returncode == 0 and "reindexed" in r.stdout and "2" in r.stdout
    r = run(settings, "list", "--q", "人口")
    assert r.returncode == 0 and "常住人口基本信息" in r.stdout and "商品房预售许可信息" not in r.stdout
    code = catalog.get_resource(db, 1).code
    r = run(settings, "show", code)
    assert r.returncode == 0 and "公民身份号码" in r.stdout and "有条件共享" in r.stdout
    # loading again: every name exists; --skip-existing makes it a no-op
    assert run(settings, "load", str(path)).returncode == 1
    r = run(settings, "load", str(path), "--skip-existing")
    assert r.returncode == 0 and "跳过 skipped 2" in r.stdout


def test_a_bad_entry_stops_the_load_before_anything_is_stored(db, settings, departments, tmp_path):
    police = departments["police"].code
    entries = [{**resource_data(), "department_code": police},
               {**resource_data(name="在逃人员信息", share_type="none", open_type="none"), "department_code": police}]
    path = tmp_path / "resources.json"
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    r = run(settings, "load", str(path))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "第 2 条" in r.stderr and "share_basis" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert catalog.count_resources(db) == 0
    path.write_text("not json", encoding="utf-8")
    r = run(settings, "load", str(path))
    assert r.returncode == 1 and "JSON" in r.stderr and "Traceback" not in r.stderr
    r = run(settings, "show", "12345")
    assert r.returncode == 1 and "Traceback" not in r.stderr
