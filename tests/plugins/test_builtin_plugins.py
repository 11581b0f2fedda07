"""The platform's own content walks the plugin seam: base-database templates and the demo catalog are plugins,
every declared hook is listed with what each plugin gives it, and a plugin's base-database template is basedb's."""

from __future__ import annotations

from zhicheng import hookspecs
from zhicheng.hookspecs import hookimpl

STANDARD_BASEDBS = ["population", "legal_entity", "geo", "credit", "license", "housing", "city_component"]


def test_the_built_in_content_is_registered_as_plugins_before_installed_ones():
    pm = hookspecs.plugin_manager()
    names = [name for name, _plugin in pm.list_name_plugin()]
    assert names[:2] == list(hookspecs.DEFAULT_PLUGINS)
    by_plugin = dict(hookspecs.by_plugin(pm.hook.zhicheng_basedb_templates))
    assert [t["code"] for t in by_plugin["zhicheng.builtin.basedb_templates"]] == STANDARD_BASEDBS
    demo = dict(hookspecs.by_plugin(pm.hook.zhicheng_resource_templates))["zhicheng.builtin.demo_city"]
    assert len(demo) == 55 and demo[0]["key"] == "population_resident"


def test_basedb_reads_its_templates_from_the_hook(client, make_user, auth_headers):
    from zhicheng.basedb.templates import TEMPLATES, get_template

    class Parks:
        @hookimpl
        def zhicheng_basedb_templates(self):
            return [{"code": "parks", "name": "公园绿地基础库", "name_en": "Parks", "key": "park_code",
                     "catalog_class": "theme", "subclass": "city_management", "match": {"name": "park_name"},
                     "fields": [{"name": "park_code", "label": "公园编码", "length": 20},
                                {"name": "park_name", "label": "公园名称", "length": 100}]}]

    pm = hookspecs.installed()
    plugin = Parks()
    pm.register(plugin, name="parks")
    try:
        assert list(TEMPLATES) == [*STANDARD_BASEDBS, "parks"]
        parks = get_template("parks")
        assert parks.key.name == "park_code" and parks.match == {"name": "park_name"}
        admin = make_user("basedb_admin", roles=["admin"])
        listed = client.get("/api/v1/basedb/templates", headers=auth_headers(admin)).json()
        assert [t["code"] for t in listed][-1] == "parks"
    finally:
        pm.unregister(plugin)
    assert "parks" not in TEMPLATES


def test_every_declared_hook_is_walked_by_zhicheng_plugins(client, make_user, auth_headers):
    from zhicheng.plugins import service

    declared = service.hook_names()
    assert len(declared) == 12 and set(service.CONSUMERS) == set(declared)
    user = make_user("plugin_reader")
    body = client.get("/api/v1/plugins", headers=auth_headers(user)).json()
    builtin = {p["name"]: p for p in body["plugins"] if p["builtin"]}
    assert len(builtin["zhicheng.builtin.basedb_templates"]["hooks"]["zhicheng_basedb_templates"]) == 7
    assert len(builtin["zhicheng.builtin.demo_city"]["hooks"]["zhicheng_resource_templates"]) == 55
    assert set(body["hooks"]) == set(declared)
    assert client.get("/api/v1/plugins").status_code == 401
