"""OGC API - Features at /ogc/features (Parts 1 core/geojson/html/oas30, 2 crs, 3 filter): a thin door over the layer
query service; JSON or Chinese HTML pages by `f=` or Accept."""

from __future__ import annotations

import logging
import weakref
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, current_actor, require_user
from zhicheng.catalog.datasets.rowquery.writers import json_default
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.core.events import bus, same_database
from zhicheng.geo.crs.registry import CRS84, STORAGE, parse_crs
from zhicheng.geo.layers import features_openapi, service
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.negotiation import best_match
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/ogc/features", tags=["OGC API - Features 要素服务"])
log = logging.getLogger(__name__)

JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
PROBLEM = "application/problem+json"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
REL_CONFORMANCE = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
REL_DATA = "http://www.opengis.net/def/rel/ogc/1.0/data"
TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
_F1 = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
_F3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
_CQL = "http://www.opengis.net/spec/cql2/1.0/conf/"
# exactly what is implemented, each class exercised by tests/geo/layers (the service, the API and real clients)
CONFORMANCE = [
    _F1 + "core", _F1 + "geojson", _F1 + "html", _F1 + "oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    _F3 + "queryables", _F3 + "queryables-query-parameters", _F3 + "filter", _F3 + "features-filter",
    _CQL + "cql2-text", _CQL + "cql2-json", _CQL + "basic-cql2", _CQL + "advanced-comparison-operators",
    _CQL + "basic-spatial-functions", _CQL + "basic-spatial-functions-plus", _CQL + "spatial-functions",
    _CQL + "temporal-functions",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
]
ITEM_PARAMS = ("limit", "offset", "after", "bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang", "filter-crs",
               "properties", "sortby")


# -- helpers ----------------------------------------------------------------------------------------------------------

def _format(request: Request, json_type: str = JSON) -> str:
    """json | html, from `f=` (wins) or the Accept header."""
    f = request.query_params.get("f")
    if f is not None:
        if f in ("json", "geojson", "jsonfg"):
            return "json"
        if f == "html":
            return "html"
        raise AppError(f"不支持的格式 f={f[:20]}（可用：json、html）", f"unsupported format f={f[:20]} (use json or html)",
                       field="f", status=400, code="invalid_parameter")
    chosen = best_match(request.headers.get("accept"), [json_type, JSON, HTML])
    return "html" if chosen == HTML else "json"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


