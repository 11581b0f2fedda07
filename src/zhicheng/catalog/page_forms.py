"""What the catalog pages show and read: vocabularies in the user's language, the register form, facets, cards."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from zhicheng.catalog import codes
from zhicheng.catalog.identifiers import identifier_for
from zhicheng.catalog.items import CHECK_NAMES, SENSITIVITY_NAMES, TYPE_NAMES
from zhicheng.core.errors import AppError

ITEM_FIELD_RE = re.compile(r"^items-(\d+)-(\w+)$")
ITEM_FIELDS = ("name", "label", "type", "length", "scale", "required", "personal", "sensitivity", "check",
               "description")
TEXT_FIELDS = ("name", "catalog_class", "subclass", "detail_code", "summary", "format", "share_type",
               "share_condition", "share_basis", "share_method", "open_type", "open_condition", "update_cycle")
LIST_FIELDS = ("file_formats", "tags", "related_codes")
# facet name in the search result -> (query parameter, Chinese title)
FACETS: dict[str, str] = {
    "state": "状态",
    "catalog_class": "目录分类",
    "department": "资源提供方",
    "share_type": "共享类型",
    "open_type": "开放类型",
    "format": "资源格式",
    "update_cycle": "更新周期",
}
ACTION_NAMES = {"create": "登记", "update": "修改", "submit": "提交审核", "return": "审核退回",
                "publish": "审核发布", "withdraw": "撤销发布", "revise": "发起修订"}


def pick(names: tuple[str, str], lang: str) -> str:
    return names[1] if lang.startswith("en") else names[0]


def options(vocab: dict, lang: str) -> list[tuple[str, str]]:
    """(key, display name) pairs of a vocabulary in `lang`."""
    return [(str(k), pick(v, lang)) for k, v in vocab.items()]


def vocabularies(lang: str) -> dict[str, list[tuple[str, str]]]:
    """Every select of the register form, in the user's language."""
    return {
        "catalog_class": options(codes.CATALOG_CLASSES, lang),
        "subclass_groups": [
            ("base", pick(codes.CATALOG_CLASSES["base"], lang), options(codes.BASE_SUBCLASSES, lang)),
            ("theme", pick(codes.CATALOG_CLASSES["theme"], lang), options(codes.THEME_SUBJECTS, lang)),
        ],
        "format": options(codes.FORMATS, lang),
        "share_type": options(codes.SHARE_TYPES, lang),
        "share_method": options(codes.SHARE_METHODS, lang),
        "open_type": options(codes.OPEN_TYPES, lang),
        "update_cycle": options(codes.UPDATE_CYCLES, lang),
        "item_type": options(TYPE_NAMES, lang),
        "sensitivity": options(SENSITIVITY_NAMES, lang),
        "item_check": options(CHECK_NAMES, lang),
    }


def labels(doc: dict[str, Any], lang: str) -> dict[str, str]:
    """Display names of a resource document's enumerated values in `lang`."""
    out = {f: codes.label(f, doc.get(f), lang) for f in codes.VOCABULARIES if doc.get(f)}
    out["subclass"] = codes.label("subclass", doc.get("subclass"), lang) if doc.get("subclass") else ""
    return out


