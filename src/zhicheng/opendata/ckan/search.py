"""CKAN search and whole-catalog listings over the open catalog: package_search (q, fq, sort, facets), the
cached list of open documents and the organizations. Split from `ckan`, which maps one resource to CKAN's shapes.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from sqlalchemy.orm import Session

from zhicheng.catalog import codes
from zhicheng.catalog import service as catalog
from zhicheng.core import changes
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.events import bus
from zhicheng.opendata.ckan import fq as ckan_fq
from zhicheng.opendata.ckan.service import (
    _ORG_RE,
    DEFAULT_ROWS,
    FACET_FIELDS,
    LICENSE,
    MAX_ROWS,
    MAX_START,
    OPEN_TYPES,
    SORTS,
    _ident_text,
    _instant,
    group_dict,
    modified_at,
    not_found,
    organization_dict,
    package_id,
    reader,
    slug,
    with_data,
)

# -- search -------------------------------------------------------------------------------------------------


@dataclass
class SearchOut:
    count: int
    docs: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


# facets counted over the documents themselves (the catalog search counts the FACET_FIELDS ones)
DOCUMENT_FACETS = ("tags", "groups", "res_format", "license_id")
# package_search's sortable fields (CKAN's Solr schema): each a key over an open document
SORT_FIELDS = ("id", "name", "title_string", "metadata_modified", "metadata_created", "score")
MAX_SORT_KEYS = 6


def parse_sort(sort: str | None) -> list[tuple[str, bool]] | None:
    """CKAN's `sort` as [(field, descending)]; None for the catalog's own order (relevance, then last change).
    Comma-separated keys, each `field asc|desc` (asc when omitted); Invalid naming the field otherwise."""
    key = re.sub(r"\s*,\s*", ", ", re.sub(r"\s+", " ", (sort or "").strip().lower()))
    if key in SORTS:
        return None
    out = []
    for part in key.split(","):
        words = part.split()
        if not words:
            continue
        name, direction = words[0], words[1] if len(words) > 1 else "asc"
        if name == "title":
            name = "title_string"
        if name not in SORT_FIELDS or direction not in ("asc", "desc") or len(words) > 2:
            raise Invalid(
                f"sort 无效：{part.strip()[:60]}（可用字段 {', '.join(SORT_FIELDS)}，各带 asc 或 desc，逗号分隔）",
                f"invalid sort: {part.strip()[:60]} (fields {', '.join(SORT_FIELDS)}, each asc or desc, "
                "comma-separated)",
                field="sort",
            )
        out.append((name, direction == "desc"))
    if not out or len(out) > MAX_SORT_KEYS:
        raise Invalid(
            f"sort 须有 1 至 {MAX_SORT_KEYS} 个排序键", f"sort takes 1 to {MAX_SORT_KEYS} keys", field="sort"
        )
    return out


_EARLIEST = _instant("1970-01-01T00:00:00+00:00")


def _sort_key(name: str, rank: dict[int, int]) -> Any:
    if name == "id":
        return lambda d: package_id(d["id"])
    if name == "name":
        return lambda d: slug(d["code"])
    if name == "title_string":
        return lambda d: d.get("name") or ""
    if name == "score":  # the catalog's relevance: a higher score is an earlier rank
        return lambda d: -rank.get(d["id"], 0)
    if name == "metadata_modified":
        return lambda d: _instant(s) if (s := modified_at(d)) else _EARLIEST
    return lambda d: _instant(d["created_at"]) if d.get("created_at") else _EARLIEST


DEFAULT_ORDER = [("score", True), ("metadata_modified", True)]


def sort_documents(
    docs: list[dict[str, Any]], order: list[tuple[str, bool]], *, ranked: bool
) -> list[dict[str, Any]]:
    """The documents in `order` (stable: later keys break the ties of earlier ones); `ranked`: the documents
    come in relevance order, which is their `score` (else every score is equal)."""
    rank = {d["id"]: i for i, d in enumerate(docs)} if ranked else {}
    out = list(docs)
    for name, desc in reversed(order):
        out.sort(key=_sort_key(name, rank), reverse=desc)
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
    order = parse_sort(sort)
    q, q_expr = ckan_fq.parse_q(q)
    expr = ckan_fq.parse(fq)
    if q_expr is not None:  # q naming fields or joining by OR: decided document by document, with fq
        expr = q_expr if expr is None else ckan_fq.All((q_expr, expr))
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
    if indexed is None or order is not None or q_expr is not None or any(f in DOCUMENT_FACETS for f in facet_fields):
        return _search_documents(db, q, filters, expr, rows, start, facet_fields, facet_limit, order)
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
    order: list[tuple[str, bool]] | None = None,
) -> SearchOut:
    """package_search decided document by document: an fq the catalog search does not index (tags, groups,
    dates, OR across fields, negation: what harvesters send), or facets it does not count (tags, groups,
    res_format, license_id)."""
    departments: dict[str, int] = {}

    def department(name: str) -> int:
        if name not in departments:
            departments[name] = _department_filter(db, "organization", [name])[0]
        return departments[name]

    def words(text: str) -> set[int]:
        from zhicheng.catalog import search as catalog_search

        limit = len(all_open_documents(db))
        return set(catalog_search.search_ids(db, actor=reader(), q=text, filters=filters, limit=limit))

    wanted = ckan_fq.predicate(expr, department, words)
    found = [d for d in _candidates(db, q, filters) if wanted(d)]
    found = sort_documents(found, order or DEFAULT_ORDER, ranked=bool(q and q.strip()))
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

CACHE_SECONDS = 60.0


class ListingCache:
    """Whole-catalog listings, one cachetools TTLCache per database engine (held weakly: a disposed engine's
    listings go with it, and a new engine never meets an old one's). Each listing is kept under the version it
    was loaded at (the catalog's change counter), so another worker's change is seen on the next call; `forget()`
    is the one hook that drops them all (the bus calls it on every catalog change)."""

    def __init__(self, ttl: float = CACHE_SECONDS, maxsize: int = 16, timer: Callable[[], float] = time.monotonic):
        self._ttl, self._maxsize, self._timer = ttl, maxsize, timer
        self._lock = threading.Lock()
        self._by_engine: weakref.WeakKeyDictionary[Any, TTLCache] = weakref.WeakKeyDictionary()

    def get(self, db: Session, name: str, version: int, load: Callable[[], Any]) -> Any:
        """The listing `name` at `version`, from the cache or `load()`ed and kept."""
        engine = db.get_bind().engine
        with self._lock:
            cache = self._by_engine.get(engine)
            if cache is None:
                cache = self._by_engine[engine] = TTLCache(self._maxsize, self._ttl, timer=self._timer)
            hit = cache.get((name, version))
        if hit is not None:
            return hit
        value = load()
        with self._lock:
            for older in [k for k in cache if k[0] == name]:  # earlier versions are never asked for again
                del cache[older]
            cache[(name, version)] = value
        return value

    def forget(self) -> None:
        with self._lock:
            self._by_engine.clear()


listings = ListingCache()


def _forget(_name: str, _payload: dict[str, Any]) -> None:
    listings.forget()


for _event in ("published", "withdrawn", "revised", "updated"):  # broadcast: every worker's copy goes
    bus.subscribe(f"catalog.resource.{_event}", _forget, broadcast=True)
bus.subscribe("catalog.dataset.imported", _forget, broadcast=True)


def _load_open_documents(db: Session) -> list[dict[str, Any]]:
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
    return with_data(db, docs)  # the served formats and the last change count the data versions


def all_open_documents(db: Session) -> list[dict[str, Any]]:
    """Every open document, newest change first (cached for a minute and dropped on catalog changes)."""
    # keyed by the catalog's change counter: another worker's change is seen on the next call (core.changes)
    return listings.get(db, "docs", changes.value(db, "catalog"), lambda: _load_open_documents(db))


def clear_cache() -> None:
    listings.forget()


GROUP_SORT_FIELDS = ("name", "title", "package_count")


def group_sort(sort: str | None) -> tuple[str, bool]:
    """CKAN's organization_list / group_list `sort`: (name | title | package_count, descending); CKAN's
    default is `title asc`."""
    words = (sort or "title asc").strip().lower().split()
    name, direction = (words + ["asc"])[:2] if words else ("title", "asc")
    if name not in GROUP_SORT_FIELDS or direction not in ("asc", "desc") or len(words) > 2:
        raise Invalid(
            "sort 须为 name、title 或 package_count，带 asc 或 desc",
            "sort must be name, title or package_count, with asc or desc",
            field="sort",
        )
    return name, direction == "desc"


def sort_groups(items: list[Any], sort: tuple[str, bool], key_of: Any) -> list[Any]:
    """Items sorted by `sort`; `key_of(item)` gives (name, title, package_count); ties by name."""
    field, desc = sort
    at = GROUP_SORT_FIELDS.index(field)
    out = sorted(items, key=lambda i: key_of(i)[0])
    return sorted(out, key=lambda i: key_of(i)[at], reverse=desc)


def organizations(db: Session, *, all_fields: bool, sort: str | None = None) -> list[Any]:
    """Every active department (CKAN lists organizations with or without datasets), in CKAN's `sort`."""
    from zhicheng.accounts import service as accounts

    order = group_sort(sort)
    counts: dict[int, int] = {}
    for doc in all_open_documents(db):
        counts[doc["department"]["id"]] = counts.get(doc["department"]["id"], 0) + 1
    depts = sort_groups(
        [d for d in accounts.list_departments(db) if d.active],
        order,
        lambda d: (d.code.lower(), d.name, counts.get(d.id, 0)),
    )
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
