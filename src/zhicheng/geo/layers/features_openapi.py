"""The OpenAPI 3.0 document of the OGC API - Features service (`/ogc/features/api`, conformance class oas30)."""

from __future__ import annotations

from typing import Any

from zhicheng import __version__


def _param(name: str, description: str, schema: dict[str, Any], where: str = "query", required: bool = False,
           **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "description": description, "required": required, "schema": schema, **extra}


PARAMETERS: dict[str, dict[str, Any]] = {
    "collectionId": _param("collectionId", "图层标识（资源代码，/ 写作 -）/ the collection id (resource code, / as -)",
                           {"type": "string", "maxLength": 100}, "path", True),
    "featureId": _param("featureId", "要素标识 / the feature id", {"type": "string", "maxLength": 20}, "path", True),
    "f": _param("f", "格式 / format", {"type": "string", "enum": ["json", "html"]}),
    "limit": _param("limit", "每页要素数 / features per page",
                    {"type": "integer", "minimum": 1, "maximum": 10000, "default": 10}, style="form", explode=False),
    "offset": _param("offset", "跳过的要素数 / features to skip", {"type": "integer", "minimum": 0, "default": 0}),
    "after": _param("after", "从该行之后开始（next 链接给出；不与 sortby 同用）/ start after this row (given by the next "
                    "link; not with sortby)", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
    "bbox": _param("bbox", "范围 minx,miny,maxx,maxy（bbox-crs，默认 CRS84）/ bounding box",
                   {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                   style="form", explode=False),
    "bbox-crs": _param("bbox-crs", "bbox 的坐标系 / the CRS of bbox", {"type": "string", "format": "uri"}),
    "crs": _param("crs", "输出坐标系 / output CRS", {"type": "string", "format": "uri"}),
    "datetime": _param("datetime", "时点（取该时点生效的版本）/ as-of instant: the layer version in force then",
                       {"type": "string"}),
    "filter": _param("filter", "CQL2 过滤条件 / CQL2 filter", {"type": "string", "maxLength": 20000}),
    # cql-text: the draft's name of cql2-text, which GDAL before 3.7 looks for to send its -where to the server
    "filter-lang": _param("filter-lang", "过滤语言 / filter language",
                          {"type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"], "default": "cql2-text"}),
    "filter-crs": _param("filter-crs", "过滤条件中几何的坐标系 / the CRS of geometries in the filter",
                         {"type": "string", "format": "uri"}),
    "properties": _param("properties", "返回的属性（逗号分隔）/ properties to return",
                         {"type": "array", "items": {"type": "string"}}, style="form", explode=False),
    "sortby": _param("sortby", "排序（+属性 或 -属性）/ sort keys (+name or -name)",
                     {"type": "array", "items": {"type": "string"}}, style="form", explode=False),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _ok(description: str, *types: str) -> dict[str, Any]:
    return {"200": {"description": description,
                    "content": {t: {"schema": {"type": "object"} if "json" in t else {"type": "string"}}
                                for t in types}},
            "400": {"$ref": "#/components/responses/Problem"},
            "404": {"$ref": "#/components/responses/Problem"}}


ITEM_PARAMS = ("f", "limit", "offset", "after", "bbox", "bbox-crs", "crs", "datetime", "filter", "filter-lang", "filter-crs",
               "properties", "sortby")


def collection_paths(collections: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One items path per collection the caller sees, its queryables as query parameters (equality filters)."""
    out = {}
    for cid, queryables in collections:
        params = [_ref(n) for n in ITEM_PARAMS]
        params += [_param(name, f"{spec.get('title', name)}（等于）/ equal to", {k: v for k, v in spec.items()
                                                                            if k in ("type", "format")})
                   for name, spec in queryables.items() if spec.get("format") != "geometry-any"]
        out[f"/collections/{cid}/items"] = {"get": {
            "operationId": f"items_{cid}", "summary": f"要素 / features of {cid}", "parameters": params,
            "responses": _ok("features", "application/geo+json", "text/html")}}
    return out


def document(base: str, collections: list[tuple[str, dict[str, Any]]] = ()) -> dict[str, Any]:
    """The document, with `base` (the service's absolute URL) as its server and a path per collection."""
    items_params = [_ref("collectionId"), *(_ref(n) for n in ITEM_PARAMS)]
    return {
        "openapi": "3.0.3",
        "info": {"title": "智城 OGC API - Features 要素服务", "version": __version__,
                 "description": "城市图层的要素服务（OGC API - Features 第 1–3 部分）/ the city's layers as OGC API - "
                                "Features (Parts 1-3)",
                 "license": {"name": "Apache-2.0"}},
        "servers": [{"url": base}],
        "paths": {
            "/": {"get": {"operationId": "landingPage", "summary": "服务首页 / landing page",
                          "parameters": [_ref("f")], "responses": _ok("landing page", "application/json",
                                                                      "text/html")}},
            "/conformance": {"get": {"operationId": "conformance", "summary": "符合的标准类 / conformance classes",
                                     "parameters": [_ref("f")],
                                     "responses": _ok("conformance", "application/json", "text/html")}},
            "/api": {"get": {"operationId": "apiDocument", "summary": "本文档 / this document",
                             "responses": _ok("the API", "application/vnd.oai.openapi+json;version=3.0")}},
            "/collections": {"get": {"operationId": "collections", "summary": "图层列表 / collections",
                                     "parameters": [_ref("f")],
                                     "responses": _ok("collections", "application/json", "text/html")}},
            "/collections/{collectionId}": {"get": {
                "operationId": "collection", "summary": "图层 / one collection",
                "parameters": [_ref("collectionId"), _ref("f")],
                "responses": _ok("collection", "application/json", "text/html")}},
            "/collections/{collectionId}/queryables": {"get": {
                "operationId": "queryables", "summary": "可查询属性 / queryables",
                "parameters": [_ref("collectionId"), _ref("f")],
                "responses": _ok("queryables", "application/schema+json", "text/html")}},
            "/collections/{collectionId}/items": {"get": {
                "operationId": "items", "summary": "要素 / features", "parameters": items_params,
                "responses": _ok("features", "application/geo+json", "text/html")}},
            "/collections/{collectionId}/items/{featureId}": {"get": {
                "operationId": "item", "summary": "单个要素 / one feature",
                "parameters": [_ref("collectionId"), _ref("featureId"), _ref("f"), _ref("crs")],
                "responses": _ok("feature", "application/geo+json", "text/html")}},
            **collection_paths(list(collections)),
        },
        "components": {
            "parameters": PARAMETERS,
            "responses": {"Problem": {"description": "RFC 9457 problem", "content": {
                "application/problem+json": {"schema": {"type": "object", "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                    "detail": {"type": "string"}, "field": {"type": "string", "nullable": True}}}}}}},
        },
    }
