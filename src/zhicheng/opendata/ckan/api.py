"""CKAN-compatible action API under /api/3/action/ (and /api/action/, where the ckanapi client calls): the
read actions of the open catalog and the DataStore, GET or POST, in CKAN's envelope and with CKAN's errors."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhicheng import __version__
from zhicheng.catalog import codes
from zhicheng.core.errors import AppError, Forbidden, NotFound, TooMany, Unauthorized
from zhicheng.opendata.ckan import actions as ckan_actions  # noqa: F401 - registers the listing actions
from zhicheng.opendata.ckan import datastore as ckan_datastore  # noqa: F401 - registers datastore_search
from zhicheng.opendata.ckan import search as ckan_search
from zhicheng.opendata.ckan import service as ckan
from zhicheng.opendata.ckan.params import (
    ACTIONS,
    Action,
    Raw,
    _base,
    _bool,
    _int,
    _json_default,
    _list,
    _params,
    _str,
    action,
)
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter

log = logging.getLogger("zhicheng")
router = APIRouter(tags=["CKAN action API 兼容接口"])

# -- catalog actions ----------------------------------------------------------------------------------------


@action
def package_list(db: Session, request: Request, params: dict[str, Any]) -> list[str]:
    """All open dataset names (resource codes, / as -), sorted; `limit`, `offset`."""
    names = sorted(ckan.slug(d["code"]) for d in ckan_search.all_open_documents(db))
    offset = _int(params, "offset", 0, 0, 10**9)
    limit = _int(params, "limit", len(names), 0, 10**9)
    return names[offset : offset + limit]


@action
def package_search(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """Search open datasets: q (Chinese words), fq, rows (≤ 1000), start, sort, facet.field, facet.limit.

    fq is Solr's filter syntax, as CKAN reads it: field:value, field:"value", field:*, field:prefix*, date ranges
    [a TO b] / {a TO b} on metadata_modified and metadata_created, AND / OR / NOT (&& || - + !), parentheses,
    field:(a OR b), *:*. Fields: organization, owner_org, open_type, update_cycle, format, catalog_class, tags,
    groups, res_format, license_id, name, id, metadata_modified, metadata_created. facet.field also counts tags,
    groups, res_format and license_id."""
    # Python keyword arguments cannot hold dots (ckanapi's action shortcut): accept facet_field too
    for dotted in ("facet.field", "facet.limit"):
        if dotted not in params and dotted.replace(".", "_") in params:
            params[dotted] = params[dotted.replace(".", "_")]
    fields = _list(params, "facet.field")
    out = ckan_search.search(
        db,
        q=_str(params, "q"),
        fq=_str(params, "fq"),
        # over the maximum is capped, as CKAN caps it (ckan.search.rows_max), not refused
        rows=min(_int(params, "rows", ckan.DEFAULT_ROWS, 0, 10**9), ckan.MAX_ROWS),
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
    """Departments (names, or dicts with `all_fields`), with their open dataset counts; `sort` (name, title or
    package_count, asc or desc; CKAN's default title asc), `limit`, `offset`."""
    found = ckan_search.organizations(
        db, all_fields=_bool(params, "all_fields", False), sort=_str(params, "sort", limit=100)
    )
    offset = _int(params, "offset", 0, 0, 10**9)
    limit = _int(params, "limit", 1000, 0, 1000)
    return found[offset : offset + limit]


@action
def organization_show(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """One department; `include_datasets` adds its open datasets."""
    dept_id = ckan_search.find_organization(db, params.get("id"))
    docs = [d for d in ckan_search.all_open_documents(db) if d["department"]["id"] == dept_id]
    org = ckan.organization_dict(db, dept_id, package_count=len(docs))
    if _bool(params, "include_datasets", False):
        base = _base(request)
        org["packages"] = [ckan.package_dict(db, d, base) for d in docs[:1000]]
    return org


@action
def group_list(db: Session, request: Request, params: dict[str, Any]) -> list[Any]:
    """Themes (base and theme subclasses) as groups; `all_fields` adds counts; `sort` as organization_list."""
    order = ckan_search.group_sort(_str(params, "sort", limit=100))
    counts: dict[str, int] = {}
    for doc in ckan_search.all_open_documents(db):
        key = ckan.group_key(doc)
        if key:
            counts[key] = counts.get(key, 0) + 1
    titles = {**codes.BASE_SUBCLASSES, **codes.THEME_SUBJECTS}
    keys = ckan_search.sort_groups(list(titles), order, lambda k: (k, titles[k][0], counts.get(k, 0)))
    if _bool(params, "all_fields", False):
        return [ckan.group_dict(k, package_count=counts.get(k, 0)) for k in keys]
    return keys


@action
def group_show(db: Session, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """One theme group with its open dataset count; `include_datasets` adds its open datasets (at most 1000)."""
    key = _str(params, "id", limit=100) or ""
    if key not in codes.BASE_SUBCLASSES and key not in codes.THEME_SUBJECTS:
        raise ckan.not_found("分组", "group", key)
    docs = [d for d in ckan_search.all_open_documents(db) if ckan.group_key(d) == key]
    group = ckan.group_dict(key, package_count=len(docs))
    if _bool(params, "include_datasets", False):
        base = _base(request)
        group["packages"] = [ckan.package_dict(db, d, base) for d in docs[:1000]]
    return group


@action
def tag_list(db: Session, request: Request, params: dict[str, Any]) -> list[Any]:
    """Tags of open datasets; `query` filters them, `all_fields` gives dicts."""
    query = (_str(params, "query", limit=100) or "").lower()
    tags = sorted(
        {t for d in ckan_search.all_open_documents(db) for t in d.get("tags") or [] if query in t.lower()}
    )
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
    if not found or fmt not in ckan.formats_of(doc, found[0]):
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
        data = b"".join((orjson.dumps(body)[:-1], b',"result":', *result.parts, b"}"))
    else:
        data = orjson.dumps(body, default=_json_default)
    return Response(
        data, status_code=status, media_type="application/json;charset=utf-8", headers=headers or {}
    )


def _run(db: Session, request: Request, name: str, fn: Action, params: dict[str, Any]) -> Response:
    """Run one action on `db` (in a worker thread; the caller closes the session)."""
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
    return _respond(request, name, True, {"result": result})


def _on_own_session(request: Request, name: str, fn: Action, params: dict[str, Any]) -> Response:
    db = request.app.state.sessionmaker()
    try:
        return _run(db, request, name, fn, params)
    finally:
        db.rollback()
        db.close()


async def _dispatch(request: Request, name: str, *, lane: bool = False) -> Response:
    """Run action `name` on the request's parameters in a worker thread, on a session of its own (or, for the
    fast lane, on the lane thread's: `web.fastlane.LaneWorkers`)."""
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
    if lane:
        return await request.app.state.lane_workers.run(_run, request, name, fn, params)
    return await run_in_threadpool(_on_own_session, request, name, fn, params)


DESCRIPTION = """CKAN 兼容的只读动作接口 / CKAN-compatible read actions, in CKAN's envelope
(`{"help", "success", "result"}`; errors `{"success": false, "error": {"__type", "message"}}` with 404, 409, 403):
`package_list`, `package_search` (q and fq in Solr's syntax, rows, start, sort on id, name, title_string,
metadata_modified, metadata_created or score, facet.field), `package_show`, `package_autocomplete`,
`current_package_list_with_resources`, `organization_list` (all_fields, sort), `organization_show`, `group_list`,
`group_show` (include_datasets), `tag_list`, `tag_show`, `license_list`, `resource_show`, `datastore_search`
(resource_id, filters, q, limit, offset, fields, sort, distinct), `datastore_info`, `status_show`. rows over 1000 and
limit over 32000 are capped, as CKAN caps them. Also served under `/api/action/`.

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
