"""How a scenario plugin plugs in: every extension point, declared with pluggy (the core never imports a plugin)."""

from __future__ import annotations

import importlib
import sys
from functools import cache

import pluggy

hookspec = pluggy.HookspecMarker("zhicheng")
hookimpl = pluggy.HookimplMarker("zhicheng")

# the platform's own content, registered as plugins before the installed ones (Datasette's DEFAULT_PLUGINS habit):
# they walk the same door a city's plugin walks, and stay registered when zhicheng is not pip-installed
DEFAULT_PLUGINS = (
    "zhicheng.builtin.basedb_templates",
    "zhicheng.builtin.demo_city",
)
# the scenario plugins zhicheng ships (scenarios/*), registered after the platform's own content and before the
# installed plugins. Kept apart from DEFAULT_PLUGINS because they are applications of the platform, not its content:
# each walks only the door a city's own plugin walks (these hooks, never a core table), so one could be taken out
# into its own distribution by moving this line to an entry point, and `zhicheng plugins` shows them as built in
SCENARIO_PLUGINS = (
    "zhicheng.scenarios.environment.plugin",
    "zhicheng.scenarios.flood.plugin",
)
BUILTIN_PLUGINS = DEFAULT_PLUGINS + SCENARIO_PLUGINS
ENTRY_POINT_GROUP = "zhicheng"


# ------------------------------------------------------------------ called today

@hookspec
def zhicheng_resource_templates() -> list[dict]:
    """Catalog resource templates the scenario brings: dicts shaped like catalog.schemas.ResourceCreate plus a
    unique `key`. Offered on the register page ("从模板新建") and at GET /api/v1/catalog/templates. A template
    that also names a demo `department` (a DemoContext.departments key) and a `state` (draft | submitted |
    returned | published) is registered into the demo city by the demo loader (optional: `related`, keys)."""


@hookspec
def zhicheng_basedb_templates() -> list[dict]:
    """Base-database (基础库) templates: dicts shaped like basedb.templates.Template.as_dict() (or Template objects);
    read by basedb for every definition, assembly and page."""


@hookspec
def zhicheng_demo_data(context) -> None:
    """Load the scenario's demo data into the demo city; `context` offers the services and the demo departments."""


@hookspec
def zhicheng_nav_entries(nav) -> None:
    """Add entries to the app shell's menus: `nav` is a web.navigation.Navigation (call nav.register_nav)."""


@hookspec
def zhicheng_routers() -> list:
    """FastAPI APIRouters (pages under /<scenario>/…, JSON under /api/v1/<scenario>/…) that create_app mounts."""


@hookspec
def zhicheng_template_dirs() -> list:
    """Folders of Jinja templates for the plugin's pages (after the platform's: `render(request, "<scenario>/x.html")`
    with `{% extends "base.html" %}` puts a page in the app shell)."""


@hookspec
def zhicheng_commands() -> list:
    """Command groups for the `zhicheng` command line: (name, typer.Typer) pairs (or Typer apps whose info.name is
    set); `zhicheng <name> …` runs them. A name the core already uses is not replaced (a warning says so)."""


# ------------------------------------------------------------------ declared for the coming domains
# No consumer yet: `zhicheng plugins` and /api/v1/plugins list what each plugin contributes to them.

@hookspec
def zhicheng_device_types() -> list[dict]:
    """Device types the scenario brings: dicts shaped like iot.device_types.DeviceType (key, name, name_en,
    datastreams with observed property, UCUM unit, valid range, sampling interval); read by the IoT domain."""


@hookspec
def zhicheng_rules() -> list[dict]:
    """Rule templates over telemetry the scenario brings (iot.rules.Template; an admin instantiates one for a device
    type or a device): {"key", "name", "name_en", "description", "device_type", "kind": "threshold" | "rate" |
    "no_data" | "composite", "severity": "info" | "minor" | "major" | "critical", "params", "windows"}. params by
    kind: threshold {"datastream", "op": ">"|">="|"<"|"<="|"=="|"!=", "value", "clear" (hysteresis), "for_seconds"};
    rate {"datastream", "direction": "rise"|"fall"|"either", "amount", "per" (seconds)}; no_data {"datastream"
    (none: the device is offline), "after" (seconds)}; composite {"mode": "all"|"any", "conditions": [{"datastream",
    "op", "value"}, …], "for_seconds"}. windows: [{"start": "22:00", "end": "06:00", "days": [1..7]}] in Beijing
    time (none: always). Datastream names are the device type's."""


@hookspec
def zhicheng_indicators() -> list[dict]:
    """City vital-sign indicators (城市体征指标) the scenario computes; to be called by the cockpit domain."""


@hookspec
def zhicheng_event_categories() -> list[dict]:
    """GB/T 30428 component/event categories the scenario adds; to be called by the events domain."""


@hookspec
def zhicheng_dashboard_panels() -> list[dict]:
    """Cockpit panels the scenario contributes; to be called by the cockpit domain."""


# ------------------------------------------------------------------ managers

def plugin_manager() -> pluggy.PluginManager:
    """A new plugin manager with our hookspecs, the built-in plugins (the platform's content, then the shipped
    scenarios), then every installed plugin (entry-point group 'zhicheng')."""
    pm = pluggy.PluginManager("zhicheng")
    pm.add_hookspecs(sys.modules[__name__])
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return pm


@cache
def installed() -> pluggy.PluginManager:
    """The process's plugin manager, loaded once (what the app, the CLI and the domains consult)."""
    return plugin_manager()


def by_plugin(hook, **kwargs) -> list[tuple[str, object]]:
    """(plugin name, what it gave) for each implementation of `hook`, in registration order (built-ins first)."""
    return [(impl.plugin_name, impl.function(**{a: kwargs[a] for a in impl.argnames}))
            for impl in hook.get_hookimpls()]


def collected(hook, **kwargs) -> list:
    """Every item a list-returning hook gives, flattened, built-ins first."""
    return [item for part in reversed(hook(**kwargs)) for item in (part or ())]