def _json(doc: Any, media_type: str = JSON, headers: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return Response(orjson.dumps(doc, default=json_default), media_type=media_type, headers=headers,
                    status_code=status_code)


def _problem(request: Request, err: AppError) -> Response:
    lang = request_language(request)
    return Response(orjson.dumps(err.problem(lang, instance=request.url.path)), status_code=err.status,
                    media_type=PROBLEM, headers=err.headers)


def _page(request: Request, name: str, ctx: dict[str, Any]) -> Response:
    from zhicheng.web.templating import render

    return render(request, f"geo_layers/{name}", ctx)


def _answer(request: Request, fmt: str, build):
    """Run `build()`; an AppError is problem+json for JSON callers (a page for browsers, by the app's handler)."""
    try:
        return build()
    except AppError as err:
        if fmt == "json":
            return _problem(request, err)
        raise


DROP = object()  # a parameter _query leaves out


def _query(request: Request, **changes: Any) -> str:
    params = {k: v for k, v in request.query_params.items() if k in ITEM_PARAMS or k == "f"}
    params.update({k: v for k, v in changes.items() if v is not None})
    return urlencode({k: v for k, v in params.items() if v is not DROP})


def _int(request: Request, name: str, default: int | None) -> int | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if not (text.isascii() and text.lstrip("-").isdigit()) or len(text) > 12:
        raise AppError(f"{name} 须为整数", f"{name} must be an integer", field=name, status=400,
                       code="invalid_parameter")
    return int(text)


def _collection_doc(base: str, entry: dict[str, Any]) -> dict[str, Any]:
    cid = service.collection_id(entry["code"])
    url = f"{base}/collections/{cid}"
    extent = service.extent_of(entry.get("index"))
    first = entry.get("first_imported_at") or entry.get("imported_at")
    doc = {
        "id": cid, "title": entry["name"], "description": entry.get("summary") or "", "itemType": "feature",
        "links": [
            {"href": url, "rel": "self", "type": JSON, "title": "本图层 / this collection"},
            {"href": f"{url}?f=html", "rel": "alternate", "type": HTML, "title": "网页 / as HTML"},
            {"href": f"{url}/items", "rel": "items", "type": GEOJSON, "title": "要素 / features"},
            {"href": f"{url}/items?f=html", "rel": "items", "type": HTML, "title": "要素网页 / features as HTML"},
            {"href": f"{url}/queryables", "rel": REL_QUERYABLES, "type": SCHEMA, "title": "可查询属性 / queryables"},
        ],
        "crs": [parse_crs(k).uri for k in service.OUTPUT_CRS],
        "storageCrs": STORAGE.uri,
    }
    if extent:
        doc["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84.uri}}
    if first is not None:
        doc.setdefault("extent", {})["temporal"] = {"interval": [[_iso(first), None]], "trs": TRS}
    return doc


def _iso(value: Any) -> str:
    from zhicheng.core import clock

    return clock.aware(value).isoformat().replace("+00:00", "Z")


# -- routes -------------------------------------------------------------------------------------------------------------

@router.get("", include_in_schema=False)
@router.get("/", summary="OGC API - Features 首页 / landing page")
def landing(request: Request):
    """服务首页 / the landing page."""
    fmt = _format(request)
    base = _base(request)
    doc = {
        "title": "智城 OGC API - Features 要素服务",
        "description": "城市图层的要素服务：GIS 客户端（QGIS、GDAL、OWSLib）可直接读取 / the city's layers for GIS clients",
        "links": [
            {"href": f"{base}/", "rel": "self", "type": JSON, "title": "本页 / this document"},
            {"href": f"{base}/?f=html", "rel": "alternate", "type": HTML, "title": "网页 / as HTML"},
            {"href": f"{base}/api", "rel": "service-desc", "type": OPENAPI, "title": "OpenAPI 3.0 文档"},
            {"href": "/api/docs", "rel": "service-doc", "type": HTML, "title": "接口文档 / API documentation"},
            {"href": f"{base}/conformance", "rel": "conformance", "type": JSON, "title": "符合的标准类"},
            {"href": f"{base}/conformance", "rel": REL_CONFORMANCE, "type": JSON, "title": "符合的标准类"},
            {"href": f"{base}/collections", "rel": "data", "type": JSON, "title": "图层 / collections"},
            {"href": f"{base}/collections", "rel": REL_DATA, "type": JSON, "title": "图层 / collections"},
        ],
    }
    if fmt == "html":
        return _page(request, "landing.html", {"doc": doc, "base": base})
    return _json(doc)


@router.get("/conformance", summary="符合的标准类 / conformance classes")
def conformance(request: Request):
    """本服务实现并经测试的标准类 / the conformance classes implemented and tested."""
    fmt = _format(request)
    doc = {"conformsTo": CONFORMANCE}
    if fmt == "html":
        return _page(request, "conformance.html", {"doc": doc})
    return _json(doc)


@router.get("/api", summary="OpenAPI 3.0 文档 / the OpenAPI document")
def api_document(request: Request, db: Session = Depends(get_db), actor: Actor = Depends(current_actor)):
    """本服务的 OpenAPI 3.0 文档（含调用者可见图层的可查询属性）/ this service's OpenAPI 3.0 document, with the
    queryables of the collections the caller sees."""
    entries = service.list_layers(db, actor=actor)
    collections = [(service.collection_id(e["code"]), service.plain_queryables(e["items"])) for e in entries]
    return _json(features_openapi.document(_base(request), collections), OPENAPI)


@router.get("/collections", summary="图层列表 / collections")
def collections(request: Request, db: Session = Depends(get_db), actor: Actor = Depends(current_actor)):
    """调用者可见的图层 / the collections the caller may see."""
    fmt = _format(request)

    def build():
        base = _base(request)
        entries = service.list_layers(db, actor=actor, build_index=True)
        doc = {"links": [{"href": f"{base}/collections", "rel": "self", "type": JSON, "title": "本页"},
                         {"href": f"{base}/collections?f=html", "rel": "alternate", "type": HTML, "title": "网页"}],
               "collections": [_collection_doc(base, e) for e in entries]}
        if fmt == "html":
            return _page(request, "collections.html", {"doc": doc})
        return _json(doc)

    return _answer(request, fmt, build)


@router.get("/collections/{collection_id}", summary="图层 / one collection")
def collection(request: Request, collection_id: str, db: Session = Depends(get_db),
               actor: Actor = Depends(current_actor)):
    """一个图层的说明 / one collection."""
    fmt = _format(request)

    def build():
        layer = service.open_layer(db, actor=actor, request=request, code=service.code_of(collection_id))
        doc = _collection_doc(_base(request), service.layer_entry(layer))
        if fmt == "html":
            return _page(request, "collection.html", {"doc": doc, "layer": layer})
        return _json(doc)

    return _answer(request, fmt, build)


@router.get("/collections/{collection_id}/queryables", summary="可查询属性 / queryables")
def queryables(request: Request, collection_id: str, db: Session = Depends(get_db),
               actor: Actor = Depends(current_actor)):
    """可用于过滤的属性（JSON Schema）/ the properties a filter may use, as JSON Schema."""
    fmt = _format(request, SCHEMA)

    def build():
        layer = service.open_layer(db, actor=actor, request=request, code=service.code_of(collection_id))
        base = _base(request)
        doc = {"$schema": "https://json-schema.org/draft/2020-12/schema",
               "$id": f"{base}/collections/{collection_id}/queryables", "type": "object",
               "title": layer.resource.name, "properties": service.queryables(layer),
               "additionalProperties": False}
        if fmt == "html":
            return _page(request, "queryables.html", {"doc": doc, "layer": layer, "cid": collection_id})
        return _json(doc, SCHEMA)

    return _answer(request, fmt, build)


@router.get("/collections/{collection_id}/items", summary="要素 / features")
def items(request: Request, collection_id: str, db: Session = Depends(get_db),
          actor: Actor = Depends(current_actor)):
    """图层的要素：范围、CQL2 过滤、时点、属性选择、排序与分页 / features with bbox, CQL2 filter, datetime,
    properties, sortby and paging."""
    fmt = _format(request, GEOJSON)

    def build():
        q = request.query_params
        limit = _int(request, "limit", service.DEFAULT_LIMIT)
        offset = _int(request, "offset", 0)
        after = _int(request, "after", None)
        service.check_paging(limit, offset)
        layer = service.open_layer(db, actor=actor, request=request, code=service.code_of(collection_id),
                                   datetime_=q.get("datetime"))
        page = service.items(db, layer, equals=service.equality_params(layer, q), bbox=q.get("bbox"), bbox_crs=q.get("bbox-crs"), filter_text=q.get("filter"),
                             filter_lang=q.get("filter-lang"), filter_crs=q.get("filter-crs"),
                             properties=q.get("properties"), sortby=q.get("sortby"), limit=limit, offset=offset,
                             crs=q.get("crs"), ip=request.client.host if request.client else None,
                             after=after)
        base = f"{_base(request)}/collections/{collection_id}"
        links = [{"href": f"{base}/items?{_query(request, f='json')}", "rel": "self", "type": GEOJSON,
                  "title": "本页"},
                 {"href": f"{base}/items?{_query(request, f='html')}", "rel": "alternate", "type": HTML,
                  "title": "网页"},
                 {"href": base, "rel": "collection", "type": JSON, "title": "图层"}]
        if page.has_next:  # in row order the next page starts after this one's last row (keyset: deep pages cheap)
            keyset = {"after": page.last_row} if not q.get("sortby") else {}
            links.append({"href": f"{base}/items?{_query(request, offset=offset + limit, limit=limit, f='json', **keyset)}",
                          "rel": "next", "type": GEOJSON, "title": "下一页 / next page"})
        if offset > 0:
            back = _query(request, offset=max(0, offset - limit), limit=limit, f="json", after=DROP)
            links.append({"href": f"{base}/items?{back}", "rel": "prev", "type": GEOJSON, "title": "上一页 / previous page"})
        headers = {"Content-Crs": f"<{page.crs.uri}>"}
        if fmt == "html":
            resp = _page(request, "items.html", {"page": page, "layer": layer, "cid": collection_id, "links": links,
                                                 "html_links": _html_links(links)})
            resp.headers.update(headers)
            return resp
        doc = {"type": "FeatureCollection", "features": page.features, "numberMatched": page.number_matched,
               "numberReturned": page.number_returned, "timeStamp": _now(), "links": links}
        return _json(doc, GEOJSON, headers)

    return _answer(request, fmt, build)


@router.get("/collections/{collection_id}/items/{feature_id}", summary="单个要素 / one feature")
def item(request: Request, collection_id: str, feature_id: str, db: Session = Depends(get_db),
         actor: Actor = Depends(current_actor)):
    """一个要素 / one feature."""
    fmt = _format(request, GEOJSON)

    def build():
        q = request.query_params
        layer = service.open_layer(db, actor=actor, request=request, code=service.code_of(collection_id),
                                   datetime_=q.get("datetime"))
        found = service.feature(db, layer, feature_id, crs=q.get("crs"),
                                ip=request.client.host if request.client else None)
        crs = service.parse_crs_param(q.get("crs"), "crs")
        base = f"{_base(request)}/collections/{collection_id}"
        found["links"] = [
            {"href": f"{base}/items/{feature_id}", "rel": "self", "type": GEOJSON, "title": "本要素"},
            {"href": f"{base}/items/{feature_id}?f=html", "rel": "alternate", "type": HTML, "title": "网页"},
            {"href": base, "rel": "collection", "type": JSON, "title": "图层"}]
        headers = {"Content-Crs": f"<{crs.uri}>"}
        if fmt == "html":
            resp = _page(request, "item.html", {"feature": found, "layer": layer, "cid": collection_id,
                                                "geometry": orjson.loads(orjson.dumps(found["geometry"]))})
            resp.headers.update(headers)
            return resp
        return _json(found, GEOJSON, headers)

    return _answer(request, fmt, build)


# -- Part 4: create, replace, update, delete (each a new layer version) ----------------------------------------------

MAX_BODY = 50 * 1024 * 1024


async def json_body(request: Request) -> Any:
    """The request's JSON body (awaited on the event loop, so the route stays a plain def); 400 when malformed."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise AppError("请求体过大", "the body is too large", field="body", status=413, code="too_large")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AppError(f"请求体不是有效的 JSON：{exc}", f"the body is not valid JSON: {exc}", field="body",
                       status=400, code="invalid_json") from None


def _content_crs(request: Request):
    text = (request.headers.get("content-crs") or "").strip().strip("<>")
    return service.parse_crs_param(text or None, "Content-Crs")


def _transaction(request: Request, db: Session, actor: Actor, collection_id: str, op: str, *, fid: str | None = None,
                 body: Any = None) -> dict[str, Any]:
    from zhicheng.geo.layers import access, transactions

    res = access.find_layer(db, service.code_of(collection_id))
    number = None
    if fid is not None:
        if not (fid.isascii() and fid.isdigit() and len(fid) < 12):
            raise AppError(f"要素 {fid[:40]} 不存在", f"feature {fid[:40]} not found", field="featureId", status=404,
                           code="not_found")
        number = int(fid)
    return transactions.apply(db, request.app.state.sessionmaker, actor=actor, resource=res, op=op, fid=number,
                              body=body, crs=_content_crs(request))


@router.post("/collections/{collection_id}/items", status_code=201, dependencies=[Depends(csrf_protect)],
             summary="新增要素（生成新版本）/ add features (a new layer version)")
def create_items(request: Request, collection_id: str, body: Any = Depends(json_body),
                 db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """新增一个或多个要素，生成图层新版本 / add a Feature or a FeatureCollection as a new layer version."""
    done = _answer(request, "json", lambda: _transaction(request, db, actor, collection_id, "create", body=body))
    if isinstance(done, Response):
        return done
    location = f"{_base(request)}/collections/{collection_id}/items/{done['ids'][0]}"
    return _json(done, headers={"Location": location}, status_code=201)


@router.put("/collections/{collection_id}/items/{feature_id}", dependencies=[Depends(csrf_protect)],
            summary="替换要素（生成新版本）/ replace a feature (a new layer version)")
def replace_item(request: Request, collection_id: str, feature_id: str, body: Any = Depends(json_body),
                 db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """替换一个要素 / replace one feature."""
    done = _answer(request, "json", lambda: _transaction(request, db, actor, collection_id, "replace",
                                                         fid=feature_id, body=body))
    return done if isinstance(done, Response) else _json(done)


@router.patch("/collections/{collection_id}/items/{feature_id}", dependencies=[Depends(csrf_protect)],
              summary="修改要素（生成新版本）/ update a feature (a new layer version)")
def update_item(request: Request, collection_id: str, feature_id: str, body: Any = Depends(json_body),
                db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """修改一个要素的部分属性或几何 / update some properties or the geometry of one feature."""
    done = _answer(request, "json", lambda: _transaction(request, db, actor, collection_id, "update",
                                                         fid=feature_id, body=body))
    return done if isinstance(done, Response) else _json(done)


@router.delete("/collections/{collection_id}/items/{feature_id}", status_code=204,
               dependencies=[Depends(csrf_protect)], summary="删除要素（生成新版本）/ delete a feature")
def delete_item(request: Request, collection_id: str, feature_id: str, db: Session = Depends(get_db),
                actor: Actor = Depends(require_user)):
    """删除一个要素 / delete one feature."""
    done = _answer(request, "json", lambda: _transaction(request, db, actor, collection_id, "delete",
                                                         fid=feature_id))
    return done if isinstance(done, Response) else Response(status_code=204)


def _html_links(links: list[dict]) -> dict[str, str]:
    out = {}
    for link in links:
        if link["rel"] in ("next", "prev"):
            out[link["rel"]] = link["href"].replace("f=json", "f=html")
    return out


def _now() -> str:
    from zhicheng.core import clock

    return _iso(clock.now())


def nav_entries(nav) -> None:
    """The feature service in the 一张图 menu (visitors see the open layers)."""
    nav.register_nav("map", "要素服务", "/ogc/features/?f=html", public=True, order=40, match="/ogc/features")


# -- the index follows imports --------------------------------------------------------------------------------------

def on_startup(app) -> None:
    """Build a layer version's spatial index when the catalog imports it (in the importing thread)."""
    app_ref, pool = weakref.ref(app), app.state.engine.pool

    def after_import(_name: str, payload: dict[str, Any]) -> None:
        live = app_ref()
        if live is None or live.state.engine.pool is not pool or not same_database(payload, live.state.engine):
            return
        try:
            service.index_after_import(live.state.sessionmaker, payload)
        except Exception:  # noqa: BLE001 - the import succeeded; the index is built on first use instead
            log.exception("could not build the spatial index of resource %s version %s",
                          payload.get("resource_id"), payload.get("version"))

    bus.subscribe("catalog.dataset.imported", after_import)
