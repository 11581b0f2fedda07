"""CKAN search and whole-catalog listings over the open catalog: package_search (q, fq, sort, facets), the
cached list of open documents and the organizations. Split from `ckan`, which maps one resource to CKAN's shapes.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.catalog import codes
from zhicheng.catalog import service as catalog
from zhicheng.core import clock
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.events import bus
from zhicheng.opendata.ckan import (
    _ORG_RE,
    DEFAULT_ROWS,
    FACET_FIELDS,
    MAX_FQ,
    MAX_ROWS,
    MAX_START,
    OPEN_TYPES,
    SORTS,
    _ident_text,
    group_key,
    not_found,
    organization_dict,
    reader,
)

# -- search -------------------------------------------------------------------------------------------------


@dataclass
class SearchOut:
    count: int
    docs: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


_FQ_TOKEN = re.compile(r'\s*([+]?)([A-Za-z_]+):("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s"\[]+)\s*')
# filters the catalog search does not index: applied to the (cached) list of open documents, without `q`
MEMORY_FIELDS = ("tags", "groups", "metadata_modified", "metadata_created")
_RANGE = re.compile(r"^\[\s*(\S+)\s+TO\s+(\S+)\s*\]$")


def parse_fq(fq: Any) -> dict[str, list[str]]:
    """CKAN's `fq` (Solr filter syntax), the subset we index: `field:value` or `field:"value"` terms, AND-ed."""
    if fq is None or fq == "":
        return {}
    if not isinstance(fq, str):
        raise Invalid("fq 须为字符串", "fq must be a string", field="fq")
    if len(fq) > MAX_FQ:
        raise Invalid(
            f"fq 过长（上限 {MAX_FQ} 字符）", f"fq is too long (at most {MAX_FQ} characters)", field="fq"
        )
    out: dict[str, list[str]] = {}
    pos = 0
    text = fq.strip()
    while pos < len(text):
        m = _FQ_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise Invalid(
                'fq 语法无效：仅支持 字段:值 或 字段:"值"',
                'invalid fq: only field:value or field:"value" terms are supported',
                field="fq",
            )
        name, value = m[2], m[3]
        if name not in FACET_FIELDS and name not in MEMORY_FIELDS:
            known = ", ".join([*FACET_FIELDS, *MEMORY_FIELDS])
            raise Invalid(
                f"fq 不支持字段 {name[:40]}（可用：{known}）",
                f"fq cannot filter on {name[:40]} (use {known})",
                field="fq",
            )
        if value.startswith("[") and (
            name not in ("metadata_modified", "metadata_created") or not _RANGE.match(value)
        ):
            raise Invalid(
                "fq 的范围只用于 metadata_modified / metadata_created，形如 [2026-01-01T00:00:00Z TO *]",
                "fq ranges apply to metadata_modified / metadata_created only, as [2026-01-01T00:00:00Z TO *]",
                field="fq",
            )
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.setdefault(name, []).append(value)
        pos = m.end()
    return out


def _department_filter(db: Session, name: str, values: list[str]) -> list[int]:
    """Department ids named by organization (code or our UUID) or owner_org values; unknown names match none."""
    from zhicheng.accounts import service as accounts

    ids = []
    for value in values:
        m = _ORG_RE.match(value.lower())
        if m:
            ids.append(int(m[1], 16))
            continue
        try:
            ids.append(accounts.get_department_by_code(db, value.upper()).id)
        except NotFound:
            ids.append(-1)
    return ids


