"""Unit grid layers: generate, import, edit, split, merge and export, each change a new version of the layer.

A grid layer is a catalog resource whose items include GRID_COLUMNS (its geometry item is `geometry`); its rows
are read through the catalog datasets service (authorised, masked, audited) and every change is imported as the
layer's next version, so earlier versions stay readable. Codes stay stable: a split keeps the code on the part
that comes first west→east, north→south and gives the others the community's next sequences; a merge keeps the
lowest code and retires the others; the ledger (`GridSequence`) remembers the highest sequence ever issued so a
retired code is never handed out again.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely import ops
from shapely.errors import ShapelyError
from shapely.geometry import mapping, shape
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden, Invalid, NotFound
from zhicheng.geo.grids import codes as gridcodes
from zhicheng.geo.grids.assign import GridIndex
from zhicheng.geo.grids.cells import TARGET_M2, cells_for, order_key, polygonal
from zhicheng.geo.grids.metric import area_m2, gk_epsg, lonlat_text, to_lonlat, to_metric
from zhicheng.geo.grids.models import GridSequence

Progress = Callable[[int, int], None]

GRID_COLUMNS = ("grid_code", "district_code", "street_code", "community_code", "community_name", "area_m2",
                "responsible_unit", "inspector", "geometry")
GRID_ITEMS: list[dict[str, Any]] = [
    {"name": "grid_code", "label": "单元网格编码", "type": "string", "length": 14, "required": True},
    {"name": "district_code", "label": "区县代码", "type": "string", "length": 6, "required": True},
    {"name": "street_code", "label": "街道（乡镇）代码", "type": "string", "length": 9, "required": True},
    {"name": "community_code", "label": "社区（村）代码", "type": "string", "length": 12},
    {"name": "community_name", "label": "社区（村）名称", "type": "string", "length": 100},
    {"name": "area_m2", "label": "面积（平方米）", "type": "decimal", "scale": 1, "required": True},
    {"name": "responsible_unit", "label": "责任单位", "type": "string", "length": 100},
    {"name": "inspector", "label": "网格监督员", "type": "string", "length": 50, "personal": True},
    {"name": "geometry", "label": "网格范围", "type": "geometry", "required": True},
]
EXPORT_FORMATS = ("geojson", "csv", "xlsx")
# the platform's coordinates are China's: a geometry outside this box is not in any city it serves
CHINA = shapely.box(73.0, 3.0, 136.0, 54.0)


@dataclass(frozen=True)
class Parent:
    """A boundary to grid: a community, or a street unit without communities (community_code "")."""

    district_code: str
    street_code: str
    community_code: str
    name: str
    responsible_unit: str
    geometry: object  # lon/lat


# ------------------------------------------------------------------ the layer

def public_id(code: str) -> str:
    """A layer's id in URLs (its resource code with `/` written `-`, as OGC API Features names it)."""
    return (code or "").replace("/", "-")


def any_layer(db: Session, layer: str, *, field: str = "layer"):
    """The catalog resource of a layer by its public id (or resource code), or NotFound naming `field`."""
    code = (layer or "").strip().replace("-", "/")
    try:
        return catalog.get_by_code(db, code)
    except NotFound:
        raise NotFound(f"图层 {layer} 不存在", f"no layer {layer}", field=field) from None


def layer_resource(db: Session, code: str):
    """The catalog resource of a grid layer by its public id, or NotFound / Invalid when it is not a grid layer."""
    res = any_layer(db, code)
    names = {s.name for s in catalog.item_specs(db, res.id)}
    missing = [c for c in GRID_COLUMNS if c not in names]
    if missing:
        raise Invalid(f"资源 {code} 不是网格图层，缺少数据项：{'、'.join(missing)}",
                      f"resource {code} is not a grid layer; it lacks the items {', '.join(missing)}", field="layer")
    return res


def _factory(db: Session) -> sessionmaker[Session]:
    return sessionmaker(bind=db.get_bind(), expire_on_commit=False)


