"""OGC API - Tiles at /ogc/tiles (core, tileset, tilesets-list, geodata and dataset tilesets, Mapbox Vector Tiles,
TileMatrixSet JSON) and TileJSON: vector tiles of each collection and of the city's base map."""

from __future__ import annotations

import logging
import weakref
from typing import Any

import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import current_actor
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.core.events import bus, same_database
from zhicheng.geo.layers import service as layers
from zhicheng.geo.tiles import service
from zhicheng.geo.tiles.matrix import MAX_ZOOM, SETS, check_tile, matrix_set
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/ogc/tiles", tags=["OGC API - Tiles 瓦片服务"])
log = logging.getLogger(__name__)

JSON, MVT, TILEJSON = "application/json", "application/vnd.mapbox-vector-tile", "application/vnd.mapbox.tile+json"
PROBLEM = "application/problem+json"
_T = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    _T + "core", _T + "tileset", _T + "tilesets-list", _T + "geodata-tilesets", _T + "dataset-tilesets", _T + "mvt",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset", "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
DEFAULT_MAXZOOM = 18
ATTRIBUTION = "智城 / zhicheng（近似边界，非官方；系统生成的演示数据）"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


def _json(doc: Any, media_type: str = JSON) -> Response:
    return Response(orjson.dumps(doc), media_type=media_type)


def _problem(request: Request, err: AppError) -> Response:
    return Response(orjson.dumps(err.problem(request_language(request), instance=request.url.path)),
                    status_code=err.status, media_type=PROBLEM, headers=err.headers)


def _answer(request: Request, build):
    try:
        return build()
    except AppError as err:
        return _problem(request, err)


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _settings(request: Request):
    return request.app.state.settings


def _tile_response(request: Request, tile: service.Tile) -> Response:
    etag = f'"{tile.version}"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=60", "X-Tile-Cache": "hit" if tile.cached else "miss"}
    return Response(tile.data, media_type=MVT, headers=headers)


def _tileset_doc(base: str, path: str, tms_id: str, title: str, layer_ids: list[str], extent=None) -> dict:
    tms = matrix_set(tms_id)
    url = f"{base}{path}/tiles/{tms_id}"
    doc = {"title": title, "tileMatrixSetURI": tms.uri, "crs": tms.crs_uri, "dataType": "vector",
           "links": [{"href": url, "rel": "self", "type": JSON, "title": title},
                     {"href": f"{base}/tileMatrixSets/{tms_id}", "rel": REL + "tiling-scheme", "type": JSON},
                     {"href": url + "/{tileMatrix}/{tileRow}/{tileCol}", "rel": "item", "type": MVT,
                      "templated": True, "title": "瓦片 / tiles"}],
           "layers": [{"id": i, "dataType": "vector"} for i in layer_ids]}
    if tms_id == "WebMercatorQuad":
        doc["links"].append({"href": f"{base}{path}/tilejson.json", "rel": "describedby", "type": TILEJSON,
                             "title": "TileJSON"})
    if extent:
        doc["boundingBox"] = {"lowerLeft": extent[:2], "upperRight": extent[2:],
                              "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}
    return doc


def _tilesets_doc(base: str, path: str, title: str) -> dict:
    return {"tilesets": [{"title": f"{title}（{t}）", "tileMatrixSetURI": s.uri, "crs": s.crs_uri, "dataType": "vector",
                          "links": [{"href": f"{base}{path}/tiles/{t}", "rel": "self", "type": JSON}]}
                         for t, s in SETS.items()]}


def _tilejson(base: str, path: str, name: str, layer_ids: list[str], extent=None) -> dict:
    bounds = extent or [-180, -85.05, 180, 85.05]
    centre = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 11]
    return {"tilejson": "3.0.0", "name": name, "scheme": "xyz", "attribution": ATTRIBUTION,
            "tiles": [f"{base}{path}/tiles/WebMercatorQuad/{{z}}/{{y}}/{{x}}"], "minzoom": 0,
            "maxzoom": DEFAULT_MAXZOOM, "bounds": bounds, "center": centre,
            "vector_layers": [{"id": i, "fields": {}} for i in layer_ids]}


