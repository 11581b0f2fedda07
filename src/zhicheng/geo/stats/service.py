"""专题统计: a layer's count, sum of a numeric item, area (m²) or length (m) per zone of another layer (districts,
streets, communities, grids), both read through the layer service (policy applies). Points go to the zone that
contains them; for count and sum other features go to the zone holding their representative point; area and
length are of the intersection with each zone, measured in the CGCS2000 Gauss-Krüger zone."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import numpy as np
import orjson
import shapely
from shapely import STRtree
from sqlalchemy.orm import Session

from zhicheng.catalog.items import ItemType
from zhicheng.core.actor import Actor
from zhicheng.core.spreadsheet import safe_row, xlsx_cell
from zhicheng.geo.changes import reading
from zhicheng.geo.changes.reading import bad

NUMERIC = (ItemType.INTEGER, ItemType.DECIMAL)


def parse_measure(text: str | None) -> tuple[str, str | None]:
    """`count`, `sum:<item>`, `area` or `length` → (kind, item)."""
    text = (text or "count").strip()
    if text in ("count", "area", "length"):
        return text, None
    if text.startswith("sum:") and text[4:]:
        return "sum", text[4:]
    raise bad(f"measure 须为 count、sum:<数据项>、area 或 length：{text[:40]}",
              f"measure must be count, sum:<item>, area or length: {text[:40]}", "measure")


def compute(db: Session, *, actor: Actor, request: Any, layer: str, zones: str, measure: str = "count",
            ip: str | None = None, progress=None) -> dict[str, Any]:
    """The statistic per zone: {"layer", "zones", "measure", "unit", "rows": [{zone id, zone properties, value}],
    "total", "outside"} (outside: what fell in no zone)."""
    kind, item = parse_measure(measure)
    zl = reading.open_version(db, actor=actor, request=request, code=zones, version=None, field="zones")
    ll = reading.open_version(db, actor=actor, request=request, code=layer, version=None, field="layer")
    if item is not None:
        spec = ll.by_name.get(item)
        if spec is None:
            raise bad(f"图层没有可读的数据项 {item[:40]}", f"the layer has no readable item {item[:40]}", "measure")
        if ItemType(spec.type) not in NUMERIC or item in ll.masked:
            raise bad(f"数据项 {item} 不是数值型，不能求和", f"item {item} is not numeric and cannot be summed",
                      "measure")
    zfeats: list[dict] = []
    zgeoms: list[Any] = []
    for page in reading.iter_features(db, zl, ip=ip):
        zfeats += [{"id": f.get("id"), "properties": f.get("properties") or {}, "geometry": f.get("geometry")}
                   for f in page]
        zgeoms += list(reading.geometries(page))
    zarr = np.array(zgeoms, dtype=object)
    ok = ~shapely.is_missing(zarr) if len(zarr) else np.array([], dtype=bool)
    keep = np.flatnonzero(ok)
    epsg = reading.zone_of(zarr[keep])
    tree_geoms = zarr[keep]
    tree = STRtree(tree_geoms)
    metric = reading.to_metric(tree_geoms, epsg) if kind in ("area", "length") else None
    values = [Decimal(0) if kind == "sum" else 0.0 if kind in ("area", "length") else 0 for _ in zfeats]
    outside = Decimal(0) if kind == "sum" else 0
    for page in reading.iter_features(db, ll, ip=ip, progress=progress):
        geoms = reading.geometries(page)
        if kind in ("count", "sum"):
            weights = [1] * len(page) if kind == "count" else [_number(f["properties"].get(item)) for f in page]
            has = ~shapely.is_missing(geoms)
            pts = np.array([None] * len(geoms), dtype=object)
            pts[has] = shapely.point_on_surface(geoms[has])
            src, dst = tree.query(pts, predicate="within") if len(page) else (np.array([]), np.array([]))
            placed: set[int] = set()
            for s, t in zip(src.tolist(), dst.tolist(), strict=True):
                if s in placed:  # on a shared edge inside two zones' interiors cannot happen; keep the first
                    continue
                placed.add(s)
                values[int(keep[t])] += weights[s]
            outside += sum((weights[s] for s in range(len(page)) if s not in placed), type(outside)(0))
        else:
            mg = reading.to_metric(geoms, epsg)
            src, dst = tree.query(geoms, predicate="intersects")
            if len(src):
                parts = shapely.intersection(mg[src], metric[dst])
                if kind == "area":
                    amounts = shapely.area(parts)
                else:  # lines only: a polygon's outline is not a length of the layer
                    amounts = np.where(shapely.get_dimensions(geoms[src]) == 1, shapely.length(parts), 0.0)
                for t, a in zip(dst.tolist(), amounts.tolist(), strict=True):
                    values[int(keep[t])] += a
    unit = {"count": "个", "sum": item, "area": "m²", "length": "m"}[kind]
    rows = []
    for f, v in zip(zfeats, values, strict=True):
        v = _statistic_value(v, kind)
        rows.append({"zone_id": f["id"], **f["properties"], "value": v})
    total = sum((r["value"] for r in rows), 0)
    return {"layer": ll.code, "layer_version": ll.version.version, "zones": zl.code,
            "zones_version": zl.version.version, "measure": measure, "kind": kind, "item": item, "unit": unit,
            "crs_metric": f"EPSG:{epsg}" if kind in ("area", "length") else None, "rows": rows,
            "total": _statistic_value(total, kind), "outside": None if kind in ("area", "length") else _statistic_value(outside, kind),
            "_zone_geometries": [f["geometry"] for f in zfeats]}


def _number(value: Any) -> Decimal:
    if value is None or isinstance(value, bool):
        return Decimal(0)
    return Decimal(str(value))


def _statistic_value(v: Any, kind: str) -> Any:
    if kind == "area" or kind == "length":
        return round(float(v), 3)
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def as_json(result: dict[str, Any]) -> dict[str, Any]:
    """The table as JSON (no geometry)."""
    return {k: v for k, v in result.items() if not k.startswith("_")}


def as_geojson(result: dict[str, Any]) -> dict[str, Any]:
    """A choropleth-ready GeoJSON: the zones with their properties and the statistic as `value`."""
    feats = [{"type": "Feature", "id": r["zone_id"], "geometry": g, "properties": r}
             for r, g in zip(result["rows"], result["_zone_geometries"], strict=True)]
    return {"type": "FeatureCollection", "name": f"{result['layer']} {result['measure']} / {result['zones']}",
            "measure": result["measure"], "unit": result["unit"], "features": feats}


def _columns(result: dict[str, Any]) -> list[str]:
    cols: dict[str, None] = {}
    for r in result["rows"]:
        cols.update(dict.fromkeys(r))
    cols.pop("value", None)
    return [*cols, "value"]


def as_csv(result: dict[str, Any]) -> bytes:
    """The table as UTF-8 CSV (with BOM, for Excel), formula-like text kept as text."""
    cols = _columns(result)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(safe_row(cols))
    for r in result["rows"]:
        w.writerow(safe_row([_cell(r.get(c)) for c in cols]))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def as_xlsx(result: dict[str, Any]) -> bytes:
    """The table as XLSX (openpyxl write-only), formula-like text stored as text."""
    from openpyxl import Workbook

    cols = _columns(result)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("统计")
    ws.append([xlsx_cell(ws, c) for c in cols])
    for r in result["rows"]:
        ws.append([xlsx_cell(ws, _cell(r.get(c))) for c in cols])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(v: Any) -> Any:
    if isinstance(v, dict | list):
        return orjson.dumps(v).decode()
    return v