def read_cells(db: Session, *, actor: Actor, resource_id: int, version: int | None = None,
               for_edit: bool = False) -> list[dict]:
    """Every cell of a layer version (the newest by default) as dicts with a Shapely `geometry`; audited and
    masked as any full read of the data. `for_edit`: refused when anything would come masked (a version written
    back from masked values would lose them)."""
    dv, masks = datasets.open_export(db, actor=actor, resource_id=resource_id, version=version)
    if for_edit and masks:
        raise Forbidden("您看到的是脱敏数据，不能据此修改图层", "you see this layer's data masked and cannot edit it",
                        field="layer")
    names = [c["name"] for c in dv.columns]
    geo = [c["name"] for c in dv.columns if c["type"] == "geometry"]
    if not geo:
        raise Invalid("该资源没有几何数据项，不是图层", "the resource has no geometry item: not a layer", field="layer")
    out = []
    for row in datasets.iter_rows(_factory(db), dv, masks):
        cell = dict(zip(names, row, strict=True))
        text = cell.pop(geo[0])
        cell["geometry"] = shape(json.loads(text)) if text else None
        out.append(cell)
    return out


def road_lines(db: Session, *, actor: Actor, resource_id: int):
    """The lines of a road layer (lon/lat) as one geometry, to cut grids along."""
    lines = [r["geometry"] for r in read_cells(db, actor=actor, resource_id=resource_id)
             if r["geometry"] is not None and r["geometry"].geom_type in ("LineString", "MultiLineString")]
    if not lines:
        raise Invalid("道路图层中没有线要素", "the road layer holds no lines", field="roads")
    return shapely.union_all(lines)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _rows_csv(cells: Iterable[dict]) -> Iterator[dict]:
    for c in cells:
        row = {k: _text(c.get(k)) for k in GRID_COLUMNS}
        row["area_m2"] = f"{float(c['area_m2']):.1f}"
        row["geometry"] = lonlat_text(c["geometry"])
        yield row


def write_cells(db: Session, *, actor: Actor, resource_id: int, cells: list[dict], note: str) -> int:
    """Import `cells` as the layer's next version; returns the version number."""
    with tempfile.TemporaryDirectory(prefix="zhicheng-grids-") as tmp:
        path = Path(tmp) / f"grids-{note}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(GRID_COLUMNS))
            writer.writeheader()
            writer.writerows(_rows_csv(cells))
        report = datasets.import_file(db, actor=actor, resource_id=resource_id, path=path, filename=path.name)
    if not report.ok:
        first = report.errors[0] if report.errors else {}
        raise Invalid(f"网格图层写入失败：{report.message_zh} {first}", f"the grid layer was not written: "
                      f"{report.message_en} {first}", field="cells")
    return report.version


def _bump(db: Session, resource_id: int, prefix: str, at_least: int = 0, take: int = 0) -> int:
    """Raise the ledger of `prefix` to `at_least`, then take `take` more sequences; returns the last one issued."""
    row = db.scalar(select(GridSequence).where(GridSequence.resource_id == resource_id,
                                               GridSequence.prefix == prefix))
    if row is None:
        row = GridSequence(resource_id=resource_id, prefix=prefix, last=0)
        db.add(row)
    last = max(row.last, at_least) + take
    if last > gridcodes.MAX_SEQUENCE:
        db.rollback()
        raise Invalid(f"社区 {prefix} 的网格顺序码已用尽（至多 {gridcodes.MAX_SEQUENCE} 个）",
                      f"community {prefix} has used all {gridcodes.MAX_SEQUENCE} grid sequences", field="grid_code")
    row.last = last
    db.flush()
    return last


def _sync_ledger(db: Session, resource_id: int, cells: Iterable[dict]) -> None:
    """The ledger holds at least the highest sequence present in `cells`."""
    highest: dict[str, int] = {}
    for c in cells:
        code = gridcodes.parse(c["grid_code"])
        highest[code.prefix] = max(highest.get(code.prefix, 0), code.sequence)
    for prefix, seq in highest.items():
        _bump(db, resource_id, prefix, at_least=seq)
    db.commit()


