"""Rows of open datasets for the machine APIs (CKAN datastore_search and /api/v1/open/.../rows).

One gate (`opendata.access.check_open_access`), personal and graded fields always masked as for the anonymous
public (and refused for filtering, sorting and text search), bound SQL only, one page per call read with a
keyset on the row number (an offset without filters is turned into `_row > offset`, so deep pages cost the
same as the first), every call audited and announced as "opendata.used".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhicheng.catalog.datasets import rowstore
from zhicheng.catalog.datasets import service as datasets
from zhicheng.catalog.datasets.rowquery import cursor, keyset
from zhicheng.catalog.datasets.rowquery.filters import condition, refuse_masked
from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.events import bus
from zhicheng.exchange import masked_copy
from zhicheng.opendata.access import check_open_access
from zhicheng.opendata.ckan import service as ckan
from zhicheng.opendata.rows import ckan_order as rows_order
from zhicheng.opendata.rows import json_pages as rows_json
from zhicheng.opendata.rows import open_copy
from zhicheng.policy import masking
from zhicheng.policy.audit import record

MAX_LIMIT = 32_000  # CKAN's ckan.datastore.search.rows_max
DEFAULT_LIMIT = 100
MAX_OFFSET = 100_000_000
MAX_Q = 200
CKAN_TYPES = {
    ItemType.STRING: "text",
    ItemType.TEXT: "text",
    ItemType.INTEGER: "int8",
    ItemType.DECIMAL: "numeric",
    ItemType.DATE: "date",
    ItemType.DATETIME: "timestamp",
    ItemType.BOOLEAN: "bool",
}


@dataclass
class OpenVersion:
    """An open dataset version ready to read: what it is, who asks, what is masked."""

    resource: Any
    open_type: str
    version: Any
    specs: list[ItemSpec]
    masked: dict[str, str]  # item name -> mask kind
    table: sa.Table
    access: Any = None

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.specs]

    @property
    def by_name(self) -> dict[str, ItemSpec]:
        return {s.name: s for s in self.specs}


@dataclass
class OpenRows:
    """One page of rows (masked): column names, rows as lists (`_id` first), the total when counted."""

    target: OpenVersion
    fields: list[str]
    rows: list[list[Any]]
    total: int | None
    limit: int
    offset: int
    more: bool
    next_after: str | None = None
    masked: list[str] = field(default_factory=list)
    count: int = 0
    json: bytes | None = None  # the records already as JSON, written by the database (see rows.json_pages)


def open_target(
    db: Session, request: Any, *, package: Any = None, resource_id: Any = None, version: int | None = None
) -> OpenVersion:
    """The dataset version named by a CKAN resource id (a version) or a package (its newest version), after
    the access check; NotFound for anything not open, exactly as for what does not exist."""
    if resource_id is not None:
        text = ckan._ident_text(resource_id, "resource_id")
        parsed = ckan.parse_resource_uuid(text)
        if parsed:
            rid, version, _fmt = parsed
            try:
                res, open_type = ckan.find_open_resource(db, rid, field_name="resource_id", light=True)
            except NotFound:
                raise ckan.not_found("资源", "resource", text) from None
        else:  # a package name or id stands for its newest version
            try:
                res, open_type = ckan.find_open_resource(db, text, field_name="resource_id", light=True)
            except NotFound:
                raise ckan.not_found("资源", "resource", text) from None
    else:
        res, open_type = ckan.find_open_resource(db, package, light=True)
    access = check_open_access(db, request, res, kind="api")  # the one open-data gate
    reader = access.actor if access is not None else ckan.reader()
    try:
        dv = datasets.version_info(db, actor=reader, resource=res, version=version)
    except NotFound:
        raise ckan.not_found("资源", "resource", resource_id or package) from None
    return OpenVersion(
        resource=res,
        open_type=open_type,
        version=dv,
        specs=list(dv.specs),
        # masked as for the anonymous public, whoever asks (open data never carries plain personal fields), with
        # the masking rules of the sharing domain
        masked=open_copy.public_masks(res, dv),
        table=dv.table,
        access=access,
    )


def field_meta(t: OpenVersion, fields: list[str]) -> list[dict[str, Any]]:
    """CKAN's `fields`: `_id` then each column with its type, label and whether it is masked."""
    specs = t.by_name
    out = [{"id": "_id", "type": "int"}]
    for name in fields:
        s = specs[name]
        out.append(
            {
                "id": name,
                "type": CKAN_TYPES.get(ItemType(s.type), "text"),
                "info": {"label": s.label, "notes": "已脱敏 / masked" if name in t.masked else ""},
                "masked": name in t.masked,
            }
        )
    return out


# -- building the query -------------------------------------------------------------------------------------


