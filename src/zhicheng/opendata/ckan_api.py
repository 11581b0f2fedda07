"""CKAN-compatible action API under /api/3/action/ (and /api/action/, where the ckanapi client calls): the
read actions of the open catalog and the DataStore, GET or POST, in CKAN's envelope and with CKAN's errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhicheng import __version__
from zhicheng.catalog import codes
from zhicheng.core.errors import AppError, Forbidden, Invalid, NotFound, TooMany, Unauthorized
from zhicheng.opendata import ckan, rows
from zhicheng.web.i18n import request_language

log = logging.getLogger("zhicheng")
router = APIRouter(tags=["CKAN action API 兼容接口"])
MAX_BODY = 1_000_000
MAX_LIST = 1000
Action = Callable[[Session, Request, dict[str, Any]], Any]
ACTIONS: dict[str, Action] = {}


def action(fn: Action) -> Action:
    ACTIONS[fn.__name__] = fn
    return fn


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# -- parameters ---------------------------------------------------------------------------------------------


async def _params(request: Request) -> dict[str, Any]:
    """The action's data dict: the JSON (or form) body of a POST, else the query string."""
    params: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in params:
            params[key] = [*params[key], value] if isinstance(params[key], list) else [params[key], value]
        else:
            params[key] = value
    if request.method == "POST":
        body = await request.body()
        if len(body) > MAX_BODY:
            raise Invalid("请求体过大", "the request body is too large", field="body")
        if body.strip():
            ctype = request.headers.get("content-type", "")
            if "form" in ctype:
                form = await request.form()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
            else:
                try:
                    data = json.loads(body)
                except ValueError:
                    raise Invalid(
                        "请求体不是合法的 JSON", "the request body is not valid JSON", field="body"
                    ) from None
                if not isinstance(data, dict):
                    raise Invalid(
                        "请求体须为 JSON 对象", "the request body must be a JSON object", field="body"
                    )
                params.update(data)
    return params