# -- routes -------------------------------------------------------------------------------------------------------------

@router.get("", include_in_schema=False)
@router.get("/", summary="OGC API - Tiles 首页 / landing page")
def landing(request: Request):
    """瓦片服务首页 / the landing page."""
    base = _base(request)
    return _json({"title": "智城 OGC API - Tiles 瓦片服务",
                  "description": "城市图层的矢量瓦片（Mapbox Vector Tiles）与一张底图 / vector tiles of the city's layers",
                  "links": [{"href": f"{base}/", "rel": "self", "type": JSON},
                            {"href": f"{base}/conformance", "rel": "conformance", "type": JSON},
                            {"href": f"{base}/conformance", "rel": REL + "conformance", "type": JSON},
                            {"href": f"{base}/collections", "rel": "data", "type": JSON},
                            {"href": f"{base}/tileMatrixSets", "rel": REL + "tiling-schemes", "type": JSON},
                            {"href": f"{base}/tiles", "rel": REL + "tilesets-vector", "type": JSON,
                             "title": "底图 / the base map"},
                            {"href": "/api/docs", "rel": "service-doc", "type": "text/html"}]})


@router.get("/conformance", summary="符合的标准类 / conformance classes")
def conformance():
    return _json({"conformsTo": CONFORMANCE})


@router.get("/tileMatrixSets", summary="瓦片矩阵集 / tile matrix sets")
def tile_matrix_sets(request: Request):
    base = _base(request)
    return _json({"tileMatrixSets": [{"id": k, "title": s.title, "uri": s.uri, "links": [
        {"href": f"{base}/tileMatrixSets/{k}", "rel": "self", "type": JSON}]} for k, s in SETS.items()]})


@router.get("/tileMatrixSets/{tms}", summary="一个瓦片矩阵集 / a tile matrix set")
def tile_matrix_set(request: Request, tms: str):
    return _answer(request, lambda: _json(matrix_set(tms).doc()))


@router.get("/collections", summary="可出瓦片的图层 / collections with tiles")
def collections(request: Request, db: Session = Depends(get_db), actor: Actor = Depends(current_actor)):
    base = _base(request)
    out = []
    for e in layers.list_layers(db, actor=actor):
        cid = layers.collection_id(e["code"])
        out.append({"id": cid, "title": e["name"], "description": e.get("summary") or "", "links": [
            {"href": f"{base}/collections/{cid}/tiles", "rel": REL + "tilesets-vector", "type": JSON},
            {"href": f"{base}/collections/{cid}/tilejson.json", "rel": "describedby", "type": TILEJSON}]})
    return _json({"collections": out, "links": [{"href": f"{base}/collections", "rel": "self", "type": JSON}]})


@router.get("/collections/{cid}/tiles", summary="图层的瓦片集列表 / a collection's tilesets")
def collection_tilesets(request: Request, cid: str, db: Session = Depends(get_db),
                        actor: Actor = Depends(current_actor)):
    def build():
        layer = layers.open_layer(db, actor=actor, request=request, code=layers.code_of(cid), build_index=False)
        return _json(_tilesets_doc(_base(request), f"/collections/{cid}", layer.resource.name))
    return _answer(request, build)


@router.get("/collections/{cid}/tiles/{tms}", summary="图层的瓦片集 / a collection's tileset")
def collection_tileset(request: Request, cid: str, tms: str, db: Session = Depends(get_db),
                       actor: Actor = Depends(current_actor)):
    def build():
        layer = layers.open_layer(db, actor=actor, request=request, code=layers.code_of(cid))
        return _json(_tileset_doc(_base(request), f"/collections/{cid}", tms, layer.resource.name, [cid],
                                  layers.extent_of(layer.index)))
    return _answer(request, build)


@router.get("/collections/{cid}/tilejson.json", summary="图层的 TileJSON / a collection's TileJSON")
def collection_tilejson(request: Request, cid: str, db: Session = Depends(get_db),
                        actor: Actor = Depends(current_actor)):
    def build():
        layer = layers.open_layer(db, actor=actor, request=request, code=layers.code_of(cid))
        return _json(_tilejson(_base(request), f"/collections/{cid}", layer.resource.name, [cid],
                               layers.extent_of(layer.index)), TILEJSON)
    return _answer(request, build)


