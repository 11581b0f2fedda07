"""CKAN search and whole-catalog listings over the open catalog: package_search (q, fq, sort, facets), the
cached list of open documents and the organizations. Split from `ckan`, which maps one resource to CKAN's shapes.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.catalog import codes
from zhicheng.catalog import service as catalog
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.events import bus
from zhicheng.opendata import ckan_fq
from zhicheng.opendata.ckan import (
    _ORG_RE,
    DEFAULT_ROWS,
    FACET_FIELDS,
    LICENSE,
    MAX_ROWS,
    MAX_START,
    OPEN_TYPES,
    SORTS,
    _ident_text,
    group_dict,
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


# facets counted over the documents themselves (the catalog search counts the FACET_FIELDS ones)
DOCUMENT_FACETS = ("tags", "groups", "res_format", "license_id")


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
    expr = ckan_fq.parse(fq)
    indexed = ckan_fq.as_filters(expr)
    filters = {k: list(v) for k, v in (filters or {}).items() if v}
    for name, values in (indexed or {}).items():
        target = FACET_FIELDS[name]
        wanted = _department_filter(db, name, values) if target == "department" else values
        # AND-ed with what the caller or another fq field named for the same facet: what both allow
        filters[target] = [v for v in filters[target] if v in wanted] if target in filters else list(wanted)
    open_types = [t for t in filters.get("open_type", OPEN_TYPES) if t in OPEN_TYPES]
    if not open_types or any(v == [] for v in filters.values()):
        return SearchOut(count=0, docs=[], facets={})
    filters["open_type"] = open_types
    facet_fields = facet_fields or []
    if indexed is None or any(f in DOCUMENT_FACETS for f in facet_fields):
        return _search_documents(db, q, filters, expr, rows, start, facet_fields, facet_limit)
    actor = reader()
    size = max(rows, 1)
    first_page = start // size + 1
    result = catalog_search.search(db, actor=actor, q=q, filters=filters, page=first_page, size=size)
    items = result.items[start % size :]
    if start % size and len(items) < rows and result.total > start + len(items):
        more = catalog_search.search(db, actor=actor, q=q, filters=filters, page=first_page + 1, size=size)
        items += more.items
    docs = items[:rows]
    return SearchOut(count=result.total, docs=docs, facets=_facets(result.facets, facet_fields, facet_limit))


def _matches(doc: dict[str, Any], filters: dict[str, list[Any]]) -> bool:
    for name, values in filters.items():
        value = doc["department"]["id"] if name == "department" else doc.get(name)
        if value not in values:
            return False
    return True


def _candidates(db: Session, q: str | None, filters: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The open documents that `q` finds (every page, by relevance) or, without `q`, all of them (newest change
    first), within the catalog's own filters."""
    from zhicheng.catalog import search as catalog_search

    docs = [d for d in all_open_documents(db) if _matches(d, filters)]
    if not (q and q.strip()):
        return docs
    by_id = {d["id"]: d for d in docs}
    found = catalog_search.search_ids(db, actor=reader(), q=q, filters=filters, limit=len(all_open_documents(db)))
    return [by_id[i] for i in found if i in by_id]


def _search_documents(
    db: Session,
    q: str | None,
    filters: dict[str, list[Any]],
    expr: ckan_fq.Expr | None,
    rows: int,
    start: int,
    facet_fields: list[str],
    facet_limit: int,
) -> SearchOut:
    """package_search decided document by document: an fq the catalog search does not index (tags, groups,
    dates, OR across fields, negation: what harvesters send), or facets it does not count (tags, groups,
    res_format, license_id)."""
    departments: dict[str, int] = {}

    def department(name: str) -> int:
        if name not in departments:
            departments[name] = _department_filter(db, "organization", [name])[0]
        return departments[name]

    wanted = ckan_fq.predicate(expr, department)
    found = [d for d in _candidates(db, q, filters) if wanted(d)]
    raw: dict[str, list[dict[str, Any]]] = {}
    for name in facet_fields:
        target = FACET_FIELDS.get(name, name if name in DOCUMENT_FACETS else None)
        if target is None or target in raw:
            continue
        if target == "department":
            counts = Counter(d["department"]["id"] for d in found)
        elif target in FACET_FIELDS.values():
            counts = Counter(d.get(target) for d in found)
        elif target == "tags":
            counts = Counter(t for d in found for t in d.get("tags") or ())
        else:
            counts = Counter(v for d in found for v in ckan_fq.values_of(name, d))
        counts.pop(None, None)
        raw[target] = [
            {"value": value, **_facet_label(db, target, value), "count": n}
            for value, n in sorted(counts.items(), key=lambda p: (-p[1], str(p[0])))
        ]
    return SearchOut(
        count=len(found), docs=found[start : start + rows], facets=_facets(raw, facet_fields, facet_limit)
    )


def _facet_label(db: Session, target: str, value: Any) -> dict[str, Any]:
    if target == "department":
        dept = catalog.department_ref(db, value)
        return {"label": dept["name"], "label_en": dept.get("name_en")}
    if target == "groups":
        group = group_dict(value)
        return {"label": group["title"], "label_en": group["title_en"]}
    if target == "license_id":
        return {"label": LICENSE["title"], "label_en": LICENSE["title"]}
    if target in ("tags", "res_format"):
        return {"label": value, "label_en": value}
    return {"label": codes.label(target, value), "label_en": codes.label(target, value, "en")}


def _facets(raw: dict[str, list[dict[str, Any]]], fields: list[str], limit: int) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for name in fields:
        target = FACET_FIELDS.get(name, name if name in DOCUMENT_FACETS else None)
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