def _check_inside(geom, *, field: str, within=None) -> None:
    if geom is None or geom.is_empty:
        raise Invalid("网格范围为空", "the grid boundary is empty", field=field)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise Invalid(f"网格范围须为面（Polygon），不是 {geom.geom_type}",
                      f"a grid boundary is a polygon, not a {geom.geom_type}", field=field)
    if not geom.is_valid:
        raise Invalid("网格范围几何无效（自相交等）", "the grid boundary is not a valid polygon (self-intersection?)",
                      field=field)
    if not CHINA.contains(geom):
        raise Invalid("网格范围不在中国境内（经纬度是否颠倒？）", "the grid boundary lies outside China (swapped lon/lat?)",
                      field=field)
    if within is not None and not within.buffer(1e-4).contains(geom):  # 1e-4° ≈ 10 m of tolerance
        raise Invalid("网格范围超出本市（所属区域）边界", "the grid boundary lies outside the city's (its area's) boundary",
                      field=field)


# ------------------------------------------------------------------ generate

def parents_from_layers(db: Session, *, actor: Actor, communities: int | None, streets: int | None = None,
                        urban_core_only: bool = False) -> list[Parent]:
    """The boundaries to grid: each community of the community layer (items code, name, street_code,
    district_code, geometry; `ur_code` 111 when `urban_core_only`), then each street unit of the street layer
    that holds none of them."""
    out: list[Parent] = []
    seen_streets: set[str] = set()
    if communities is not None:
        for c in read_cells(db, actor=actor, resource_id=communities):
            if urban_core_only and _text(c.get("ur_code")) != "111":
                continue
            street = _text(c.get("street_code"))
            seen_streets.add(street)
            out.append(Parent(_text(c.get("district_code")) or street[:6], street, _text(c["code"]),
                              _text(c.get("name")), _text(c.get("name")), c["geometry"]))
    if streets is not None:
        for s in read_cells(db, actor=actor, resource_id=streets):
            code = _text(s["code"])
            if code in seen_streets or (urban_core_only and _text(s.get("kind")) != "街道"):
                continue
            out.append(Parent(code[:6], code, "", _text(s.get("name")), _office(_text(s.get("name"))),
                              s["geometry"]))
    if not out:
        raise Invalid("没有可划分网格的社区或街道边界", "no community or street boundary to grid", field="communities")
    return out


def _office(name: str) -> str:
    if name.endswith("街道"):
        return f"{name}办事处"
    return f"{name}人民政府" if name.endswith(("镇", "乡")) else name


def generate_cells(parents: list[Parent], *, target_m2: float = TARGET_M2, roads=None,
                   progress: Progress | None = None) -> list[dict]:
    """Cells with codes for every parent boundary (no storage): the generator itself."""
    if not 2_500 <= target_m2 <= 1_000_000:
        raise Invalid("网格目标面积须在 2,500 至 1,000,000 平方米之间", "the target cell area must be between 2,500 "
                      "and 1,000,000 m²", field="target_area_m2")
    parts = gridcodes.community_parts([(p.street_code, p.community_code) for p in parents if p.community_code])
    out: list[dict] = []
    for n, p in enumerate(parents, start=1):
        _check_inside(polygonal(p.geometry), field="communities")
        if len(p.street_code) != 9 or not p.street_code.isdigit():
            raise Invalid(f"街道代码须为 9 位数字：{p.street_code!r}", f"a street code is 9 digits: {p.street_code!r}",
                          field="street_code")
        community = parts[p.community_code] if p.community_code else "000"
        near = roads.intersection(p.geometry.envelope) if roads is not None else None
        for seq, cell in enumerate(cells_for(p.geometry, target_m2=target_m2, roads=near), start=1):
            out.append({"grid_code": gridcodes.make(p.street_code[:6], p.street_code[6:], community, seq),
                        "district_code": p.district_code, "street_code": p.street_code,
                        "community_code": p.community_code, "community_name": p.name, "area_m2": cell.area_m2,
                        "responsible_unit": p.responsible_unit, "inspector": "", "geometry": cell.geometry})
        if progress:
            progress(n, len(parents))
    return out


