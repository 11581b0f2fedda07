"""CKAN's DataStore over open datasets: datastore_search (resource_id, filters, q, limit, offset, fields, sort),
through the portal's access check, masked, audited and counted."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Request
from sqlalchemy.orm import Session

from zhicheng.catalog.datasets.rowquery import filters
from zhicheng.core.errors import Invalid
from zhicheng.exchange import masked_copy
from zhicheng.opendata.ckan.params import Raw, _bool, _int, _json_default, _list, _str, action
from zhicheng.opendata.rows import service as rows

# -- DataStore ----------------------------------------------------------------------------------------------


def _filters(t: rows.OpenVersion, raw: Any) -> list[tuple[str, str, Any]]:
    if raw is None or raw == "" or raw == {}:
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise Invalid(
                "filters 不是合法的 JSON 对象", "filters is not a valid JSON object", field="filters"
            ) from None
    if not isinstance(raw, dict):
        raise Invalid(
            "filters 须为 {字段: 值} 对象", "filters must be a {field: value} object", field="filters"
        )
    if len(raw) > 50:
        raise Invalid("filters 条件过多", "too many filters", field="filters")
    out = []
    for name, value in raw.items():
        where = f"filters.{str(name)[:40]}"
        spec = rows.check_column(t, name, where, filters.FILTER)
        if isinstance(value, list):
            out.append((name, "in", filters.filter_value(spec, "in", value, where)))
        else:
            out.append((name, "eq", filters.filter_value(spec, "eq", value, where)))
    return out


def _sort(t: rows.OpenVersion, raw: Any) -> list[tuple[str, bool]]:
    if raw is None or raw == "":
        return []
    parts = raw if isinstance(raw, list) else str(raw).split(",") if isinstance(raw, str) else None
    if parts is None or len(parts) > 10:
        raise Invalid(
            'sort 须为 "字段 asc|desc" 列表', 'sort must be "field asc|desc", comma-separated', field="sort"
        )
    out = []
    for part in parts:
        words = str(part).strip().strip('"').split()
        if not words:
            continue
        name = words[0].strip('"')
        direction = words[1].lower() if len(words) > 1 else "asc"
        if len(words) > 2 or direction not in ("asc", "desc"):
            raise Invalid('sort 须为 "字段 asc|desc"', 'sort must be "field asc|desc"', field="sort")
        if name == "_id":
            if direction == "asc":
                continue
            raise Invalid("_id 只能升序", "_id sorts ascending only", field="sort")
        rows.check_column(t, name, "sort", filters.SORT)
        out.append((name, direction == "desc"))
    return out


def _fields(t: rows.OpenVersion, raw: Any) -> list[str] | None:
    names = _list({"fields": raw}, "fields")
    names = [n for n in names if n != "_id"]
    for n in names:
        rows.check_column(t, n, "fields")
    return names or None


@action
def datastore_search(db: Session, request: Request, params: dict[str, Any]) -> Any:
    """Rows of an open dataset: resource_id, filters, q, limit (capped at 32000), offset, fields, sort (NULLs
    last ascending, as on PostgreSQL), distinct, records_format, include_total. Numbers are JSON numbers."""
    if params.get("resource_id") is None and params.get("id") is not None:
        params["resource_id"] = params["id"]
    if params.get("resource_id") is None:
        raise Invalid("缺少参数 resource_id", "missing parameter resource_id", field="resource_id")
    # over the maximum is capped, as CKAN caps it (ckan.datastore.search.rows_max), not refused
    limit = min(_int(params, "limit", rows.DEFAULT_LIMIT, 0, 10**9), rows.MAX_LIMIT)
    distinct = _bool(params, "distinct", False)
    offset = _int(params, "offset", 0, 0, rows.MAX_OFFSET)
    fmt = _str(params, "records_format", limit=20) or "objects"
    if fmt not in ("objects", "lists"):
        raise Invalid(
            "records_format 须为 objects 或 lists",
            "records_format must be objects or lists",
            field="records_format",
        )
    raw_q = params.get("q")
    if isinstance(raw_q, str) and raw_q.strip().startswith("{"):
        try:
            raw_q = json.loads(raw_q)
        except ValueError:
            raise Invalid("q 不是合法的 JSON 对象", "q is not a valid JSON object", field="q") from None
    t = rows.open_target(db, _ckan_request(request), resource_id=params.get("resource_id"))
    page = rows.read_page(
        db,
        t,
        fields=_fields(t, params.get("fields")),
        filters=_filters(t, params.get("filters")),
        sort=_sort(t, params.get("sort")),
        q=raw_q,
        limit=max(limit, 1),
        offset=offset,
        include_total=_bool(params, "include_total", True),
        via="ckan",
        ip=request.client.host if request.client else None,
        json_records=fmt if limit else None,
        ckan_order=True,
        distinct=distinct,
    )
    columns = page.fields if distinct else ["_id", *page.fields]
    head: dict[str, Any] = {
        "resource_id": str(params["resource_id"])[:100],
        "fields": rows.field_meta(t, page.fields)[1:] if distinct else rows.field_meta(t, page.fields),
        "records_format": fmt,
        "limit": limit,
        "offset": offset,
        "total": page.total,
        "total_was_estimated": False,
        "masked": page.masked,
        "version": t.version.version,
    }
    path = request.url.path
    keep = {k: v for k, v in request.query_params.items() if k != "offset"}
    head["_links"] = {"start": f"{path}?{urlencode(keep)}" if keep else path}
    if page.more:
        head["_links"]["next"] = f"{path}?{urlencode({**keep, 'offset': offset + limit})}"
    if page.json is not None:  # written by the database
        body = page.json
    else:  # serialised once, straight from the row tuples, and spliced into the result
        records = page.rows[:limit]
        body = orjson.dumps(
            [dict(zip(columns, r, strict=True)) for r in records] if fmt == "objects" else records,
            default=masked_copy.record_default,  # decimals as numbers, as in the open copy
        )
    return Raw(orjson.dumps(head, default=_json_default)[:-1], b',"records":', body, b"}")


class _ckan_request:  # noqa: N801 - a thin view of the request for opendata.access
    """The request as `check_open_access` reads it, with CKAN's key headers (X-CKAN-API-Key, a bare
    Authorization) presented as X-API-Key."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self.client = request.client
        self.app = request.app
        self.state = request.state
        headers = {k.lower(): v for k, v in request.headers.items()}
        key = headers.get("x-api-key") or headers.get("x-ckan-api-key")
        auth = headers.get("authorization", "")
        if not key and auth and " " not in auth.strip():
            key = auth.strip()
        if key:
            headers["x-api-key"] = key
        self.headers = headers
