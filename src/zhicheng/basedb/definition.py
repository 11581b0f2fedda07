"""Checking an assembly definition: one authoritative source per field (一数一源), fallbacks, types, cycles.

A definition maps each template field to an authoritative source (resource + data item) and optional
ordered fallbacks. Every error names the field at fault: `fields.<i>.source.item`, `fields.<i>.fallbacks.<j>`…
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.basedb.models import Assembly
from zhicheng.basedb.templates import Template, get_template
from zhicheng.catalog import service as catalog
from zhicheng.core.errors import Invalid, NotFound

MAX_SOURCES = 9  # provenance keeps the source of a field as one digit
COMPATIBLE = {
    "string": {"string", "text"},
    "text": {"string", "text"},
    "date": {"date", "datetime"},
    "datetime": {"datetime"},
    "decimal": {"decimal", "integer"},
    "integer": {"integer"},
    "boolean": {"boolean"},
    "geometry": {"geometry"},
}
DECIMAL_LENGTH, DECIMAL_SCALE = 20, 6


def _entries(raw: Any) -> list[tuple[str, dict[str, Any]]]:
    """(path, entry) pairs from the list form [{"field", "source", "fallbacks"}] or the dict form {field: {…}}."""
    if isinstance(raw, dict):
        return [
            (f"fields.{name}", {"field": name, **(v if isinstance(v, dict) else {"source": v})})
            for name, v in raw.items()
        ]
    if isinstance(raw, list) and raw:
        out = []
        for i, v in enumerate(raw):
            if not isinstance(v, dict):
                raise Invalid(
                    f"第 {i + 1} 个字段定义应为对象",
                    f"field definition {i + 1} must be an object",
                    field=f"fields.{i}",
                )
            out.append((f"fields.{i}", v))
        return out
    raise Invalid("请为模板字段指定来源", "give the template's fields their sources", field="fields")


def _resource_id(db: Session, src: Any, at: str) -> int:
    if not isinstance(src, dict):
        raise Invalid("来源应为 {resource_id, item}", "a source is {resource_id, item}", field=at)
    if src.get("assembly_id") not in (None, ""):  # another assembly's output
        try:
            found = db.get(Assembly, int(src["assembly_id"]))
        except (TypeError, ValueError):
            found = None
        if found is None:
            raise Invalid(
                f"基础库 {src['assembly_id']} 不存在",
                f"assembly {src['assembly_id']} not found",
                field=f"{at}.assembly_id",
            )
        return found.resource_id
    if src.get("resource_code"):
        try:
            return catalog.get_by_code(db, str(src["resource_code"])).id
        except NotFound:
            raise Invalid(
                f"资源代码 {src['resource_code']} 不存在",
                f"resource code {src['resource_code']} not found",
                field=f"{at}.resource_code",
            ) from None
    try:
        rid = int(src.get("resource_id"))
        return catalog.get_resource(db, rid).id
    except (TypeError, ValueError, NotFound):
        raise Invalid(
            f"来源资源 {src.get('resource_id')} 不存在",
            f"source resource {src.get('resource_id')} not found",
            field=f"{at}.resource_id",
        ) from None


def _check_item(db: Session, tf, rid: int, item: Any, at: str, cache: dict[int, dict]) -> str:
    if rid not in cache:
        cache[rid] = {s.name: s for s in catalog.item_specs(db, rid)}
    specs = cache[rid]
    name = str(item or "").strip()
    spec = specs.get(name) or next((s for s in specs.values() if s.label == name), None)
    if spec is None:
        raise Invalid(
            f"来源资源 {rid} 没有信息项“{name}”",
            f"source resource {rid} has no data item '{name}'",
            field=f"{at}.item",
        )
    if str(spec.type) not in COMPATIBLE.get(tf.type, {tf.type}):
        raise Invalid(
            f"类型不符：字段 {tf.name}（{tf.type}）不能取自 {spec.name}（{spec.type}）",
            f"type mismatch: field {tf.name} ({tf.type}) cannot take {spec.name} ({spec.type})",
            field=f"{at}.item",
        )
    if tf.check and not tf.key and str(spec.check or "") != tf.check:  # keys are checked by the run itself
        raise Invalid(
            f"校验规则不符：字段 {tf.name} 要求 {tf.check}，信息项 {spec.name} 为 {spec.check or '无'}",
            f"check mismatch: field {tf.name} needs {tf.check}, item {spec.name} has {spec.check}",
            field=f"{at}.item",
        )
    if (
        tf.type == "decimal"
        and str(spec.type) == "decimal"
        and (
            (spec.scale or 0) > DECIMAL_SCALE
            or (spec.length or 38) - (spec.scale or 0) > DECIMAL_LENGTH - DECIMAL_SCALE
        )
    ):
        raise Invalid(
            f"精度不符：{spec.name} 超出 {DECIMAL_LENGTH} 位（小数 {DECIMAL_SCALE} 位）",
            f"precision mismatch: {spec.name} exceeds {DECIMAL_LENGTH} digits ({DECIMAL_SCALE} decimals)",
            field=f"{at}.item",
        )
    return spec.name


def validate_definition(
    db: Session, template: Template, raw_fields: Any, own_resource_id: int | None = None
) -> list[dict[str, Any]]:
    """The definition normalised to [{"field", "sources": [{"resource_id", "item"}, …]}] in template order."""
    by_field: dict[str, dict[str, Any]] = {}
    cache: dict[int, dict] = {}
    paths: dict[int, str] = {}
    for at, entry in _entries(raw_fields):
        tf = _template_field(template, entry, at, by_field)
        sources, seen = [], set()
        for sat, src in _named_sources(entry, tf.name, at):
            rid = _resource_id(db, src, sat)
            _check_source_once(rid, own_resource_id, seen, tf.name, sat)
            seen.add(rid)
            paths.setdefault(rid, f"{sat}.resource_id")
            sources.append(
                {"resource_id": rid, "item": _check_item(db, tf, rid, src.get("item"), sat, cache)}
            )
        by_field[tf.name] = {"field": tf.name, "sources": sources}
    _check_key_sources(template, by_field, paths)
    return [by_field[f.name] for f in template.fields if f.name in by_field]


def _template_field(template: Template, entry: dict[str, Any], at: str, by_field: dict[str, Any]):
    """The template field an entry names, once only (一数一源)."""
    name = str(entry.get("field") or "").strip()
    tf = template.field(name)
    if tf is None:
        raise Invalid(
            f"模板 {template.code} 没有字段“{name}”",
            f"template {template.code} has no field '{name}'",
            field=f"{at}.field",
        )
    if name in by_field:
        raise Invalid(
            f"字段 {name} 有两个权威来源：一数一源，每个字段只能有一个权威来源（其余作为备选）",
            f"field {name} has two authoritative sources: one source per field, others are fallbacks",
            field=f"{at}.field",
        )
    return tf


def _named_sources(entry: dict[str, Any], name: str, at: str) -> list[tuple[str, Any]]:
    """(path, source) of the entry's one authoritative source, then its fallbacks in order."""
    source = entry.get("source")
    if isinstance(source, list):
        if len(source) != 1:
            raise Invalid(
                f"字段 {name} 须有且只有一个权威来源",
                f"field {name} needs exactly one authoritative source",
                field=f"{at}.source",
            )
        source = source[0]
    if source in (None, "", {}):
        raise Invalid(
            f"字段 {name} 缺少权威来源", f"field {name} has no authoritative source", field=f"{at}.source"
        )
    fallbacks = entry.get("fallbacks") or []
    if not isinstance(fallbacks, list):
        raise Invalid("备选来源应为列表", "fallbacks must be a list", field=f"{at}.fallbacks")
    return [(f"{at}.source", source)] + [(f"{at}.fallbacks.{j}", s) for j, s in enumerate(fallbacks)]


