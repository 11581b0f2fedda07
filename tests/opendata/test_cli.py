"""`zhicheng open stats / keys revoke / limit / applications` against a real instance."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from zhicheng import cli
from zhicheng.core import settings as settings_module
from zhicheng.opendata.models import PortalKey, ResourceLimit


@pytest.fixture
def run(monkeypatch, settings):
    monkeypatch.setenv("ZHICHENG_DATA", str(settings.data))
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", "test-secret-key")
    settings_module.get_settings.cache_clear()

    def invoke(*args: str):
        return CliRunner().invoke(cli.app, ["open", *args])

    yield invoke
    settings_module.get_settings.cache_clear()


def test_cli_stats_keys_limits(run, db, open_data, approved_key):
    r = run("stats")
    assert r.exit_code == 0, r.output
    assert "开放率 open rate: 75.0%" in r.output and "coverage: 100.0%" in r.output
    r = run("keys", "list")
    assert r.exit_code == 0 and approved_key["user"].username in r.output
    assert approved_key["key"] not in r.output
    r = run("keys", "revoke", str(approved_key["row"].id))
    assert r.exit_code == 0, r.output
    db.expire_all()
    assert db.get(PortalKey, approved_key["row"].id).revoked_at is not None
    r = run("limit", str(open_data["free"].id), "--rate", "7")
    assert r.exit_code == 0, r.output
    assert db.get(ResourceLimit, open_data["free"].id).rate_per_minute == 7
    r = run("applications", "--state", "approved")
    assert r.exit_code == 0 and "重点人员信息" in r.output
    r = run("keys", "revoke", "999999")
    assert r.exit_code != 0