def generate(db: Session, *, actor: Actor, resource_id: int, parents: list[Parent], target_m2: float = TARGET_M2,
             roads=None, progress: Progress | None = None) -> dict:
    """Generate the grid of `parents` and store it as the layer's next version."""
    datasets.authorize_import(db, actor=actor, resource_id=resource_id)
    cells = generate_cells(parents, target_m2=target_m2, roads=roads, progress=progress)
    version = write_cells(db, actor=actor, resource_id=resource_id, cells=cells, note="generated")
    _sync_ledger(db, resource_id, cells)
    return {"version": version, "cells": len(cells), "communities": len(parents),
            "roads": "cut along roads" if roads is not None else "square lattice (no road layer)"}


# ------------------------------------------------------------------ import an existing grid

def read_grid_file(path: Path) -> list[dict]:
    """Cells from a file GDAL reads (GeoJSON, GeoPackage, zipped Shapefile, CSV with WKT), in CGCS2000 lon/lat."""
    import pyogrio

    # a CSV names its WKT column geometry or wkt; GDAL reads a zipped Shapefile through /vsizip/
    options = {"GEOM_POSSIBLE_NAMES": "geometry,wkt,WKT", "KEEP_GEOM_COLUMNS": "NO"} \
        if path.suffix.lower() == ".csv" else {}
    source = f"/vsizip/{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        frame = pyogrio.read_dataframe(source, **options)
    except Exception as exc:  # GDAL's own errors name the problem
        raise Invalid(f"无法读取网格文件：{str(exc)[:120]}", f"cannot read the grid file: {str(exc)[:120]}",
                      field="file") from None
    if frame.crs is not None and frame.crs.to_epsg() not in (4490, 4326):
        frame = frame.to_crs("EPSG:4490")
    out = []
    columns = {c.lower(): c for c in frame.columns}
    for n, row in enumerate(frame.itertuples(index=False), start=1):
        rec = row._asdict()
        cell = {k: rec.get(columns.get(k, k)) for k in GRID_COLUMNS if k != "geometry"}
        cell["geometry"] = rec.get("geometry")
        cell["_row"] = n
        out.append(cell)
    return out


def check_imported(cells: list[dict], *, within=None) -> list[dict]:
    """The cells of an imported grid, checked (codes, geometry, uniqueness) and completed (area, parts)."""
    if not cells:
        raise Invalid("网格文件中没有网格", "the grid file holds no cells", field="file")
    seen: set[str] = set()
    for cell in cells:
        where = f"row {cell.get('_row', '?')}"
        code = gridcodes.parse(cell.get("grid_code"), field=f"grid_code ({where})")
        if str(code) in seen:
            raise Invalid(f"网格编码重复：{code}（第 {cell.get('_row')} 行）", f"duplicate grid code {code} ({where})",
                          field="grid_code")
        seen.add(str(code))
        _check_inside(cell.get("geometry"), field=f"geometry ({where})", within=within)
        cell["grid_code"] = str(code)
        cell["district_code"] = code.county
        cell["street_code"] = code.county + code.street
        cell["area_m2"] = area_m2(cell["geometry"])
        cell.pop("_row", None)
    return cells


def import_grids(db: Session, *, actor: Actor, resource_id: int, path: Path, within=None) -> dict:
    """A city's existing grid, from a file, as the layer's next version (all cells valid, or nothing stored)."""
    datasets.authorize_import(db, actor=actor, resource_id=resource_id)
    cells = check_imported(read_grid_file(path), within=within)
    version = write_cells(db, actor=actor, resource_id=resource_id, cells=cells, note="imported")
    _sync_ledger(db, resource_id, cells)
    return {"version": version, "cells": len(cells)}


# ------------------------------------------------------------------ edit, split, merge

def _find(cells: list[dict], code: str, field: str = "grid_code") -> int:
    gridcodes.parse(code, field=field)
    for i, c in enumerate(cells):
        if c["grid_code"] == code:
            return i
    raise NotFound(f"网格 {code} 不存在", f"no grid {code}", field=field)


def _metric_area(geom) -> float:
    return area_m2(geom)