def search(
    db: Session,
    *,
    q: str | None,
    fq: Any = None,
    rows: int = DEFAULT_ROWS,
    start: int = 0,
    sort: str | None = None,
    facet_fields: list[str] | None = None,
    facet_limit: int = 50,
    filters: dict[str, list[Any]] | None = None,
) -> SearchOut:
    """package_search over the open catalog (Chinese segmentation, facets) with CKAN's rows/start window;
    `filters` are the catalog's own facet filters (department ids, vocabulary keys), AND-ed with `fq`."""
    from zhicheng.catalog import search as catalog_search

    if not 0 <= rows <= MAX_ROWS:
        raise Invalid(
            f"rows 须在 0 至 {MAX_ROWS} 之间", f"rows must be between 0 and {MAX_ROWS}", field="rows"
        )
    if not 0 <= start <= MAX_START:
        raise Invalid("start 超出范围", "start is out of range", field="start")
    key = (sort or "").strip().lower()
    key = re.sub(r"\s*,\s*", ", ", re.sub(r"\s+", " ", key))
    if key not in SORTS:
        raise Invalid(
            "sort 仅支持 score desc 或 metadata_modified desc（相关度，其次更新时间）",
            "sort supports score desc and metadata_modified desc (relevance, then last change)",
            field="sort",
        )
    # the catalog orders by relevance when there is a query, then by last change: both accepted sorts are that
    q_text = q
    wanted = parse_fq(fq)
    memory = {k: wanted.pop(k) for k in MEMORY_FIELDS if k in wanted}
    filters = {k: list(v) for k, v in (filters or {}).items() if v}
    for name, values in wanted.items():
        target = FACET_FIELDS[name]
        if target == "department":
            filters.setdefault("department", []).extend(_department_filter(db, name, values))
        else:
            filters.setdefault(target, []).extend(codes.normalise(target, v) for v in values)
    open_types = [t for t in filters.get("open_type", OPEN_TYPES) if t in OPEN_TYPES]
    if not open_types or any(v == [] for v in filters.values()):
        return SearchOut(count=0, docs=[], facets={})
    filters["open_type"] = open_types
    if memory:
        if q and q.strip():
            raise Invalid(
                f"fq 中的 {', '.join(memory)} 不能与 q 同用",
                f"fq on {', '.join(memory)} cannot be combined with q",
                field="fq",
            )
        return _search_in_memory(db, filters, memory, rows, start, facet_fields or [], facet_limit)
    actor = reader()
    size = max(rows, 1)
    first_page = start // size + 1
    result = catalog_search.search(db, actor=actor, q=q_text, filters=filters, page=first_page, size=size)
    items = result.items[start % size :]
    if start % size and len(items) < rows and result.total > start + len(items):
        more = catalog_search.search(
            db, actor=actor, q=q_text, filters=filters, page=first_page + 1, size=size
        )
        items += more.items
    docs = items[:rows]
    return SearchOut(
        count=result.total, docs=docs, facets=_facets(result.facets, facet_fields or [], facet_limit)
    )


def _when(text: str, where: str) -> datetime | None:
    if text == "*":
        return None
    value = text.upper().replace("NOW", clock.now().isoformat())
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(
            f"fq 中的时间 {text[:40]} 无效", f"invalid time {text[:40]} in fq", field=where
        ) from None
    return clock.aware(at)


def _matches(doc: dict[str, Any], filters: dict[str, list[Any]], memory: dict[str, list[str]]) -> bool:
    for name, values in filters.items():
        value = doc["department"]["id"] if name == "department" else doc.get(name)
        if value not in values:
            return False
    for name, values in memory.items():
        for value in values:
            if name == "tags" and value not in (doc.get("tags") or []):
                return False
            if name == "groups" and value != group_key(doc):
                return False
            if name in ("metadata_modified", "metadata_created"):
                stamp = doc.get("updated_at" if name == "metadata_modified" else "created_at")
                low, high = _RANGE.match(value).groups() if value.startswith("[") else (value, value)
                at = clock.aware(datetime.fromisoformat(stamp)) if stamp else None
                lo, hi = _when(low, "fq"), _when(high, "fq")
                if at is None or (lo is not None and at < lo) or (hi is not None and at > hi):
                    return False
    return True