def check_column(t: OpenVersion, name: Any, where: str, usage: tuple[str, str] | None = None) -> ItemSpec:
    """The column `name` of the version (Invalid when unknown); a masked one is refused for `usage` (the row
    protocol's `filters.Column`)."""
    if not isinstance(name, str) or name not in t.by_name:
        shown = str(name)[:64]
        raise Invalid(f"{where}：字段 {shown} 不存在", f"{where}: no field {shown}", field=where)
    if usage and name in t.masked:
        raise refuse_masked(name, where, usage)
    return t.by_name[name]


def text_conditions(t: OpenVersion, q: Any) -> list[sa.ColumnElement]:
    """CKAN's `q` over rows: a string matches any unmasked text column, a {column: text} object those columns
    (substring match, case as stored). Masked columns are never searched: a match would reveal them."""
    if q is None or q == "" or q == {}:
        return []
    if isinstance(q, str):
        text = _q_text(q, "q")
        cols = [
            t.table.c[s.name]
            for s in t.specs
            if s.name not in t.masked and ItemType(s.type) in (ItemType.STRING, ItemType.TEXT)
        ]
        if not cols:
            return [sa.false()]
        return [sa.or_(*[_contains(c, text) for c in cols])]
    if isinstance(q, dict):
        out = []
        for name, value in list(q.items())[:20]:
            check_column(t, name, f"q.{str(name)[:40]}", usage=("全文检索", "search"))
            out.append(_contains(sa.cast(t.table.c[name], sa.Text), _q_text(value, f"q.{name}")))
        return out
    raise Invalid(
        "q 须为字符串或 {字段: 文本} 对象", "q must be a string or a {field: text} object", field="q"
    )