def update_cell(db: Session, *, actor: Actor, resource_id: int, code: str, changes: dict[str, Any]) -> dict:
    """Change a cell's responsible unit, inspector or boundary (the code stays); a new version."""
    datasets.authorize_import(db, actor=actor, resource_id=resource_id)
    cells = read_cells(db, actor=actor, resource_id=resource_id, for_edit=True)
    i = _find(cells, code)
    cell = dict(cells[i])
    for key in ("responsible_unit", "inspector"):
        if key in changes and changes[key] is not None:
            cell[key] = str(changes[key]).strip()[:100]
    if changes.get("geometry") is not None:
        geom = _geometry(changes["geometry"], "geometry")
        neighbours = [c["geometry"] for c in cells if c["grid_code"][:12] == code[:12]]
        _check_inside(geom, field="geometry", within=shapely.union_all(neighbours).buffer(5e-4))
        cell["geometry"], cell["area_m2"] = geom, _metric_area(geom)
    cells[i] = cell
    version = write_cells(db, actor=actor, resource_id=resource_id, cells=cells, note="edited")
    return {"version": version, "cell": _public(cell)}


def _geometry(value: Any, field: str):
    try:
        if isinstance(value, str):
            value = json.loads(value) if value.lstrip().startswith("{") else shapely.from_wkt(value)
        geom = value if isinstance(value, shapely.Geometry) else shape(value)
    except (ValueError, TypeError, KeyError, AttributeError, ShapelyError):
        raise Invalid("无法解析几何对象（GeoJSON 或 WKT）", "cannot parse the geometry (GeoJSON or WKT)",
                      field=field) from None
    return geom


def split_cell(db: Session, *, actor: Actor, resource_id: int, code: str, line: Any) -> dict:
    """Split a cell along a line (lon/lat): the part first west→east, north→south keeps the code, the others
    take the community's next sequences; a new version."""
    datasets.authorize_import(db, actor=actor, resource_id=resource_id)
    cutter = _geometry(line, "line")
    if cutter.geom_type not in ("LineString", "MultiLineString"):
        raise Invalid("分割线须为线（LineString）", "the split line must be a LineString", field="line")
    cells = read_cells(db, actor=actor, resource_id=resource_id, for_edit=True)
    i = _find(cells, code)
    cell = cells[i]
    epsg = gk_epsg(cell["geometry"].centroid.x)
    area_m = to_metric(cell["geometry"], epsg)
    parts = [p for p in shapely.get_parts(ops.split(area_m, to_metric(cutter, epsg)))
             if p.geom_type == "Polygon" and p.area > 1.0]
    if len(parts) < 2:
        raise Invalid("分割线没有把网格分成两块以上（须完整穿过网格）", "the line does not cut the grid in two (it must "
                      "cross it from edge to edge)", field="line")
    side = max(p.area for p in parts) ** 0.5
    parts.sort(key=lambda g: order_key(g, side))
    prefix = code[:12]
    last = _bump(db, resource_id, prefix, at_least=max(gridcodes.parse(c["grid_code"]).sequence for c in cells
                                                         if c["grid_code"][:12] == prefix), take=len(parts) - 1)
    new_codes = [code] + [f"{prefix}{s:02d}" for s in range(last - len(parts) + 2, last + 1)]
    pieces = [dict(cell, grid_code=c, geometry=to_lonlat(p, epsg), area_m2=float(p.area))
              for c, p in zip(new_codes, parts, strict=True)]
    cells[i:i + 1] = pieces
    version = write_cells(db, actor=actor, resource_id=resource_id, cells=cells, note="split")
    db.commit()
    return {"version": version, "cells": [_public(p) for p in pieces]}


