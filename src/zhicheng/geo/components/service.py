"""City component inventories: checking rows (codes, classes, status, owners' credit codes, points), importing an
inventory as a layer version and assigning every component its unit grid in bulk, in bounded memory."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy.orm import Session, sessionmaker

from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden, Invalid
from zhicheng.core.ids import credit_code
from zhicheng.geo.components import codes as compcodes
from zhicheng.geo.components.classes import STATUSES
from zhicheng.geo.grids.assign import GridIndex

Progress = Callable[[int], None]
CHUNK = 50_000  # components checked and assigned at a time

COMPONENT_COLUMNS = ("component_code", "category", "subcategory", "owner_unit", "owner_code", "maintainer",
                     "maintainer_code", "condition", "street_code", "grid_code", "location")
COMPONENT_ITEMS: list[dict[str, Any]] = [
    {"name": "component_code", "label": "部件标识码", "type": "string", "length": 16, "required": True},
    {"name": "category", "label": "大类", "type": "string", "length": 20, "required": True},
    {"name": "subcategory", "label": "小类", "type": "string", "length": 30, "required": True},
    {"name": "owner_unit", "label": "主管部门", "type": "string", "length": 100},
    {"name": "owner_code", "label": "主管部门统一社会信用代码", "type": "string", "length": 18, "check": "credit_code"},
    {"name": "maintainer", "label": "养护单位", "type": "string", "length": 100},
    {"name": "maintainer_code", "label": "养护单位统一社会信用代码", "type": "string", "length": 18,
     "check": "credit_code"},
    {"name": "condition", "label": "部件状态", "type": "string", "length": 10},
    {"name": "street_code", "label": "所属街道代码", "type": "string", "length": 9},
    {"name": "grid_code", "label": "所属单元网格编码", "type": "string", "length": 14},
    {"name": "location", "label": "位置", "type": "geometry"},
]


def _point(value: Any, field: str):
    """A point from WKT, GeoJSON text/object or a Shapely geometry."""
    if value is None or value == "":
        raise Invalid("缺少部件位置", "the component has no location", field=field)
    try:
        if isinstance(value, shapely.Geometry):
            geom = value
        elif isinstance(value, dict):
            geom = shapely.geometry.shape(value)
        elif str(value).lstrip().startswith("{"):
            geom = shapely.from_geojson(str(value))
        else:
            geom = shapely.from_wkt(str(value))
    except (ValueError, TypeError, KeyError, shapely.errors.ShapelyError):
        raise Invalid("部件位置无法解析（WKT 或 GeoJSON 点）", "cannot parse the location (a WKT or GeoJSON point)",
                      field=field) from None
    if geom.geom_type != "Point" or geom.is_empty:
        raise Invalid("部件位置须为点", "a component's location is a point", field=field)
    if not (73 <= geom.x <= 136 and 3 <= geom.y <= 54):
        raise Invalid("部件位置不在中国境内（经纬度是否颠倒？）", "the location lies outside China (swapped lon/lat?)",
                      field=field)
    return geom


def check_row(row: dict, *, line: int, table=None) -> dict:
    """One inventory row checked and normalised (class names from the code, point geometry), or Invalid naming the
    field and line."""
    where = f" (line {line})"
    code = compcodes.parse(row.get("component_code"), table=table, field="component_code" + where)
    status = str(row.get("condition") or "完好").strip()
    if status not in STATUSES:
        raise Invalid(f"第 {line} 行部件状态须为 {'、'.join(STATUSES)}：{status[:10]!r}",
                      f"line {line}: status must be one of {', '.join(STATUSES)}: {status[:10]!r}",
                      field="condition" + where)
    out = {k: ("" if row.get(k) is None else str(row.get(k)).strip()) for k in COMPONENT_COLUMNS if k != "location"}
    for key in ("owner_code", "maintainer_code"):
        if out[key] and not credit_code.is_valid(out[key]):
            raise Invalid(f"第 {line} 行统一社会信用代码无效：{out[key][:20]}", f"line {line}: not a valid unified "
                          f"social credit code: {out[key][:20]}", field=key + where)
    if out["grid_code"]:
        from zhicheng.geo.grids import codes as gridcodes

        gridcodes.parse(out["grid_code"], field="grid_code" + where)
    out.update(component_code=str(code), category=code.cls.class_name, subcategory=code.cls.subclass_name,
               condition=status)
    out["location"] = _point(row.get("location"), "location" + where)
    return out


def _write_version(db: Session, *, actor: Actor, resource_id: int, rows: Iterable[dict], note: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="zhicheng-components-") as tmp:
        path = Path(tmp) / f"components-{note}.csv"
        count = 0
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(COMPONENT_COLUMNS))
            writer.writeheader()
            for r in rows:
                loc = r["location"]
                writer.writerow({**r, "location": f"POINT ({loc.x:.7f} {loc.y:.7f})"})
                count += 1
        report = datasets.import_file(db, actor=actor, resource_id=resource_id, path=path, filename=path.name)
    if not report.ok:
        first = report.errors[0] if report.errors else {}
        raise Invalid(f"部件图层写入失败：{report.message_zh} {first}", f"the component layer was not written: "
                      f"{report.message_en} {first}", field="file")
    return {"version": report.version, "components": count}


def assign_chunks(rows: Iterable[dict], index: GridIndex | None, *, chunk: int = CHUNK,
                  progress: Progress | None = None) -> Iterator[dict]:
    """Rows with `grid_code` set from their point (kept where no cell holds it and the row had one), chunk by
    chunk: memory bounded by the chunk."""
    buf: list[dict] = []
    done = 0

    def flush() -> Iterator[dict]:
        nonlocal done
        if index is not None and buf:
            xs = np.fromiter((r["location"].x for r in buf), float, len(buf))
            ys = np.fromiter((r["location"].y for r in buf), float, len(buf))
            for r, code in zip(buf, index.assign(xs, ys), strict=True):
                r["grid_code"] = code or ""
        done += len(buf)
        yield from buf
        buf.clear()
        if progress:
            progress(done)

    for r in rows:
        buf.append(r)
        if len(buf) >= chunk:
            yield from flush()
    yield from flush()


def _checked_rows(rows: Iterable[dict], table, seen: set[str]) -> Iterator[dict]:
    for line, row in enumerate(rows, start=2):
        out = check_row(row, line=line, table=table)
        if out["component_code"] in seen:
            raise Invalid(f"第 {line} 行部件编码重复：{out['component_code']}", f"line {line}: component code "
                          f"{out['component_code']} repeated", field="component_code")
        seen.add(out["component_code"])
        yield out


def read_inventory(path: Path) -> Iterator[dict]:
    """Rows of an inventory file: CSV (location as WKT/GeoJSON, or lon/lat columns), streamed; or any file GDAL
    reads (GeoJSON, GeoPackage, Shapefile zip)."""
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                if not row.get("location") and row.get("lon") and row.get("lat"):
                    row["location"] = f"POINT ({row['lon']} {row['lat']})"
                yield row
        return
    import pyogrio

    try:
        frame = pyogrio.read_dataframe(str(path))
    except Exception as exc:
        raise Invalid(f"无法读取部件文件：{str(exc)[:120]}", f"cannot read the inventory: {str(exc)[:120]}",
                      field="file") from None
    if frame.crs is not None and frame.crs.to_epsg() not in (4490, 4326):
        frame = frame.to_crs("EPSG:4490")
    for rec in frame.to_dict("records"):
        rec["location"] = rec.pop("geometry", None)
        yield rec


def import_inventory(db: Session, *, actor: Actor, resource_id: int, path: Path, grids: GridIndex | None = None,
                     table=None, progress: Progress | None = None) -> dict:
    """An inventory file as the component layer's next version: every row checked (nothing stored when one is
    wrong), and each component given its grid when `grids` is an index of a grid layer."""
    datasets.authorize_import(db, actor=actor, resource_id=resource_id)
    rows = assign_chunks(_checked_rows(read_inventory(Path(path)), table, set()), grids, progress=progress)
    return _write_version(db, actor=actor, resource_id=resource_id, rows=rows, note="inventory")


def _stored_rows(db: Session, actor: Actor, resource_id: int) -> Iterator[dict]:
    dv, masks = datasets.open_export(db, actor=actor, resource_id=resource_id)
    if masks:  # a version written back from masked values would lose them
        raise Forbidden("您看到的是脱敏数据，不能据此修改图层", "you see this layer's data masked and cannot edit it",
                        field="layer")
    names = [c["name"] for c in dv.columns]
    factory = sessionmaker(bind=db.get_bind(), expire_on_commit=False)
    for row in datasets.iter_rows(factory, dv, masks):
        rec = dict(zip(names, row, strict=True))
        loc = rec.get("location")
        rec["location"] = shapely.from_geojson(loc) if isinstance(loc, str) and loc.startswith("{") else loc
        yield rec


def assign_layer(db: Session, *, actor: Actor, resource_id: int, grids: GridIndex,
                 progress: Progress | None = None) -> dict:
    """Give every component of the layer the grid its point lies in: a new version of the component layer."""
    datasets.authorize_import(db, actor=actor, resource_id=resource_id)
    # rows stream from the stored version into the new file, chunk by chunk; the import starts once it is written
    assigned = assign_chunks(_stored_rows(db, actor, resource_id), grids, progress=progress)
    stats = {"outside": 0}

    def counted(it):
        for r in it:
            stats["outside"] += not r["grid_code"]
            yield r

    out = _write_version(db, actor=actor, resource_id=resource_id, rows=counted(assigned), note="assigned")
    return {**out, "outside_grids": stats["outside"]}


def summary_by_class(rows: Iterable[dict]) -> dict[str, int]:
    """Counts per class name."""
    out: dict[str, int] = {}
    for r in rows:
        out[r["category"]] = out.get(r["category"], 0) + 1
    return out

