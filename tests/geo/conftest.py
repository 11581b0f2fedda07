"""Fixtures of the geo tests: `geo_cli` runs `zhicheng geo …` against the test instance."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner


@pytest.fixture
def geo_cli(settings, monkeypatch):
    """`geo_cli("convert", …)` runs `zhicheng geo convert …` with the test instance's settings in the environment."""
    from zhicheng import cli
    from zhicheng.core import settings as settings_module

    monkeypatch.setenv("ZHICHENG_DATA", str(settings.data))
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", "test-secret-key")
    settings_module.get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(cli.app, ["geo", *args])
    settings_module.get_settings.cache_clear()