def merge_cells(db: Session, *, actor: Actor, resource_id: int, codes: list[str]) -> dict:
    """Merge adjacent cells of one community: the lowest code stays, the others are retired (never reused)."""
    datasets.authorize_import(db, actor=actor, resource_id=resource_id)
    wanted = sorted({str(c).strip() for c in codes})
    if len(wanted) < 2:
        raise Invalid("合并至少需要两个网格编码", "a merge needs at least two grid codes", field="codes")
    for c in wanted:
        gridcodes.parse(c, field="codes")
    if len({c[:12] for c in wanted}) != 1:
        raise Invalid("只能合并同一社区内的网格", "only grids of one community can be merged", field="codes")
    cells = read_cells(db, actor=actor, resource_id=resource_id, for_edit=True)
    idx = [_find(cells, c, "codes") for c in wanted]
    merged = shapely.union_all([cells[i]["geometry"] for i in idx])
    merged = polygonal(merged)
    if merged.geom_type != "Polygon":
        raise Invalid("要合并的网格不相邻", "the grids to merge do not touch", field="codes")
    prefix = wanted[0][:12]  # the ledger remembers the highest code so far: a retired one is never handed out
    _bump(db, resource_id, prefix, at_least=max(gridcodes.parse(c["grid_code"]).sequence for c in cells
                                                if c["grid_code"][:12] == prefix))
    db.commit()
    keep = dict(cells[idx[0]], geometry=merged, area_m2=_metric_area(merged))
    drop = set(idx[1:])
    cells = [keep if n == idx[0] else c for n, c in enumerate(cells) if n not in drop]
    version = write_cells(db, actor=actor, resource_id=resource_id, cells=cells, note="merged")
    return {"version": version, "cell": _public(keep), "retired": wanted[1:]}


# ------------------------------------------------------------------ read out

def _public(cell: dict) -> dict:
    props = {k: cell.get(k) for k in GRID_COLUMNS if k != "geometry"}
    props["area_m2"] = round(float(props["area_m2"] or 0), 1)
    return {"type": "Feature", "id": cell["grid_code"], "properties": props,
            "geometry": mapping(cell["geometry"]) if cell.get("geometry") is not None else None}


def feature_collection(cells: Iterable[dict]) -> dict:
    """Cells as a GeoJSON FeatureCollection (CGCS2000 lon/lat)."""
    return {"type": "FeatureCollection", "features": [_public(c) for c in cells]}


def export(db: Session, *, actor: Actor, resource_id: int, fmt: str, version: int | None = None) -> tuple[bytes, str]:
    """The layer as GeoJSON, CSV (WKT geometry) or XLSX: (content, media type)."""
    if fmt not in EXPORT_FORMATS:
        raise Invalid(f"导出格式须为 {'、'.join(EXPORT_FORMATS)}", f"format must be one of {', '.join(EXPORT_FORMATS)}",
                      field="format")
    cells = read_cells(db, actor=actor, resource_id=resource_id, version=version)
    if fmt == "geojson":
        body = json.dumps(feature_collection(cells), ensure_ascii=False, separators=(",", ":"))
        return body.encode("utf-8"), "application/geo+json"
    rows = list(_rows_csv(cells))
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(GRID_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("单元网格")
    ws.append([i["label"] for i in GRID_ITEMS])
    for r in rows:
        ws.append([r[k] if k != "area_m2" else float(r[k]) for k in GRID_COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def grid_index(db: Session, *, actor: Actor, resource_id: int, version: int | None = None) -> GridIndex:
    """A point index over a layer version's cells (for assignment and locate)."""
    cells = read_cells(db, actor=actor, resource_id=resource_id, version=version)
    cells.sort(key=lambda c: c["grid_code"])
    return GridIndex([c["grid_code"] for c in cells], [c["geometry"] for c in cells])


def locate(db: Session, *, actor: Actor, resource_id: int, lon: float, lat: float) -> dict | None:
    """The cell holding (lon, lat), or None."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid("经纬度超出范围", "longitude/latitude out of range", field="lon")
    cells = read_cells(db, actor=actor, resource_id=resource_id)
    pt = shapely.Point(lon, lat)
    for c in sorted(cells, key=lambda c: c["grid_code"]):
        if c["geometry"].intersects(pt):
            return _public(c)
    return None


def summary(db: Session, *, actor: Actor, resource_id: int) -> dict:
    """Counts of a layer's newest version: cells, communities, total and mean area."""
    cells = read_cells(db, actor=actor, resource_id=resource_id)
    total = sum(float(c["area_m2"] or 0) for c in cells)
    return {"cells": len(cells), "communities": len({c["grid_code"][:12] for c in cells}),
            "area_km2": round(total / 1e6, 3), "mean_area_m2": round(total / len(cells), 1) if cells else 0}

