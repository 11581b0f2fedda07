"""How a scenario plugin plugs in: every extension point, declared with pluggy (the core never imports a plugin)."""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("zhicheng")
hookimpl = pluggy.HookimplMarker("zhicheng")


@hookspec
def zhicheng_resource_templates() -> list[dict]:
    """Catalog resource templates the scenario brings: dicts shaped like catalog.schemas.ResourceCreate."""


@hookspec
def zhicheng_demo_data(context) -> None:
    """Load the scenario's demo data into the demo city; `context` offers the services and the demo departments."""


@hookspec
def zhicheng_device_types() -> list[dict]:
    """Device types (sensors and their datastreams) the scenario brings (IoT domain)."""


@hookspec
def zhicheng_rules() -> list[dict]:
    """Alarm rules over telemetry the scenario brings (IoT domain)."""


@hookspec
def zhicheng_indicators() -> list[dict]:
    """City vital-sign indicators (城市体征指标) the scenario computes (cockpit domain)."""


@hookspec
def zhicheng_event_categories() -> list[dict]:
    """GB/T 30428 component/event categories the scenario adds (events domain)."""


@hookspec
def zhicheng_dashboard_panels() -> list[dict]:
    """Cockpit panels the scenario contributes (cockpit domain)."""


def plugin_manager() -> pluggy.PluginManager:
    """The plugin manager with our hookspecs and every installed plugin (entry point group 'zhicheng')."""
    pm = pluggy.PluginManager("zhicheng")
    import sys

    pm.add_hookspecs(sys.modules[__name__])
    pm.load_setuptools_entrypoints("zhicheng")
    return pm
