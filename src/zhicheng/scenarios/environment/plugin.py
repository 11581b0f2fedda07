"""The environment scenario's hook implementations: its API and page routers, its page templates, its menu entry,
its `zhicheng env` commands and its device types (air, water and noise stations). Registered by default
(hookspecs.SCENARIO_PLUGINS); touches no core table."""

from __future__ import annotations

from pathlib import Path

from zhicheng.hookspecs import hookimpl
from zhicheng.scenarios.environment.demo import zhicheng_demo_data as zhicheng_demo_data  # demo devices

PAGE = "/environment/calculators"


@hookimpl
def zhicheng_routers() -> list:
    from zhicheng.scenarios.environment import api, pages, station_pages, stations_api

    return [api.router, pages.router, stations_api.router, station_pages.router]


@hookimpl
def zhicheng_template_dirs() -> list:
    return [str(Path(__file__).parent / "templates")]


@hookimpl
def zhicheng_nav_entries(nav) -> None:
    # staff see it in 物联感知; visitors reach the page and the API without a menu entry (their bar is the portal's)
    nav.register_nav("iot", "环境计算器", PAGE, order=80)
    nav.register_nav("iot", "空气质量", "/environment/air", order=50)


@hookimpl
def zhicheng_commands() -> list:
    from zhicheng.scenarios.environment.cli import env_app

    return [("env", env_app)]


@hookimpl
def zhicheng_device_types() -> list[dict]:
    from zhicheng.scenarios.environment.device_types import DEVICE_TYPES

    return DEVICE_TYPES


@hookimpl
def zhicheng_rules() -> list[dict]:
    from zhicheng.scenarios.environment.rules import RULE_TEMPLATES

    return RULE_TEMPLATES
