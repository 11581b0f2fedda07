"""Built-in plugin: the demo city's 52 catalog resources (demo/data/resources.json) as resource templates.

Each carries its demo `department` and `state`, so the demo loader registers it into 长沙市; the register page
offers them as templates (except the two the demo has returned for their flaws)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from zhicheng.hookspecs import hookimpl


@cache
def _bundled() -> tuple[dict, ...]:
    text = resources.files("zhicheng.demo").joinpath("data", "resources.json").read_text(encoding="utf-8")
    return tuple(json.loads(text))


@hookimpl
def zhicheng_resource_templates() -> list[dict]:
    """The demo catalog, one template per resource (copies: a caller may change them)."""
    return [json.loads(json.dumps(spec)) for spec in _bundled()]
