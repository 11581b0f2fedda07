"""The flood-control scenario's hook implementations: its device types. Registered by default
(hookspecs.SCENARIO_PLUGINS); touches no core table."""

from __future__ import annotations

from zhicheng.hookspecs import hookimpl


@hookimpl
def zhicheng_device_types() -> list[dict]:
    from zhicheng.scenarios.flood.device_types import DEVICE_TYPES

    return DEVICE_TYPES
