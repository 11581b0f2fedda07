"""Transactions on a layer (OGC API - Features Part 4: create, replace, update, delete) for the layer's data officer:
each one writes the current version's rows with the change into a GeoJSON file, streamed, and imports it through
the catalog's import service, so every transaction is a new layer version (validated, audited, indexed)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape
from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog.datasets import service as datasets
from zhicheng.catalog.items import ItemType
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.geo.crs.registry import CRS84, STORAGE, CrsInfo
from zhicheng.geo.crs.service import convert_geometry
from zhicheng.geo.layers import access, feature_ids

MAX_FEATURES = 10_000  # features one POST may add


def bad(zh: str, en: str, name: str = "body") -> Invalid:
    return Invalid(zh, en, field=name, status=400, code="invalid_feature")


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def incoming(body: Any, specs, crs: CrsInfo, *, many: bool) -> list[dict[str, Any]]:
    """The features of a request body (one Feature, or a FeatureCollection when `many`), checked against the
    version's items, geometry converted from `crs` to storage: [{item: value, …, geometry item: GeoJSON}]."""
    geom_item = next(s for s in specs if ItemType(s.type) is ItemType.GEOMETRY)
    names = {s.name for s in specs if s.name != geom_item.name}
    if isinstance(body, dict) and body.get("type") == "FeatureCollection" and many:
        features = body.get("features")
        if not isinstance(features, list) or not 0 < len(features) <= MAX_FEATURES:
            raise bad(f"features 须为 1 至 {MAX_FEATURES} 个要素", f"features must hold 1 to {MAX_FEATURES} features",
                      "features")
    elif isinstance(body, dict) and body.get("type") == "Feature":
        features = [body]
    else:
        raise bad("请求体须为 GeoJSON Feature" + ("或 FeatureCollection" if many else ""),
                  "the body must be a GeoJSON Feature" + (" or FeatureCollection" if many else ""))
    out = []
    for i, f in enumerate(features):
        where = f"features.{i}" if len(features) > 1 else "body"
        if not isinstance(f, dict) or f.get("type") != "Feature":
            raise bad("不是 GeoJSON Feature", "not a GeoJSON Feature", where)
        props = f.get("properties") or {}
        if not isinstance(props, dict):
            raise bad("properties 须为对象", "properties must be an object", f"{where}.properties")
        unknown = sorted(set(props) - names)
        if unknown:
            raise bad(f"未知属性：{'、'.join(unknown[:5])}", f"unknown properties: {', '.join(unknown[:5])}",
                      f"{where}.properties.{unknown[0]}")
        row = {n: props.get(n) for n in names}
        row[geom_item.name] = _geometry(f.get("geometry"), crs, f"{where}.geometry")
        out.append(row)
    return out


def _geometry(value: Any, crs: CrsInfo, where: str) -> dict | None:
    if value is None:
        return None
    try:
        geom = shape(value)
    except Exception:  # noqa: BLE001 - shapely raises several kinds for malformed GeoJSON
        raise bad("几何对象无效", "not a valid GeoJSON geometry", where) from None
    if crs.lat_first and crs.geographic:
        import shapely

        geom = shapely.transform(geom, lambda c: c[:, ::-1])
    if crs.key not in (CRS84.key, STORAGE.key, "EPSG:4326"):
        geom = convert_geometry(geom, crs, STORAGE)
    return mapping(geom)


def patch_of(body: Any, specs, crs: CrsInfo) -> dict[str, Any]:
    """A PATCH body (a partial Feature: some properties, maybe a geometry) as {item: new value}."""
    if not isinstance(body, dict):
        raise bad("请求体须为 JSON 对象", "the body must be a JSON object")
    geom_item = next(s for s in specs if ItemType(s.type) is ItemType.GEOMETRY)
    names = {s.name for s in specs if s.name != geom_item.name}
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise bad("properties 须为对象", "properties must be an object", "properties")
    unknown = sorted(set(props) - names)
    if unknown:
        raise bad(f"未知属性：{'、'.join(unknown[:5])}", f"unknown properties: {', '.join(unknown[:5])}",
                  f"properties.{unknown[0]}")
    out = dict(props)
    if "geometry" in body:
        out[geom_item.name] = _geometry(body["geometry"], crs, "geometry")
    return out