def _q_text(value: Any, where: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise Invalid(f"{where} 须为文本", f"{where} must be text", field=where)
    text = str(value)
    if len(text) > MAX_Q or "\x00" in text:
        raise Invalid(
            f"{where} 过长或含空字符（上限 {MAX_Q} 字符）",
            f"{where} is too long (at most {MAX_Q} characters) or holds a NUL",
            field=where,
        )
    return text


def _contains(col: sa.ColumnElement, text: str) -> sa.ColumnElement:
    return col.contains(text, autoescape=True)  # % _ and the escape character itself match only themselves


# -- reading ------------------------------------------------------------------------------------------------


def read_page(
    db: Session,
    t: OpenVersion,
    *,
    fields: list[str] | None,
    filters: list[tuple[str, str, Any]],
    sort: list[tuple[str, bool]],
    q: Any = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    after: list[Any] | None = None,
    include_total: bool = True,
    via: str = "api",
    ip: str | None = None,
    json_records: str | None = None,
    ckan_order: bool = False,
    distinct: bool = False,
) -> OpenRows:
    """One page of the version's rows, masked, from `offset` or after a keyset cursor; audited and announced.

    With `json_records` ("objects" or "lists") a plain page (no filter, sort or search) of columns that need
    neither masking nor conversion is written as JSON by the database itself (`OpenRows.json`, rows left empty).
    `ckan_order`: sorted pages as CKAN's DataStore (PostgreSQL) orders them, NULLs last ascending; `distinct`: distinct rows of the
    fields, without `_row` (masked fields refused: their raw values would be counted)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(
            f"limit 须在 1 至 {MAX_LIMIT} 之间", f"limit must be between 1 and {MAX_LIMIT}", field="limit"
        )
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid(
            f"offset 须在 0 至 {MAX_OFFSET} 之间",
            f"offset must be between 0 and {MAX_OFFSET}",
            field="offset",
        )
    if after is not None and offset:
        raise Invalid("after 与 offset 不能同用", "after and offset cannot be combined", field="after")
    names = list(dict.fromkeys(fields)) if fields else t.names
    if distinct:
        for n in names:
            check_column(t, n, "distinct", usage=("去重（请用 fields 选择未脱敏字段）", "deduplicate (choose unmasked fields)"))
    where = text_conditions(t, q) + [condition(t.table.c[n], op, v) for n, op, v in filters]
    plain = not (where or sort or distinct)
    if plain and offset:
        after = [offset]  # rows are numbered 1..n: an offset without filters is a keyset on the row number
    body = copied = None
    if plain and json_records == "objects" and names == t.names:
        copied = _copy_page(db, t, after[0] if after else None, limit)
    if copied is not None:
        body, rows, next_key = copied
    elif plain and json_records and rows_json.ready(db, t, names):
        rows, body, next_key = rows_json.page(db, t, names, after[0] if after else 0, limit, json_records)
    elif distinct or (ckan_order and sort):
        conn = db.connection()
        found, more = rows_order.fetch(
            conn, t.table, names, where, sort, limit=limit, offset=offset, distinct=distinct
        )
        columns = names if distinct else [rowstore.ROW_COLUMN, *names]
        rows = _mask(db, t, columns, found)
        next_key = [offset + limit] if more else None
    else:
        rows, next_key = _fetch(db, t, names, where, sort, after, limit, offset=0 if plain else offset)
    total = None
    if include_total:
        if plain:
            total = int(t.version.row_count)
        else:
            total = rows_order.count(db.connection(), t.table, names, where, distinct=distinct)
    masked = [n for n in names if n in t.masked]
    page = OpenRows(
        target=t,
        fields=names,
        rows=rows,
        total=total,
        limit=limit,
        offset=offset,
        more=next_key is not None,
        next_after=cursor.encode(next_key) if next_key is not None else None,
        masked=masked,
        count=rows if body is not None else len(rows),
        json=body,
    )
    if body is not None:
        page.rows = []
    _audit(db, t, page, via=via, ip=ip, filters=filters, sort=sort, q=q)
    return page


def _copy_page(db: Session, t: OpenVersion, after: int | None, limit: int) -> tuple[bytes, int, list | None] | None:
    """(records as JSON, how many, next key) from the version's open copy, or None: no complete copy yet, or
    it vanished (dropped by a rebuild elsewhere), when the version table serves."""
    name = open_copy.ready_copy(db, t.version, t.masked)
    if name is None:
        return None
    try:
        return masked_copy.read_page(db.connection(), name, after, limit)
    except masked_copy.CopyGone:
        db.rollback()  # nothing written yet in this transaction
        masked_copy.forget(db.get_bind(), name)
        return None


def _fetch(
    db: Session,
    t: OpenVersion,
    names: list[str],
    where: list,
    sort: list[tuple[str, bool]],
    after: list[Any] | None,
    limit: int,
    *,
    offset: int,
) -> tuple[list, list[Any] | None]:
    """(rows as (_row, values…) with masked columns masked, the key of the last row when more follow)."""
    columns = [rowstore.ROW_COLUMN, *names]
    maskers = _maskers(db, t, names)
    try:
        from zhicheng.catalog.datasets import fastread
    except ImportError:  # pragma: no cover - the fast reader is part of the datasets domain
        fastread = None
    if fastread is not None and not offset:
        raw, next_key = fastread.fetch_page(
            db.connection(), t.table, columns, where=where, order=sort, after=after, limit=limit
        )
        return fastread.mask_columns(raw, columns, maskers), next_key
    stmt = keyset.select_page(t.table, columns, where, sort, after, limit)
    if offset:
        stmt = stmt.offset(offset)
    raw = [tuple(r) for r in db.connection().execute(stmt).fetchall()]
    width = len(columns)
    next_key = list(raw[limit - 1][width:]) if len(raw) > limit else None
    raw = [r[:width] for r in raw[:limit]]
    if maskers and raw:
        cols = list(zip(*raw, strict=True))
        for i, name in enumerate(columns):
            if name in maskers:
                cols[i] = tuple(maskers[name](list(cols[i])))
        raw = list(zip(*cols, strict=True))
    return raw, next_key


def _maskers(db: Session, t: OpenVersion, names: list[str]) -> dict[str, Any]:
    return masking.rules_in_force(db).column_maskers({n: t.masked[n] for n in names if n in t.masked})


def _mask(db: Session, t: OpenVersion, columns: list[str], raw: list[tuple]) -> list:
    """The rows with each masked column replaced by its masker's output."""
    from zhicheng.catalog.datasets import fastread

    maskers = _maskers(db, t, [c for c in columns if c != rowstore.ROW_COLUMN])
    return fastread.mask_columns(raw, columns, maskers) if maskers else raw


def _audit(
    db: Session, t: OpenVersion, page: OpenRows, *, via: str, ip: str | None, filters: list, sort: list, q: Any
) -> None:
    access = t.access
    actor = access.actor if access is not None else ckan.reader()
    record(
        db,
        actor=actor,
        action="opendata.rows",
        target_kind="catalog.dataset",
        target_id=t.resource.id,
        ip=ip or getattr(access, "ip", None),
        detail={
            "version": t.version.version,
            "rows": page.count,
            "fields": page.fields,
            "masked": page.masked,
            "filters": [[n, op, str(v)[:100]] for n, op, v in filters],
            "sort": [[n, d] for n, d in sort],
            "q": str(q)[:200] if q else None,
            "offset": page.offset,
            "limit": page.limit,
            "via": via,
            "key_id": getattr(access, "key_id", None),
            "open_type": t.open_type,
        },
    )
    # the usage counters (opendata.stats) count in this session, so audit and count commit together
    bus.publish(
        "opendata.used",
        {
            "resource_id": t.resource.id,
            "department_id": t.resource.department_id,
            "kind": "api",
            "rows": page.count,
            "via": via,
            "key_id": getattr(access, "key_id", None),
            "db": db,
        },
    )
    db.commit()