def _search_in_memory(
    db: Session,
    filters: dict[str, list[Any]],
    memory: dict[str, list[str]],
    rows: int,
    start: int,
    facet_fields: list[str],
    facet_limit: int,
) -> SearchOut:
    """package_search over the cached open documents (newest change first) for filters the catalog search
    does not index (tags, groups, modification dates: what harvesters ask for)."""
    found = [d for d in all_open_documents(db) if _matches(d, filters, memory)]
    raw: dict[str, list[dict[str, Any]]] = {}
    for target in {FACET_FIELDS[f] for f in facet_fields if f in FACET_FIELDS}:
        counts: dict[Any, int] = {}
        for doc in found:
            value = doc["department"]["id"] if target == "department" else doc.get(target)
            counts[value] = counts.get(value, 0) + 1
        items = []
        for value, n in sorted(counts.items(), key=lambda p: (-p[1], str(p[0]))):
            if target == "department":
                dept = catalog.department_ref(db, value)
                items.append(
                    {"value": value, "label": dept["name"], "label_en": dept.get("name_en"), "count": n}
                )
            else:
                items.append(
                    {
                        "value": value,
                        "label": codes.label(target, value),
                        "label_en": codes.label(target, value, "en"),
                        "count": n,
                    }
                )
        raw[target] = items
    return SearchOut(
        count=len(found), docs=found[start : start + rows], facets=_facets(raw, facet_fields, facet_limit)
    )


def _facets(raw: dict[str, list[dict[str, Any]]], fields: list[str], limit: int) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for name in fields:
        target = FACET_FIELDS.get(name)
        values = [v for v in raw.get(target, []) if v["count"] > 0] if target else []
        if target == "open_type":  # never count what is not open
            values = [v for v in values if v["value"] in OPEN_TYPES]
        out[name] = values[:limit] if limit >= 0 else values
    return out


# -- whole-catalog listings (cached briefly: they read every open document) ------------------------------------

_cache_lock = threading.Lock()
_cache: dict[str, tuple[float, Any]] = {}
CACHE_SECONDS = 60.0


def _forget(_name: str, _payload: dict[str, Any]) -> None:
    with _cache_lock:
        _cache.clear()


for _event in ("published", "withdrawn", "revised", "updated"):
    bus.subscribe(f"catalog.resource.{_event}", _forget)
bus.subscribe("catalog.dataset.imported", _forget)


def all_open_documents(db: Session) -> list[dict[str, Any]]:
    """Every open document, newest change first (cached for a minute and dropped on catalog changes)."""
    key = f"docs:{id(db.get_bind().engine)}"
    with _cache_lock:
        hit = _cache.get(key)
        if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
    from zhicheng.catalog import search as catalog_search

    docs: list[dict[str, Any]] = []
    page = 1
    while True:
        result = catalog_search.search(
            db, actor=reader(), q=None, filters={"open_type": list(OPEN_TYPES)}, page=page, size=MAX_ROWS
        )
        docs.extend(result.items)
        if page * MAX_ROWS >= result.total or not result.items:
            break
        page += 1
    with _cache_lock:
        _cache[key] = (time.monotonic(), docs)
    return docs


def clear_cache() -> None:
    _forget("", {})


def organizations(db: Session, *, all_fields: bool) -> list[Any]:
    """Every active department (CKAN lists organizations with or without datasets), by code."""
    from zhicheng.accounts import service as accounts

    counts: dict[int, int] = {}
    if all_fields:
        for doc in all_open_documents(db):
            counts[doc["department"]["id"]] = counts.get(doc["department"]["id"], 0) + 1
    depts = sorted((d for d in accounts.list_departments(db) if d.active), key=lambda d: d.code)
    if not all_fields:
        return [d.code.lower() for d in depts]
    return [organization_dict(db, d.id, package_count=counts.get(d.id, 0)) for d in depts]


def find_organization(db: Session, ident: Any) -> int:
    """The department id of an organization name (its code) or our UUID; NotFound otherwise."""
    from zhicheng.accounts import service as accounts

    text = _ident_text(ident)
    m = _ORG_RE.match(text.lower())
    try:
        if m:
            return accounts.get_department(db, int(m[1], 16)).id
        return accounts.get_department_by_code(db, text.upper()).id
    except (NotFound, ValueError):
        raise not_found("组织", "organization", text) from None