@router.get("/collections/{cid}/tiles/{tms}/{z}/{y}/{x}", summary="图层的一个矢量瓦片 / a vector tile of a collection")
def collection_tile(request: Request, cid: str, tms: str, z: str, y: str, x: str, db: Session = Depends(get_db),
                    actor: Actor = Depends(current_actor),
                    datetime: str | None = Query(None, description="某一时刻的图层版本 / the layer version in force "
                                                 "at this time (as the Features API's datetime)")):
    """一个矢量瓦片（Mapbox Vector Tile），按调用者权限脱敏 / one tile, masked as the caller may see it."""
    def build():
        t = matrix_set(tms)
        zi, yi, xi = check_tile(t, z, y, x)
        tile = service.layer_tile(db, _settings(request), actor=actor, request=request, code=layers.code_of(cid),
                                  tms_id=tms, z=zi, y=yi, x=xi, ip=_ip(request), datetime_=datetime or None)
        return _tile_response(request, tile)
    return _answer(request, build)


@router.get("/tiles", summary="底图瓦片集列表 / the base map's tilesets")
def basemap_tilesets(request: Request):
    return _json(_tilesets_doc(_base(request), "", "城市底图"))


@router.get("/tilejson.json", summary="底图 TileJSON / the base map's TileJSON")
def basemap_tilejson(request: Request, db: Session = Depends(get_db), actor: Actor = Depends(current_actor)):
    ids = sorted({s for s, *_ in service.basemap_sources(db, actor=actor)})
    extents = [layers.extent_of(e.get("index")) for _, e, *_ in service.basemap_sources(db, actor=actor)]
    extents = [e for e in extents if e]
    extent = ([min(e[0] for e in extents), min(e[1] for e in extents), max(e[2] for e in extents),
               max(e[3] for e in extents)] if extents else None)
    return _json(_tilejson(_base(request), "", "城市底图 / base map", ids, extent), TILEJSON)


@router.get("/tiles/{tms}", summary="底图瓦片集 / the base map's tileset")
def basemap_tileset(request: Request, tms: str, db: Session = Depends(get_db), actor: Actor = Depends(current_actor)):
    def build():
        ids = sorted({s for s, *_ in service.basemap_sources(db, actor=actor)})
        return _json(_tileset_doc(_base(request), "", tms, "城市底图 / base map", ids))
    return _answer(request, build)


@router.get("/tiles/{tms}/{z}/{y}/{x}", summary="底图的一个矢量瓦片 / a base-map vector tile")
def basemap_tile(request: Request, tms: str, z: str, y: str, x: str, db: Session = Depends(get_db),
                 actor: Actor = Depends(current_actor)):
    """城市底图（边界、水系、道路、网格）的一个矢量瓦片 / one tile of the city's base map."""
    def build():
        t = matrix_set(tms)
        zi, yi, xi = check_tile(t, z, y, x)
        tile = service.basemap_tile(db, _settings(request), actor=actor, request=request, tms_id=tms, z=zi, y=yi,
                                    x=xi, ip=_ip(request))
        return _tile_response(request, tile)
    return _answer(request, build)


def on_startup(app) -> None:
    """Drop a layer's cached tiles (and the base map's) when the catalog imports a new version of it."""
    app_ref, pool = weakref.ref(app), app.state.engine.pool

    def after_import(_name: str, payload: dict[str, Any]) -> None:
        live = app_ref()
        if live is None or live.state.engine.pool is not pool or not same_database(payload, live.state.engine):
            return
        rid, version = payload.get("resource_id"), payload.get("version")
        if isinstance(rid, int):
            try:
                service.invalidate(live.state.settings, rid, version if isinstance(version, int) else None)
            except OSError:  # the cache is keyed by version: a stale folder is never served
                log.warning("could not drop the cached tiles of resource %s", rid)

    bus.subscribe("catalog.dataset.imported", after_import)


__all__ = ["router", "on_startup", "MAX_ZOOM"]