def _check_source_once(rid: int, own_resource_id: int | None, seen: set[int], name: str, sat: str) -> None:
    """A field's sources are different resources, none of them the assembly's own output."""
    if own_resource_id is not None and rid == own_resource_id:
        raise Invalid(
            "循环引用：基础库不能以自己的成果为来源",
            "circular reference: an assembly cannot read its own output",
            field=f"{sat}.resource_id",
        )
    if rid in seen:
        raise Invalid(
            f"资源 {rid} 在字段 {name} 的来源中重复",
            f"resource {rid} is listed twice for {name}",
            field=f"{sat}.resource_id",
        )


def _check_key_sources(template: Template, by_field: dict[str, Any], paths: dict[int, str]) -> None:
    """Every source resource gives the key (it is a source of the key field), and there are not too many."""
    key = template.key.name
    if key not in by_field:
        raise Invalid(
            f"缺少主键字段 {key}（{template.key.label}）的来源",
            f"the key field {key} has no source",
            field="fields",
        )
    keyed = [s["resource_id"] for s in by_field[key]["sources"]]
    for rid, path in paths.items():
        if rid not in keyed:
            raise Invalid(
                f"资源 {rid} 未登记主键 {key} 的信息项：请把它列为主键字段的来源或备选来源",
                f"resource {rid} maps no item to the key {key}: list it as a source of the key field",
                field=path,
            )
    if len(keyed) > MAX_SOURCES:
        raise Invalid(
            f"来源资源不能超过 {MAX_SOURCES} 个",
            f"at most {MAX_SOURCES} source resources",
            field=f"fields.{key}",
        )


def source_ids(definition: list[dict[str, Any]], key: str) -> list[int]:
    """The source resources in their index order (the order of the key field's sources)."""
    entry = next(e for e in definition if e["field"] == key)
    return [s["resource_id"] for s in entry["sources"]]


def check_cycles(
    db: Session, *, assembly_id: int | None, resource_id: int | None, definition: list[dict[str, Any]]
) -> None:
    """Refuse a definition that reads, directly or through other assemblies, its own output."""
    if resource_id is None:
        return
    outputs = {a.resource_id: a for a in db.scalars(select(Assembly))}
    graph: dict[int, set[int]] = {}  # resource -> resources it is assembled from
    for res_id, a in outputs.items():
        if a.id != assembly_id:
            graph[res_id] = {s["resource_id"] for e in a.definition for s in e["sources"]}
    graph[resource_id] = {s["resource_id"] for e in definition for s in e["sources"]}
    stack, seen = [(rid, [rid]) for rid in graph[resource_id]], set()
    while stack:
        rid, path = stack.pop()
        if rid == resource_id:
            names = " → ".join(str(outputs[r].name) if r in outputs else str(r) for r in [resource_id, *path])
            raise Invalid(f"循环引用：{names}", f"circular reference: {names}", field="fields")
        if rid in seen:
            continue
        seen.add(rid)
        stack.extend((nxt, [*path, nxt]) for nxt in graph.get(rid, ()))


def template_of(code: str) -> Template:
    return get_template(code)