def _int(params: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        value = None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise Invalid(
            f"{name} 须为 {low} 至 {high} 的整数",
            f"{name} must be an integer from {low} to {high}",
            field=name,
        )
    return number


def _bool(params: dict[str, Any], name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise Invalid(f"{name} 须为 true 或 false", f"{name} must be true or false", field=name)


def _str(params: dict[str, Any], name: str, *, limit: int = 1000) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise Invalid(f"{name} 须为字符串", f"{name} must be a string", field=name)
    text = str(value)
    if len(text) > limit or "\x00" in text:
        raise Invalid(
            f"{name} 过长（上限 {limit} 字符）",
            f"{name} is too long (at most {limit} characters)",
            field=name,
        )
    return text


def _list(params: dict[str, Any], name: str) -> list[str]:
    """A list parameter: a JSON list, a JSON-encoded list in a string (CKAN's GET form), repeated keys or a
    comma-separated string."""
    value = params.get(name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                raise Invalid(
                    f"{name} 不是合法的 JSON 列表", f"{name} is not a valid JSON list", field=name
                ) from None
        else:
            value = [p.strip() for p in text.split(",") if p.strip()]
    if not isinstance(value, list) or len(value) > MAX_LIST or not all(isinstance(v, str) for v in value):
        raise Invalid(f"{name} 须为字符串列表", f"{name} must be a list of strings", field=name)
    return [v[:200] for v in value]


# -- catalog actions ----------------------------------------------------------------------------------------


@action
def package_list(db: Session, request: Request, params: dict[str, Any]) -> list[str]:
    """All open dataset names (resource codes, / as -), sorted; `limit`, `offset`."""
    names = sorted(ckan.slug(d["code"]) for d in ckan.all_open_documents(db))
    offset = _int(params, "offset", 0, 0, 10**9)
    limit = _int(params, "limit", len(names), 0, 10**9)
    return names[offset : offset + limit]


@action
def package_search(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """Search open datasets: q (Chinese words), fq, rows (≤ 1000), start, sort, facet.field, facet.limit."""
    # Python keyword arguments cannot hold dots (ckanapi's action shortcut): accept facet_field too
    for dotted in ("facet.field", "facet.limit"):
        if dotted not in params and dotted.replace(".", "_") in params:
            params[dotted] = params[dotted.replace(".", "_")]
    fields = _list(params, "facet.field")
    out = ckan.search(
        db,
        q=_str(params, "q"),
        fq=_str(params, "fq"),
        rows=_int(params, "rows", ckan.DEFAULT_ROWS, 0, ckan.MAX_ROWS),
        start=_int(params, "start", 0, 0, ckan.MAX_START),
        sort=_str(params, "sort"),
        facet_fields=fields,
        facet_limit=_int(params, "facet.limit", 50, -1, 1000),
    )
    base = _base(request)
    results = [ckan.package_dict(db, doc, base) for doc in out.docs]
    facets, search_facets = {}, {}
    for name, values in out.facets.items():
        items = []
        for v in values:
            value, label = v["value"], v["label"]
            if name in ("organization", "owner_org"):
                org = ckan.organization_dict(db, value)
                value = org["id"] if name == "owner_org" else org["name"]
            items.append({"name": value, "display_name": label, "count": v["count"]})
        facets[name] = {i["name"]: i["count"] for i in items}
        search_facets[name] = {"title": name, "items": items}
    return {
        "count": out.count,
        "results": results,
        "sort": _str(params, "sort") or "score desc, metadata_modified desc",
        "facets": facets,
        "search_facets": search_facets,
    }


@action
def package_show(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """One open dataset by name, id, resource code or number."""
    _res, doc = ckan.find_package(db, params.get("id"))
    return ckan.package_dict(db, doc, _base(request))


@action
def organization_list(db: Session, request: Request, params: dict[str, Any]) -> list[Any]:
    """Departments (names, or dicts with `all_fields`), with their open dataset counts."""
    found = ckan.organizations(db, all_fields=_bool(params, "all_fields", False))
    offset = _int(params, "offset", 0, 0, 10**9)
    limit = _int(params, "limit", 1000, 0, 1000)
    return found[offset : offset + limit]


@action
def organization_show(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """One department; `include_datasets` adds its open datasets."""
    dept_id = ckan.find_organization(db, params.get("id"))
    docs = [d for d in ckan.all_open_documents(db) if d["department"]["id"] == dept_id]
    org = ckan.organization_dict(db, dept_id, package_count=len(docs))
    if _bool(params, "include_datasets", False):
        base = _base(request)
        org["packages"] = [ckan.package_dict(db, d, base) for d in docs[:1000]]
    return org


@action
def group_list(db: Session, request: Request, params: dict[str, Any]) -> list[Any]:
    """Themes (base and theme subclasses) as groups; `all_fields` adds counts."""
    counts: dict[str, int] = {}
    for doc in ckan.all_open_documents(db):
        key = ckan.group_key(doc)
        if key:
            counts[key] = counts.get(key, 0) + 1
    keys = sorted({*codes.BASE_SUBCLASSES, *codes.THEME_SUBJECTS})
    if _bool(params, "all_fields", False):
        return [ckan.group_dict(k, package_count=counts.get(k, 0)) for k in keys]
    return keys


@action
def group_show(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """One theme group with its open dataset count."""
    key = _str(params, "id", limit=100) or ""
    if key not in codes.BASE_SUBCLASSES and key not in codes.THEME_SUBJECTS:
        raise ckan.not_found("分组", "group", key)
    docs = [d for d in ckan.all_open_documents(db) if ckan.group_key(d) == key]
    return ckan.group_dict(key, package_count=len(docs))


@action
def tag_list(db: Session, request: Request, params: dict[str, Any]) -> list[Any]:
    """Tags of open datasets; `query` filters them, `all_fields` gives dicts."""
    query = (_str(params, "query", limit=100) or "").lower()
    tags = sorted({t for d in ckan.all_open_documents(db) for t in d.get("tags") or [] if query in t.lower()})
    if _bool(params, "all_fields", False):
        return [{"id": t, "name": t, "display_name": t, "vocabulary_id": None} for t in tags]
    return tags


@action
def resource_show(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """One download (format) of a data version of an open dataset."""
    text = ckan._ident_text(params.get("id"))
    parsed = ckan.parse_resource_uuid(text)
    if not parsed:
        raise ckan.not_found("资源", "resource", text)
    rid, version, fmt = parsed
    try:
        res, doc = ckan.find_package(db, rid)
        found = [v for v in ckan.versions(db, res) if v.version == version]
    except NotFound:
        found = []
    if not found or fmt not in ckan.formats_of(doc):
        raise ckan.not_found("资源", "resource", text)
    return next(r for r in ckan.resource_dicts(doc, found[0], _base(request)) if r["id"] == text.lower())


@action
def status_show(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """What this site is and which extensions it speaks."""
    settings = request.app.state.settings
    return {
        "site_title": f"{settings.city_name}公共数据开放平台",
        "site_url": _base(request),
        "site_description": "智城 zhicheng",
        "ckan_version": "2.10.4",
        "zhicheng_version": __version__,
        "locale_default": "zh_Hans_CN",
        "extensions": ["datastore", "dcat"],
    }


@action
def help_show(db: Session, request: Request, params: dict[str, Any]) -> str:
    """The documentation of an action (`name`)."""
    name = _str(params, "name", limit=100) or ""
    fn = ACTIONS.get(name)
    if fn is None:
        raise ckan.not_found("动作", "action", name)
    return (fn.__doc__ or name).strip()


@action
def site_read(db: Session, request: Request, params: dict[str, Any]) -> bool:
    return True


# -- DataStore ----------------------------------------------------------------------------------------------


def _filters(t: rows.Target, raw: Any) -> list[tuple[str, str, Any]]:
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
        spec = rows.check_column(t, name, where, usage=("筛选", "filter by"))
        if isinstance(value, list):
            out.append((name, "in", rows.filter_value(spec, "in", value, where)))
        else:
            out.append((name, "eq", rows.filter_value(spec, "eq", value, where)))
    return out


def _sort(t: rows.Target, raw: Any) -> list[tuple[str, bool]]:
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
        rows.check_column(t, name, "sort", usage=("排序", "sort by"))
        out.append((name, direction == "desc"))
    return out


def _fields(t: rows.Target, raw: Any) -> list[str] | None:
    names = _list({"fields": raw}, "fields")
    names = [n for n in names if n != "_id"]
    for n in names:
        rows.check_column(t, n, "fields")
    return names or None


@action
def datastore_search(db: Session, request: Request, params: dict[str, Any]) -> Any:
    """Rows of an open dataset: resource_id, filters, q, limit (≤ 32000), offset, fields, sort, records_format,
    include_total."""
    if params.get("resource_id") is None and params.get("id") is not None:
        params["resource_id"] = params["id"]
    if params.get("resource_id") is None:
        raise Invalid("缺少参数 resource_id", "missing parameter resource_id", field="resource_id")
    limit = _int(params, "limit", rows.DEFAULT_LIMIT, 0, 10**9)
    if limit > rows.MAX_LIMIT:
        raise Invalid(
            f"limit 超过上限 {rows.MAX_LIMIT}",
            f"limit is over the maximum of {rows.MAX_LIMIT}",
            field="limit",
        )
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
    )
    columns = ["_id", *page.fields]
    head: dict[str, Any] = {
        "resource_id": str(params["resource_id"])[:100],
        "fields": rows.field_meta(t, page.fields),
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
            default=_json_default,
        )
    return Raw(orjson.dumps(head, default=_json_default)[:-1] + b',"records":' + body + b"}")


class Raw(bytes):
    """A result already serialised as JSON."""


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # as text: a float would lose digits
    return str(value)


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


# -- the endpoint -------------------------------------------------------------------------------------------

_TYPES = [
    (NotFound, 404, "Not Found Error"),
    (Forbidden, 403, "Authorization Error"),
    (Unauthorized, 403, "Authorization Error"),
    (TooMany, 429, "Rate Limit Error"),
]


def _error(request: Request, name: str, err: AppError) -> Response:
    status, kind = 409, "Validation Error"
    for cls, code, label in _TYPES:
        if isinstance(err, cls):
            status, kind = code, label
            break
    message = err.message(request_language(request))
    error: dict[str, Any] = {"__type": kind, "message": f"{kind}: {message}"}
    if kind == "Validation Error":
        error[err.field or "message"] = [message]
    if err.code and err.code not in ("invalid", "not_found", "forbidden"):
        error["code"] = err.code
    return _respond(request, name, False, {"error": error}, status=status, headers=err.headers)


def _respond(
    request: Request,
    name: str,
    success: bool,
    payload: dict[str, Any],
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"help": f"{_base(request)}/api/3/action/help_show?name={name}", "success": success, **payload}
    result = payload.get("result")
    if isinstance(result, Raw):
        del body["result"]
        data = orjson.dumps(body)[:-1] + b',"result":' + bytes(result) + b"}"
    else:
        data = orjson.dumps(body, default=_json_default)
    return Response(
        data, status_code=status, media_type="application/json;charset=utf-8", headers=headers or {}
    )


def _run(request: Request, name: str, fn: Action, params: dict[str, Any]) -> Response:
    """Run one action on a session of its own (one worker-thread hop per call)."""
    db = request.app.state.sessionmaker()
    try:
        result = fn(db, request, params)
    except AppError as err:
        db.rollback()
        return _error(request, name, err)
    except Exception:
        db.rollback()
        log.exception("CKAN action %s failed", name)
        return _respond(
            request,
            name,
            False,
            {
                "error": {
                    "__type": "Internal Server Error",
                    "message": "Internal Server Error: 服务器内部错误，已记录 / internal error, logged",
                }
            },
            status=500,
        )
    finally:
        db.rollback()
        db.close()
    return _respond(request, name, True, {"result": result})


async def _dispatch(request: Request, name: str) -> Response:
    fn = ACTIONS.get(name)
    if fn is None:
        shown = name[:60]
        return _respond(
            request,
            shown,
            False,
            {"error": {"__type": "Bad Request", "message": f"Bad request - Action name not known: {shown}"}},
            status=400,
        )
    try:
        params = await _params(request)
    except AppError as err:
        return _error(request, name, err)
    return await run_in_threadpool(_run, request, name, fn, params)


DESCRIPTION = """CKAN 兼容的只读动作接口 / CKAN-compatible read actions, in CKAN's envelope
(`{"help", "success", "result"}`; errors `{"success": false, "error": {"__type", "message"}}` with 404, 409, 403):
`package_list`, `package_search` (q, fq, rows, start, sort, facet.field), `package_show`, `organization_list`
(all_fields), `organization_show`, `group_list`, `group_show`, `tag_list`, `resource_show`, `datastore_search`
(resource_id, filters, q, limit, offset, fields, sort), `status_show`. Also served under `/api/action/`.

    curl 'http://127.0.0.1:8000/api/3/action/package_search?q=空气质量&facet.field=["organization"]'
    curl -X POST http://127.0.0.1:8000/api/3/action/datastore_search \\
         -H 'Content-Type: application/json' -d '{"resource_id": "…", "filters": {"station": "岳麓山站"}, "limit": 5}'
"""


EXAMPLES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "成功 / success",
        "content": {
            "application/json": {
                "example": {
                    "help": "http://127.0.0.1:8000/api/3/action/help_show?name=datastore_search",
                    "success": True,
                    "result": {
                        "resource_id": "7a686301-0001-4001-8000-00000000000c",
                        "total": 30,
                        "limit": 2,
                        "offset": 0,
                        "records_format": "objects",
                        "masked": ["contact"],
                        "fields": [
                            {"id": "_id", "type": "int"},
                            {"id": "station", "type": "text"},
                            {"id": "contact", "type": "text", "masked": True},
                        ],
                        "records": [
                            {"_id": 1, "station": "湘江中路站", "contact": "138****0000"},
                            {"_id": 2, "station": "岳麓山站", "contact": "138****0001"},
                        ],
                        "_links": {
                            "start": "/api/3/action/datastore_search?resource_id=…",
                            "next": "/api/3/action/datastore_search?resource_id=…&offset=2",
                        },
                    },
                }
            }
        },
    },
    404: {
        "description": "不存在或未开放 / not found or not open",
        "content": {
            "application/json": {
                "example": {
                    "help": "…",
                    "success": False,
                    "error": {"__type": "Not Found Error", "message": "Not Found Error: 数据集 x 不存在"},
                }
            }
        },
    },
    409: {
        "description": "参数有误 / validation error",
        "content": {
            "application/json": {
                "example": {
                    "help": "…",
                    "success": False,
                    "error": {
                        "__type": "Validation Error",
                        "sort": ["字段 contact 已脱敏，不能用于排序"],
                        "message": "Validation Error: 字段 contact 已脱敏，不能用于排序",
                    },
                }
            }
        },
    },
    403: {"description": "有条件开放数据需要获批的 API 密钥 / an approved key is needed"},
    429: {"description": "超过频率限制，见 Retry-After / over the rate limit"},
}


@router.get(
    "/api/3/action/{name}", summary="CKAN action API (GET)", description=DESCRIPTION, responses=EXAMPLES
)
async def ckan_action_get(name: str, request: Request) -> Response:
    return await _dispatch(request, name)


@router.post(
    "/api/3/action/{name}",
    summary="CKAN action API (POST, JSON body)",
    description=DESCRIPTION,
    responses=EXAMPLES,
)
async def ckan_action_post(name: str, request: Request) -> Response:
    return await _dispatch(request, name)


@router.api_route("/api/action/{name}", methods=["GET", "POST"], include_in_schema=False)
async def ckan_action_unversioned(name: str, request: Request) -> Response:
    return await _dispatch(request, name)


@router.get("/api/3", include_in_schema=False)
def api_version() -> dict[str, int]:
    return {"version": 3}
