"""Streamed downloads of an open dataset: CSV (UTF-8 with BOM, for Excel), XLSX (openpyxl write-only),
JSON and GeoJSON (spatial data only), row by row, masked as the export was authorised. CSV and XLSX are
headed by the items' Chinese labels, JSON and GeoJSON keyed by their identifiers, unless `columns=` says
otherwise (`catalog.datasets.column_header`)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from zhicheng.catalog.datasets import column_header
from zhicheng.catalog.datasets.rowquery import writers
from zhicheng.catalog.items import ItemType
from zhicheng.core.errors import Invalid
from zhicheng.core.spreadsheet import xlsx_cell

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FLUSH_ROWS = 1000


def check_format(fmt: str, *, spatial: bool) -> str:
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        raise Invalid(
            f"不支持的下载格式 {fmt[:20]}（可选 CSV、XLSX、JSON、GeoJSON）",
            f"unsupported download format {fmt[:20]} (csv, xlsx, json, geojson)",
            field="format",
        )
    if fmt == "geojson" and not spatial:
        raise Invalid(
            "该数据没有空间信息，不能下载为 GeoJSON",
            "this dataset has no geometry; GeoJSON is not offered",
            field="format",
        )
    return fmt


def check_columns(value: str | None, fmt: str) -> str:
    """The header choice (labels or names) of a download in `fmt`: labels for the files people open in a
    spreadsheet (CSV, XLSX), identifiers for the machine formats (JSON, GeoJSON), unless `value` says."""
    machine = (fmt or "").lower() in ("json", "geojson")
    return column_header.check_columns(value, default=column_header.NAMES if machine else column_header.LABELS)


def geometry_index(specs) -> int | None:
    """Position of the first geometry item, if any."""
    return next((i for i, s in enumerate(specs) if ItemType(_attr(s, "type")) is ItemType.GEOMETRY), None)


# a longitude / latitude item, told by its identifier or Chinese label (as the masking rules tell coordinates)
_LON_WORDS = ("经度", "longitude", "lng", "lon")
_LAT_WORDS = ("纬度", "latitude", "lat")
_NUMERIC = (ItemType.DECIMAL, ItemType.INTEGER, ItemType.STRING)


def _attr(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _coordinate(item: Any) -> str | None:
    if ItemType(_attr(item, "type")) not in _NUMERIC:
        return None
    name = str(_attr(item, "name") or "").lower()
    label = str(_attr(item, "label") or "")
    words = [w for w in name.replace("-", "_").split("_") if w]
    if "经度" in label or any(w in _LON_WORDS for w in words):
        return "lon"
    if "纬度" in label or any(w in _LAT_WORDS for w in words):
        return "lat"
    return None


def geo_source(items) -> int | tuple[int, int] | None:
    """Where a GeoJSON download takes each feature's geometry: the position of the geometry item, or the
    positions (longitude, latitude) of a coordinate pair (Point features), or None (no GeoJSON)."""
    geom = geometry_index(items)
    if geom is not None:
        return geom
    kinds = [_coordinate(i) for i in items]
    if "lon" in kinds and "lat" in kinds:
        return kinds.index("lon"), kinds.index("lat")
    return None


def plain(value: Any) -> Any:
    """A cell value as JSON has it: decimals as numbers, dates as ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def csv_stream(names: list[str], rows: Iterator[tuple]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark and the header row `names` (labels or identifiers): the row protocol's
    download writer, true/false and ISO dates as the other download formats write them."""
    for chunk in writers.csv_chunks(names, rows, cell=_text, every=FLUSH_ROWS):
        if chunk:
            yield chunk.encode("utf-8")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def json_stream(names: list[str], rows: Iterator[tuple]) -> Iterator[bytes]:
    """A JSON array of objects, one per row."""
    items = (_dumps({k: plain(v) for k, v in zip(names, row, strict=False)}) for row in rows)
    return writers.json_chunks(items, every=FLUSH_ROWS)


def _geometry(value: Any) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def _point(lon: Any, lat: Any) -> dict[str, Any] | None:
    """A Point from a coordinate pair; None when either is missing or not a number (masked away, say)."""
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        return None
    if not (-180 <= x <= 180 and -90 <= y <= 90):
        return None
    return {"type": "Point", "coordinates": [x, y]}


def geojson_stream(names: list[str], rows: Iterator[tuple], geom: int | tuple[int, int]) -> Iterator[bytes]:
    """A GeoJSON FeatureCollection: the geometry item (or a Point of the longitude/latitude pair, `geo_source`)
    as each feature's geometry, every item as a property (the pair too, as served)."""
    pair = isinstance(geom, tuple)

    def feature(row: tuple) -> str:
        props = {k: plain(v) for i, (k, v) in enumerate(zip(names, row, strict=False)) if pair or i != geom}
        shape = _point(row[geom[0]], row[geom[1]]) if pair else _geometry(row[geom])
        return _dumps({"type": "Feature", "geometry": shape, "properties": props})

    start = '{"type":"FeatureCollection","features":['
    return writers.json_chunks(map(feature, rows), start=start, end="]}", every=FLUSH_ROWS)


def xlsx_file(names: list[str], rows: Iterator[tuple], title: str) -> str:
    """Write an XLSX in openpyxl's write-only mode (rows go to disk as they come); returns the file's path."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(title))
    ws.append([xlsx_cell(ws, n) for n in names])
    for row in rows:
        ws.append([_xlsx_cell(ws, v) for v in row])
    fd, path = tempfile.mkstemp(prefix="zhicheng-open-", suffix=".xlsx")
    os.close(fd)
    try:
        wb.save(path)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _sheet_title(title: str) -> str:
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip() or "data"
    return cleaned[:31]


def _xlsx_cell(ws, value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return xlsx_cell(ws, value)


def file_chunks(path: str, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """The bytes of a file in chunks; the file is deleted afterwards."""
    try:
        with open(path, "rb") as fh:
            while block := fh.read(chunk):
                yield block
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
