"""The flood-control scenario's hook implementations: its API and page routers, its page template, its menu entry
(物联感知 › 防汛监测), its `zhicheng flood` commands and its device types. Registered by default
(hookspecs.SCENARIO_PLUGINS); touches no core table."""

from __future__ import annotations

from pathlib import Path

from zhicheng.hookspecs import hookimpl
from zhicheng.scenarios.flood.demo import zhicheng_demo_data as zhicheng_demo_data  # demo devices

PAGE = "/flood"


@hookimpl
def zhicheng_device_types() -> list[dict]:
    from zhicheng.scenarios.flood.device_types import DEVICE_TYPES

    return DEVICE_TYPES


@hookimpl
def zhicheng_routers() -> list:
    from zhicheng.scenarios.flood import api, pages

    return [api.router, pages.router]


@hookimpl
def zhicheng_template_dirs() -> list:
    return [str(Path(__file__).parent / "templates")]


@hookimpl
def zhicheng_nav_entries(nav) -> None:
    nav.register_nav("iot", "防汛监测", PAGE, order=70)


@hookimpl
def zhicheng_commands() -> list:
    from zhicheng.scenarios.flood.cli import flood_app

    return [("flood", flood_app)]


@hookimpl
def zhicheng_rules() -> list[dict]:
    from zhicheng.scenarios.flood.rules import RULE_TEMPLATES

    return RULE_TEMPLATES