def apply(db: Session, factory: sessionmaker[Session], *, actor: Actor, resource, op: str,
          fid: int | None = None, body: Any = None, crs: CrsInfo = CRS84, via: str = "ogc") -> dict[str, Any]:
    """Make a new version of the layer with one transaction (`op`: create | replace | update | delete on feature
    `fid`, a stable id: `feature_ids`), as `actor` (who must be allowed to import into it); {"version", "ids"} of
    what was written, or Invalid / NotFound."""
    datasets.authorize_import(db, actor=actor, resource_id=resource.id)
    dv = datasets.get_version(db, actor=SYSTEM, resource_id=resource.id)  # import rights include reading
    specs = datasets.specs_of(dv)
    geom_item = next((s for s in specs if ItemType(s.type) is ItemType.GEOMETRY), None)
    if geom_item is None:
        raise access.not_found(resource.code)
    names = [s.name for s in specs]
    added = incoming(body, specs, crs, many=True) if op == "create" else []
    change = None
    if op == "replace":
        change = incoming(body, specs, crs, many=False)[0]
    elif op == "update":
        change = patch_of(body, specs, crs)
    ids = feature_ids.of(db.connection(), resource.id, dv.version)
    row = None
    if op != "create":
        row = ids.row(fid, dv.row_count) if fid is not None else None
        if row is None:
            raise NotFound(f"要素 {fid} 不存在", f"feature {fid} not found", field="featureId")
    if op == "delete" and dv.row_count == 1:
        raise bad("不能删除图层的最后一个要素", "the last feature of a layer cannot be deleted", "featureId")
    # the new version's ids: every feature keeps its own, a new one gets an id never used before
    new_ids, created = ids, [fid]
    if op == "delete":
        new_ids = ids.after_delete(row, dv.row_count)
    elif op == "create":
        new_ids, created = ids.after_create(dv.row_count, len(added))
    db.commit()
    with tempfile.TemporaryDirectory(prefix="zc-ogc-") as tmp:
        path = Path(tmp) / "transaction.geojson"
        with path.open("w", encoding="utf-8") as fh:
            fh.write('{"type":"FeatureCollection","features":[')
            first = True
            for feature in _rows(factory, dv, names, geom_item.name, op, row, change, added):
                fh.write(("" if first else ",") + json.dumps(feature, ensure_ascii=False, default=str))
                first = False
            fh.write("]}")
        report = datasets.import_file(db, actor=actor, resource_id=resource.id, path=path,
                                      filename=f"ogc-{op}.geojson", via=via)
    if not report.ok:
        first_error = report.errors[0] if report.errors else {}
        raise Invalid(f"要素未通过校验：{first_error.get('zh') or report.message_zh}",
                      f"the feature did not pass validation: {first_error.get('en') or report.message_en}",
                      field=first_error.get("item") or "body", status=400, code="invalid_feature",
                      errors=report.errors[:20])
    feature_ids.save(db.connection(), resource.id, report.version, new_ids)
    db.commit()
    return {"version": report.version, "ids": created}


def _rows(factory, dv, names: list[str], geom_name: str, op: str, target: int | None, change: dict | None,
          added: list[dict]) -> Iterator[dict]:
    """The new version's features: the current rows in order with the change (at row `target`), then the added."""
    for n, row in enumerate(datasets.iter_rows(factory, dv, {}), start=1):
        values = dict(zip(names, row, strict=True))
        if n == target:
            if op == "delete":
                continue
            if op == "replace":
                values = dict(change)
            elif op == "update":
                values.update(change)
        yield _feature(values, geom_name)
    for values in added:
        yield _feature(values, geom_name)


def _feature(values: dict[str, Any], geom_name: str) -> dict:
    geom = values.get(geom_name)
    if isinstance(geom, str):
        geom = json.loads(geom)
    props = {k: _value(v) for k, v in values.items() if k != geom_name}
    return {"type": "Feature", "geometry": geom, "properties": props}
