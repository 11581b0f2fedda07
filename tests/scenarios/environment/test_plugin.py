"""The environment scenario is a plugin like a city's own: registered by default after the platform's content,
walking only the hooks, and listed with what it gives by `zhicheng plugins` and /api/v1/plugins."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from zhicheng import hookspecs

NAME = "zhicheng.scenarios.environment.plugin"


def test_it_is_registered_after_the_platforms_own_content():
    pm = hookspecs.plugin_manager()
    names = [name for name, _plugin in pm.list_name_plugin()]
    assert names[:3] == [*hookspecs.DEFAULT_PLUGINS, NAME]
    routers = dict(hookspecs.by_plugin(pm.hook.zhicheng_routers))[NAME]
    paths = {route.path for router in routers for route in router.routes}
    assert {"/api/v1/environment/aqi", "/api/v1/environment/water-class", "/api/v1/environment/noise",
            "/environment/calculators"} <= paths
    commands = dict(hookspecs.by_plugin(pm.hook.zhicheng_commands))[NAME]
    assert [name for name, _group in commands] == ["env"]


def test_zhicheng_plugins_lists_it_as_built_in(client, make_user, auth_headers):
    body = client.get("/api/v1/plugins", headers=auth_headers(make_user("plugin_looker"))).json()
    env = next(p for p in body["plugins"] if p["name"] == NAME)
    assert env["builtin"] is True
    assert env["hooks"]["zhicheng_commands"] == ["env"]
    assert "环境计算器 /environment/calculators" in env["hooks"]["zhicheng_nav_entries"]
    assert "zhicheng_commands" in body["hooks"]
    from zhicheng import cli

    listed = json.loads(CliRunner().invoke(cli.app, ["plugins", "--json"]).output)
    assert any(p["name"] == NAME and p["hooks"]["zhicheng_commands"] == ["env"] for p in listed["plugins"])


def test_a_plugin_cannot_take_a_core_commands_name(capsys):
    import typer

    from zhicheng import cli
    from zhicheng.hookspecs import hookimpl

    class Clash:
        @hookimpl
        def zhicheng_commands(self):
            return [("serve", typer.Typer()), ("pocket", typer.Typer(name="pocket"))]

    pm = hookspecs.plugin_manager()
    pm.register(Clash(), name="clash")
    before = {g.name for g in cli.app.registered_groups}
    try:
        cli._mount_plugin_commands(pm)
        after = [g.name for g in cli.app.registered_groups]
        assert after.count("env") == 1 and "pocket" in after and "serve" not in set(after) - before
        assert "serve" in capsys.readouterr().err
    finally:
        cli.app.registered_groups[:] = [g for g in cli.app.registered_groups if g.name in before]
