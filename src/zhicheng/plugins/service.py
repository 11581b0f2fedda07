"""Walk every declared hook of every installed plugin and say what it contributes (nothing is persisted)."""

from __future__ import annotations

from typing import Any

from zhicheng import hookspecs
from zhicheng.hookspecs import installed

# hook → the domain that consumes what it gives ("" : read today; otherwise the coming domain that will)
CONSUMERS: dict[str, str] = {
    "zhicheng_resource_templates": "catalog: 从模板新建, /api/v1/catalog/templates; demo: the demo catalog",
    "zhicheng_basedb_templates": "basedb: base-database definitions, assembly, pages",
    "zhicheng_demo_data": "demo: zhicheng demo (after the built-in steps)",
    "zhicheng_nav_entries": "web: the app shell's menus (create_app)",
    "zhicheng_routers": "web: pages and APIs mounted by create_app",
    "zhicheng_template_dirs": "web: Jinja template folders of the plugins' pages (web.templating)",
    "zhicheng_commands": "cli: `zhicheng <name> …` command groups (zhicheng.cli)",
    "zhicheng_device_types": "iot: device types and their datastreams (zhicheng iot types, /api/v1/iot/device-types)",
    "zhicheng_rules": "iot (coming): alarm rules over telemetry",
    "zhicheng_indicators": "cockpit (coming): city vital-sign indicators",
    "zhicheng_event_categories": "events (coming): GB/T 30428 event categories",
    "zhicheng_dashboard_panels": "cockpit (coming): dashboard panels",
}
# keys naming one contribution of a list hook, the first one present wins
NAME_KEYS = ("code", "key", "name", "label", "title", "id")


def hook_names() -> list[str]:
    """Every hook the core declares, in declaration order."""
    return [name for name in vars(hookspecs) if name.startswith("zhicheng_") and callable(getattr(hookspecs, name))]


def describe(plugins=None) -> list[dict[str, Any]]:
    """Each plugin: {"name", "builtin", "distribution", "version", "hooks": {hook: [what it gives]}}."""
    pm = plugins if plugins is not None else installed()
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    out: dict[str, dict[str, Any]] = {}
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = dists.get(id(plugin))
        out[name] = {"name": name, "builtin": name in hookspecs.BUILTIN_PLUGINS,
                     "distribution": dist.metadata["Name"] if dist else None,
                     "version": dist.version if dist else None, "hooks": {}}
    for hook in hook_names():
        for name, given in _contributions(pm, hook):
            if name in out:
                out[name]["hooks"][hook] = given
    return list(out.values())


def _contributions(pm, hook: str) -> list[tuple[str, list[str]]]:
    caller = getattr(pm.hook, hook)
    if hook == "zhicheng_demo_data":  # loads data: not called here, only named
        return [(impl.plugin_name, ["demo data"]) for impl in caller.get_hookimpls()]
    if hook == "zhicheng_nav_entries":
        from zhicheng.web.navigation import Navigation

        out = []
        for impl in caller.get_hookimpls():
            nav = Navigation()
            impl.function(nav=nav)
            out.append((impl.plugin_name, [f"{item.label} {item.href}" for item in nav.items]))
        return out
    if hook == "zhicheng_commands":
        return [(name, [command_name(entry) for entry in (given or ())]) for name, given in hookspecs.by_plugin(caller)]
    if hook == "zhicheng_routers":
        return [(name, [getattr(route, "path", str(route)) for router in (routers or ()) for route in router.routes])
                for name, routers in hookspecs.by_plugin(caller)]
    return [(name, [_label(item) for item in (given or ())]) for name, given in hookspecs.by_plugin(caller)]


def _label(item: Any) -> str:
    if isinstance(item, dict):
        return next((str(item[k]) for k in NAME_KEYS if item.get(k)), "?")
    return str(getattr(item, "code", None) or getattr(item, "name", None) or item)


def command_name(entry: Any) -> str:
    """The name of one zhicheng_commands entry: a (name, Typer) pair, or a Typer app named in its info."""
    if isinstance(entry, tuple) and entry and isinstance(entry[0], str):
        return entry[0]
    return str(getattr(getattr(entry, "info", None), "name", None) or entry)
