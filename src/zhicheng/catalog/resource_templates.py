"""Resource templates offered to registrars ("从模板新建"), as the plugins give them (zhicheng_resource_templates)."""

from __future__ import annotations

from typing import Any

from zhicheng.catalog import codes
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.hookspecs import by_plugin, installed

# a template's demo bookkeeping (see hookspecs.zhicheng_resource_templates), not catalog metadata
DEMO_FIELDS = ("department", "state", "dataset", "related")
# what a template may fill in: the fields of catalog.schemas.ResourceCreate a registrar sets
CATALOG_FIELDS = ("name", "catalog_class", "subclass", "detail_code", "summary", "format", "file_formats",
                  "share_type", "share_condition", "share_basis", "share_method", "open_type", "open_condition",
                  "update_cycle", "tags", "spatial", "items")


def offered(plugins=None) -> list[dict[str, Any]]:
    """Every template a registrar may start from, in plugin order: {"key", "plugin", catalog fields…}.

    Templates the demo city registers as returned (for their flaws) are not offered; a later duplicate key is."""
    pm = plugins if plugins is not None else installed()
    out: dict[str, dict[str, Any]] = {}
    for plugin_name, part in by_plugin(pm.hook.zhicheng_resource_templates):
        for t in part or ():
            if not isinstance(t, dict) or not t.get("key") or not t.get("name") or t.get("state") == "returned":
                continue
            out.setdefault(str(t["key"]), {"key": str(t["key"]), "plugin": plugin_name,
                                           **_keyed({f: t[f] for f in CATALOG_FIELDS if t.get(f) is not None})})
    return list(out.values())


def _keyed(fields: dict[str, Any]) -> dict[str, Any]:
    """Vocabulary values as their keys ("数据库" → "database"), as the form's choices and the API speak them; a
    value no vocabulary knows stays, for the register form to name."""
    for name in (*codes.VOCABULARIES, "subclass"):
        if name in fields and name != "state":
            vocab = codes.subclasses_of(fields.get("catalog_class") or "") if name == "subclass" else None
            try:
                fields[name] = codes.normalise(name, fields[name], vocab)
            except (Invalid, KeyError):
                pass
    return fields


def get(key: str, plugins=None) -> dict[str, Any]:
    """The offered template `key`, or a 404 naming the field."""
    for t in offered(plugins):
        if t["key"] == key:
            return t
    raise NotFound(f"没有名为 {key} 的资源模板", f"no resource template {key}", field="template")