def item_rows(items: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Data items with the display names of their type, grade and check."""
    out = []
    for it in items:
        row = dict(it)
        row["type_label"] = pick(TYPE_NAMES.get(it.get("type"), (it.get("type"),) * 2), lang)
        row["sensitivity_label"] = pick(SENSITIVITY_NAMES.get(it.get("sensitivity"), (it.get("sensitivity"),) * 2),
                                        lang)
        row["check_label"] = pick(CHECK_NAMES[it["check"]], lang) if it.get("check") in CHECK_NAMES else None
        out.append(row)
    return out


def card(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    """What a result card shows of a resource document."""
    dept = doc.get("department") or {}
    return {
        "id": doc["id"], "name": doc["name"], "code": doc.get("code"), "state": doc.get("state"),
        "summary": doc.get("summary") or "", "tags": doc.get("tags") or [],
        "department": (dept.get("name_en") if lang == "en" and dept.get("name_en") else dept.get("name")) or "",
        "state_label": codes.label("state", doc.get("state"), lang),
        "class_label": codes.label("catalog_class", doc.get("catalog_class"), lang),
        "subclass_label": codes.label("subclass", doc.get("subclass"), lang) if doc.get("subclass") else "",
        "share_label": codes.label("share_type", doc.get("share_type"), lang),
        "open_label": codes.label("open_type", doc.get("open_type"), lang),
        "cycle_label": codes.label("update_cycle", doc.get("update_cycle"), lang),
        "item_count": len(doc.get("items") or []),
        "personal_count": sum(1 for i in doc.get("items") or [] if i.get("personal")),
    }


def facet_groups(facets: dict[str, list], chosen: dict[str, list[str]], lang: str) -> list[dict[str, Any]]:
    """The facets of a search result as checkable filter groups (the chosen values checked)."""
    groups = []
    for name, title in FACETS.items():
        values = facets.get(name) or []
        if not values:
            continue
        picked = set(chosen.get(name, []))
        rows = []
        for v in values:
            v = v if isinstance(v, dict) else v.model_dump()
            label = v.get("label_en") if lang == "en" and v.get("label_en") else v.get("label")
            rows.append({"value": str(v["value"]), "label": label or str(v["value"]), "count": v.get("count", 0),
                         "checked": str(v["value"]) in picked})
        groups.append({"name": name, "title": title, "values": rows})
    return groups


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "on", "yes")


def resource_from_form(form: FormData) -> dict[str, Any]:
    """The resource description a register/edit form posted, with its data items in the order shown."""
    data: dict[str, Any] = {f: (form.get(f) or "").strip() or None for f in TEXT_FIELDS}
    for f in LIST_FIELDS:
        data[f] = (form.get(f) or "").strip() or None
    data["spatial"] = _truthy(form.get("spatial"))
    if form.get("department_id"):
        data["department_id"] = form.get("department_id")
    rows: dict[str, dict[str, Any]] = {}
    for key, value in form.multi_items():
        m = ITEM_FIELD_RE.match(key)
        if m and m.group(2) in ITEM_FIELDS:
            rows.setdefault(m.group(1), {})[m.group(2)] = value.strip() if isinstance(value, str) else value
    items = []
    for row in rows.values():  # dicts keep the order the rows were posted in
        if not any((row.get(k) or "").strip() for k in ("name", "label", "description", "length")):
            continue  # an empty row the user added and left blank
        item = {k: row.get(k) or None for k in ("name", "label", "type", "length", "scale", "sensitivity",
                                                "check", "description")}
        item["required"] = _truthy(row.get("required"))
        item["personal"] = _truthy(row.get("personal"))
        items.append(item)
    for item in items:  # a row left without an identifier gets one from its Chinese name (without script too)
        if not item["name"] and item["label"] and len(item["label"]) <= 100:
            item["name"] = identifier_for(item["label"], taken=[i["name"] or "" for i in items])
    data["items"] = items
    return data


def form_values(doc: dict[str, Any]) -> dict[str, Any]:
    """A resource document as the form fields show it (lists joined with commas)."""
    values = dict(doc)
    for f in LIST_FIELDS:
        v = doc.get(f)
        values[f] = ", ".join(v) if isinstance(v, list) else (v or "")
    if isinstance(doc.get("department"), dict):
        values["department_id"] = doc["department"].get("id")
    return values


def field_errors(err: AppError, lang: str) -> tuple[dict[str, str], dict[int, dict[str, str]]]:
    """The error placed next to its field: ({field: message}, {item row: {item field: message}})."""
    message = err.message(lang)
    field = err.field or ""
    m = re.match(r"^items\.(\d+)\.(\w+)$", field)
    if m:
        return {"_form": message, "_anchor": f"items-{m.group(1)}-{m.group(2)}"}, {int(m.group(1)): {m.group(2): message}}
    base = field.split(".", 1)[0] if field else ""
    if base in TEXT_FIELDS or base in LIST_FIELDS or base in ("department_id", "items", "spatial"):
        return {base: message, "_form": message, "_anchor": f"f-{base}"}, {}
    return {"_form": message}, {}
