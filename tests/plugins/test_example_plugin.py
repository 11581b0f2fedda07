"""A city's plugin, built into a real wheel and installed beside the venv, arrives through every door of the seam.

The example package (examples/zhicheng-example-plugin) is built with pip into a wheel, installed with
`pip install --target` into a temporary folder that goes on sys.path (the venv stays untouched), and loaded by
the plugin manager from its entry point, group `zhicheng`, as any installed plugin is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from zhicheng import hookspecs
from zhicheng.web import templating

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "zhicheng-example-plugin"
HTML = {"accept": "text/html"}


def _pip(*args: str) -> None:
    r = subprocess.run([sys.executable, "-m", "pip", *args, "--no-deps", "--quiet", "--disable-pip-version-check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture(scope="module")
def example_plugin(tmp_path_factory):
    """The example plugin installed into a folder on sys.path; the process's plugin manager reloaded."""
    tmp = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(EXAMPLE, tmp / "source", ignore=shutil.ignore_patterns("build", "*.egg-info"))
    _pip("wheel", "--wheel-dir", str(tmp / "dist"), str(source))  # built from a copy: the work tree stays clean
    wheel = next((tmp / "dist").glob("zhicheng_example_plugin-*.whl"))
    _pip("install", "--target", str(tmp / "site"), str(wheel))
    sys.path.insert(0, str(tmp / "site"))
    hookspecs.installed.cache_clear()
    templating.templates.cache_clear()  # the page templates folders, the plugins' included
    yield tmp / "site"
    sys.path.remove(str(tmp / "site"))
    sys.modules.pop("zhicheng_example_plugin", None)
    hookspecs.installed.cache_clear()
    templating.templates.cache_clear()


def test_the_plugins_template_menu_entry_and_routes_appear(example_plugin, client, make_user, login):
    officer = make_user("plugin_officer", roles=["data_officer"])
    login(client, officer)

    templates = client.get("/api/v1/catalog/templates").json()["templates"]
    parks = next(t for t in templates if t["key"] == "pocket_parks")
    assert parks["plugin"] == "pocket_parks" and parks["name"] == "口袋公园名录"
    assert [i["name"] for i in parks["items"]][:2] == ["park_code", "park_name"]
    assert "department" not in parks and "state" not in parks  # the demo's bookkeeping stays out

    blank = client.get("/catalog/new", headers=HTML).text
    assert 'id="template-pick"' in blank and '<option value="pocket_parks">口袋公园名录</option>' in blank
    filled = client.get("/catalog/new?template=pocket_parks", headers=HTML)
    assert filled.status_code == 200
    assert 'value="口袋公园名录"' in filled.text and 'value="park_code"' in filled.text
    assert 'value="opened_on"' in filled.text
    assert client.get("/catalog/new?template=no_such_template", headers=HTML).status_code == 404

    nav = client.get("/api/v1/navigation").json()
    hrefs = [e["href"] for entry in nav for e in (entry.get("entries") or [entry])]
    assert "/pocket-parks" in hrefs

    page = client.get("/pocket-parks", headers=HTML)
    assert page.status_code == 200 and "浏城桥口袋公园" in page.text
    assert 'href="/pocket-parks"' in page.text and 'href="/catalog"' in page.text  # inside the app shell
    api = client.get("/api/v1/pocket-parks").json()
    assert api["total"] == 5 and api["parks"][0]["park_code"] == "KDGY-430102-001"

    listed = {p["name"]: p for p in client.get("/api/v1/plugins").json()["plugins"]}
    mine = listed["pocket_parks"]
    assert mine["builtin"] is False
    assert (mine["distribution"], mine["version"]) == ("zhicheng-example-plugin", "0.1.0")
    assert mine["hooks"]["zhicheng_resource_templates"] == ["pocket_parks"]
    assert mine["hooks"]["zhicheng_nav_entries"] == ["口袋公园 /pocket-parks"]
    assert set(mine["hooks"]["zhicheng_routers"]) == {"/api/v1/pocket-parks", "/pocket-parks"}
    assert mine["hooks"]["zhicheng_demo_data"] == ["demo data"]
    assert mine["hooks"]["zhicheng_template_dirs"][0].endswith("zhicheng_example_plugin/templates")


def test_zhicheng_plugins_lists_the_installed_plugin(example_plugin, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(example_plugin), "ZHICHENG_DATA": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "zhicheng", "plugins"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "pocket_parks  (zhicheng-example-plugin 0.1.0)" in r.stdout
    assert "zhicheng_routers: 2" in r.stdout and "zhicheng_nav_entries: 1  口袋公园 /pocket-parks" in r.stdout


def test_the_demo_loader_registers_the_plugins_resource_and_loads_its_data(example_plugin, settings, engine):
    from zhicheng.accounts import service as accounts
    from zhicheng.catalog import service as catalog
    from zhicheng.catalog.datasets import service as datasets
    from zhicheng.core.db import make_sessionmaker
    from zhicheng.demo.loader import load_demo

    factory = make_sessionmaker(engine)
    result = load_demo(settings, factory, people=300, enterprises=80)
    assert result.loaded and result.counts["rows.pocket_parks"] == 5
    with factory() as db:
        admin = accounts.actor_for(accounts.get_user_by_username(db, "admin"))
        found, _total = catalog.list_resources(db, actor=admin, page=1, size=100)
        parks = next(r for r in found if r["name"] == "口袋公园名录")
        assert parks["state"] == "published"
        assert len(datasets.list_versions(db, actor=admin, resource_id=parks["id"])) == 1
