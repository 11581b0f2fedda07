"""Readers of geo files into layer rows stored in CGCS2000: zipped Shapefile, GeoPackage, KML (GDAL through pyogrio,
in batches), CSV/XLSX with lon/lat or WKT columns, and GeoJSON in a declared CRS.

Each row comes out as a dict of attributes plus its geometry (GeoJSON, EPSG:4490, longitude first) under
`readers.GEOMETRY_KEY`, as the GeoJSON reader gives them, so the import's validator and row store take them
unchanged. Rows whose coordinates are swapped, out of range or not convertible, and invalid geometries (unless
the importer asked to repair them), go to the import's error log with their row (feature) number and are not
yielded: the import then stores nothing. The source CRS is the one the importer declares, else the file's own
(.prj, the GeoPackage's srs; KML is WGS 84 by definition); it is recorded in the import report.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from zhicheng.catalog.datasets.geo_checks import GeometryChecker, GeoReport
from zhicheng.catalog.datasets.limits import FileError, Limits
from zhicheng.core.errors import Invalid

GDAL_FORMATS = {"zip": "shapefile", "gpkg": "gpkg", "kml": "kml"}  # file extension → format
TABULAR = ("csv", "xlsx")
INVALID_CHOICES = ("refuse", "repair")
OPTIONS_KEY = "__geo__"  # where the options travel inside an import job's column mapping
_LON_NAMES = ("lon", "lng", "longitude", "经度", "x")
_LAT_NAMES = ("lat", "latitude", "纬度", "y")
# KML styling and structure that GDAL's LIBKML driver turns into fields: not attributes of the features
_KML_STRUCTURE = frozenset({"id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude",
                            "visibility", "drawOrder", "icon", "snippet"})


@dataclass(frozen=True)
class GeoOptions:
    """What the importer says about a geo file: its CRS, the coordinate columns, the layer, what to do with
    invalid geometries ("refuse", the default, or "repair" with `make_valid`)."""

    crs: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None
    wkt_column: str | None = None
    layer: str | None = None
    invalid_geometry: str = "refuse"

    @classmethod
    def of(cls, *, crs: str | None = None, lon_column: str | None = None, lat_column: str | None = None,
           wkt_column: str | None = None, layer: str | None = None,
           invalid_geometry: str | None = None) -> GeoOptions | None:
        """Options from form/CLI values (blank means not given), checked; None when none is given."""
        def clean(value: str | None) -> str | None:
            return value.strip() or None if isinstance(value, str) else None

        crs, lon_column, lat_column = clean(crs), clean(lon_column), clean(lat_column)
        wkt_column, layer, invalid = clean(wkt_column), clean(layer), clean(invalid_geometry)
        if not any((crs, lon_column, lat_column, wkt_column, layer, invalid)):
            return None
        if invalid is not None and invalid not in INVALID_CHOICES:
            raise Invalid(f"invalid_geometry 应为 refuse（拒绝）或 repair（修复），收到“{invalid}”",
                          f"invalid_geometry must be refuse or repair, got '{invalid}'", field="invalid_geometry")
        if (lon_column is None) != (lat_column is None):
            missing = "lat_column" if lat_column is None else "lon_column"
            raise Invalid("经度列和纬度列须同时给出", "give both the longitude and the latitude column", field=missing)
        if wkt_column and lon_column:
            raise Invalid("WKT 列与经纬度列只能给出一种", "give either a WKT column or lon/lat columns, not both",
                          field="wkt_column")
        if crs is not None:
            from zhicheng.core.crs.registry import parse_crs

            parse_crs(crs, field="crs")  # an unknown CRS is refused before any file is read
        return cls(crs=crs, lon_column=lon_column, lat_column=lat_column, wkt_column=wkt_column, layer=layer,
                   invalid_geometry=invalid or "refuse")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> GeoOptions | None:
        return cls(**data) if data else None


def split_mapping(mapping: dict[str, Any] | None) -> tuple[dict[str, Any] | None, GeoOptions | None]:
    """(the column mapping without the geo options, the geo options) of a mapping an import job carried."""
    if not mapping or OPTIONS_KEY not in mapping:
        return mapping, None
    rest = {k: v for k, v in mapping.items() if k != OPTIONS_KEY}
    return rest or None, GeoOptions.from_dict(mapping[OPTIONS_KEY])


def with_options(mapping: dict[str, Any] | None, options: GeoOptions | None) -> dict[str, Any] | None:
    """`mapping` carrying `options` (for an import job, whose thread takes the mapping to `import_file`)."""
    if options is None:
        return mapping
    return {**(mapping or {}), OPTIONS_KEY: options.to_dict()}


def wants_geo(fmt: str, options: GeoOptions | None) -> bool:
    """True when the file goes through this module: a GDAL format, or geo options on a CSV/XLSX/GeoJSON file."""
    return fmt in GDAL_FORMATS.values() or options is not None


def open_geo_source(path: Path, filename: str, fmt: str, options: GeoOptions | None, errors, *,
                    sheet: str | None = None, limits: Limits | None = None):
    """A `readers.Source` of dict rows (attributes + geometry in CGCS2000) for a geo file; `errors` (the import's
    ErrorLog) receives every bad row. The Source's `geo` is the GeoReport."""
    from zhicheng.catalog.datasets import readers

    options = options or GeoOptions()
    limits = limits or Limits.of()
    if fmt in GDAL_FORMATS.values():
        return _gdal_source(Path(path), fmt, options, errors, limits)
    if fmt in TABULAR:
        if not (options.lon_column or options.wkt_column):
            raise Invalid("CSV/XLSX 作为图层导入时须给出经纬度列（lon_column、lat_column）或 WKT 列（wkt_column）",
                          "a CSV/XLSX layer import needs lon/lat columns (lon_column, lat_column) or a WKT column "
                          "(wkt_column)", field="lon_column")
        tabular = readers.open_source(path, filename, sheet=sheet, limits=limits)
        return _tabular_source(tabular, options, errors)
    if fmt == "geojson":
        if options.lon_column or options.wkt_column:
            raise Invalid("GeoJSON 文件不需要经纬度列或 WKT 列", "a GeoJSON file has no lon/lat or WKT columns",
                          field="lon_column" if options.lon_column else "wkt_column")
        plain = readers.open_source(path, filename, limits=limits)
        return _geojson_source(plain, options, errors)
    raise Invalid("JSON 文件不能作为图层导入（请用 GeoJSON）", "a JSON file cannot be imported as a layer (use GeoJSON)",
                  field="file")


# -- the CRS ---------------------------------------------------------------------------------------------------

def _source_crs(options: GeoOptions, from_file: str | None, default: str | None):
    """(CrsInfo, where it came from): the declared CRS, else the file's, else the format's."""
    from zhicheng.core.crs.registry import UnknownCrs, parse_crs, unknown_crs

    if options.crs:
        return parse_crs(options.crs, field="crs"), "declared"
    if from_file:
        try:
            return parse_crs(from_file, field="crs"), "file"
        except UnknownCrs:
            shown = from_file if len(from_file) < 120 else from_file[:117] + "…"
            try:
                import pyproj

                shown = f"{shown}（{pyproj.CRS.from_user_input(from_file).name}）" if len(from_file) < 120 \
                    else pyproj.CRS.from_user_input(from_file).name
            except Exception:  # noqa: BLE001 — the name is a courtesy
                pass
            err = unknown_crs(shown, "crs")
            raise UnknownCrs(f"文件的坐标系不受支持：{err.zh}；如确知其坐标系，请在导入时指定（crs）",
                             f"the file's CRS is not supported: {err.en}; declare it (crs) if you know it",
                             field="crs") from None
    if default:
        return parse_crs(default), "format"
    raise UnknownCrs("文件没有说明坐标系（如 Shapefile 缺少 .prj），请在导入时指定坐标系（crs）",
                     "the file does not say its CRS (e.g. a Shapefile without .prj); declare it (crs)", field="crs")


def _validator_cell(value: Any) -> Any:
    """A cell as the validator takes it (dates as ISO text; bytes are not attributes)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return None
    return value


def _rows_of(lines: Sequence[int], props: list[dict[str, Any]], geometries: list[Any]) -> tuple[list[int], list]:
    from zhicheng.catalog.datasets.readers import GEOMETRY_KEY

    out_lines, out_rows = [], []
    for line, row, geometry in zip(lines, props, geometries, strict=True):
        if geometry is False:
            continue
        row = {k: v for k, v in row.items() if v is not None and v != ""}  # absent is empty: no unknown-column noise
        row[GEOMETRY_KEY] = geometry
        out_lines.append(line)
        out_rows.append(row)
    return out_lines, out_rows


# -- GDAL formats (pyogrio) ----------------------------------------------------------------------------------

def _safe_member(name: str) -> bool:
    """False for a zip member that would land outside the folder it is unpacked in (zip-slip) or is absolute."""
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        return False
    return ".." not in PurePosixPath(text).parts


def _shapefile_in_zip(path: Path, limits: Limits, layer: str | None) -> str:
    """The GDAL path of the Shapefile inside a zip, after the zip passed the bomb limits and holds no unsafe path."""
    from zhicheng.catalog.datasets.xlsx_guard import BoundedZip

    if not zipfile.is_zipfile(path):
        raise FileError("这不是有效的 ZIP 文件（Shapefile 须打包为 .zip）", "this is not a valid zip file "
                        "(a Shapefile must come zipped)")
    with BoundedZip(path, limits) as zf:
        names = zf.namelist()
    unsafe = [n for n in names if not _safe_member(n)]
    if unsafe:
        raise FileError(f"压缩包中有不安全的路径（绝对路径或 ..）：{unsafe[0][:100]}，未导入任何数据",
                        f"the zip holds an unsafe path (absolute or with ..): {unsafe[0][:100]}; nothing was imported",
                        code="unsafe_zip")
    shps = [n for n in names if n.lower().endswith(".shp") and not n.startswith("__MACOSX/")]
    if not shps:
        raise FileError("压缩包中没有 .shp 文件", "the zip holds no .shp file")
    if layer:
        chosen = [n for n in shps if PurePosixPath(n).stem == layer or n == layer]
        if not chosen:
            raise Invalid(f"压缩包中没有图层 {layer}；可选：{'、'.join(PurePosixPath(n).stem for n in shps)}",
                          f"no layer {layer} in the zip; layers: {', '.join(PurePosixPath(n).stem for n in shps)}",
                          field="layer")
        shps = chosen
    if len(shps) > 1:
        raise Invalid(f"压缩包中有多个 Shapefile，请指定图层（layer）：{'、'.join(PurePosixPath(n).stem for n in shps)}",
                      f"the zip holds several Shapefiles; choose one (layer): "
                      f"{', '.join(PurePosixPath(n).stem for n in shps)}", field="layer")
    stem = shps[0][:-4]
    if not any(n.lower() == (stem + ".dbf").lower() for n in names) or \
            not any(n.lower() == (stem + ".shx").lower() for n in names):
        raise FileError(f"Shapefile {PurePosixPath(shps[0]).name} 缺少 .dbf 或 .shx 文件",
                        f"the Shapefile {PurePosixPath(shps[0]).name} lacks its .dbf or .shx file")
    return f"/vsizip/{{{path}}}/{shps[0]}"  # braces: the upload may not be named .zip


def _gdal_source(path: Path, fmt: str, options: GeoOptions, errors, limits: Limits):
    import pyogrio

    from zhicheng.catalog.datasets import readers

    dataset = _shapefile_in_zip(path, limits, options.layer) if fmt == "shapefile" else str(path)
    try:
        layers = pyogrio.list_layers(dataset)
    except Exception as exc:  # noqa: BLE001 — GDAL says why in many ways
        why = str(exc).replace(dataset, path.name).replace(str(path), path.name)[:120]  # no server paths shown
        raise FileError(f"无法读取 {fmt} 文件：{why}", f"cannot read the {fmt} file: {why}") from None
    names = [str(row[0]) for row in layers]
    if not names:
        raise FileError("文件中没有图层", "the file holds no layer")
    layer = names[0]
    if fmt != "shapefile" and options.layer:
        if options.layer not in names:
            raise Invalid(f"文件中没有图层 {options.layer}；可选：{'、'.join(names)}",
                          f"no layer {options.layer} in the file; layers: {', '.join(names)}", field="layer")
        layer = options.layer
    elif fmt != "shapefile" and len(names) > 1:
        raise Invalid(f"文件中有多个图层，请指定图层（layer）：{'、'.join(names)}",
                      f"the file holds several layers; choose one (layer): {', '.join(names)}", field="layer")
    try:
        info = pyogrio.read_info(dataset, layer=layer)
    except Exception as exc:  # noqa: BLE001
        why = str(exc).replace(dataset, path.name).replace(str(path), path.name)[:120]
        raise FileError(f"无法读取图层 {layer}：{why}", f"cannot read the layer {layer}: {why}") from None
    src, crs_from = _source_crs(options, info.get("crs"), "CRS84" if fmt == "kml" else None)
    report = GeoReport(source_crs=src.key, source_crs_uri=src.uri, crs_from=crs_from,
                       invalid_geometry=options.invalid_geometry, layer=layer)
    total = max(int(info.get("features") or 0), 0)
    size = path.stat().st_size
    state = {"done": 0}
    source = readers.Source(path=path, format=fmt, encoding=info.get("encoding"), size=size,
                            _position=lambda: size * state["done"] // total if total else 0)
    source._chunks = lambda batch: _gdal_chunks(dataset, fmt, layer, batch, src, options, errors, report, state)
    source.geo = report
    return source


def _gdal_chunks(dataset: str, fmt: str, layer: str, batch: int, src, options: GeoOptions, errors, report: GeoReport,
                 state: dict) -> Iterator[tuple[list[int], list]]:
    """Batches of features read through Arrow (memory bounded by the batch), as layer rows."""
    import shapely
    from pyogrio.raw import open_arrow

    kml = fmt == "kml"
    with open_arrow(dataset, layer=layer, batch_size=batch, use_pyarrow=True) as (meta, reader):
        geometry_name = meta.get("geometry_name") or "wkb_geometry"
        geometries = GeometryChecker(src, options.invalid_geometry, errors, report, meta.get("geometry_name") or "geometry")
        n = 0
        for record_batch in reader:
            rows = record_batch.num_rows
            if not rows:
                continue
            lines = list(range(n + 1, n + rows + 1))
            n += rows
            columns = [name for name in record_batch.schema.names if name != geometry_name
                       and not (kml and name in _KML_STRUCTURE)]
            values = {name: record_batch.column(name).to_pylist() for name in columns}
            props = [{name: _validator_cell(values[name][i]) for name in columns} for i in range(rows)]
            wkb = record_batch.column(geometry_name).to_pylist() if geometry_name in record_batch.schema.names \
                else [None] * rows
            geoms = shapely.from_wkb(np.array(wkb, dtype=object), on_invalid="ignore")
            texts = geometries.convert(lines, geoms)
            state["done"] = n
            yield _rows_of(lines, props, texts)


# -- CSV and XLSX with coordinate columns ----------------------------------------------------------------------

def _tabular_source(tabular, options: GeoOptions, errors):
    from zhicheng.catalog.datasets import readers

    header = [h.strip() for h in tabular.header or []]
    wanted = [c for c in (options.lon_column, options.lat_column, options.wkt_column) if c]
    field_of = {options.lon_column: "lon_column", options.lat_column: "lat_column", options.wkt_column: "wkt_column"}
    for column in wanted:
        if column not in header:
            raise Invalid(f"文件表头中没有列“{column}”（表头：{'、'.join(h for h in header if h)}）",
                          f"no column '{column}' in the file's header ({', '.join(h for h in header if h)})",
                          field=field_of[column])
    src, crs_from = _source_crs(options, None, "EPSG:4490")
    if crs_from == "format":
        crs_from = "default"  # a CSV says nothing: CGCS2000 unless declared
    report = GeoReport(source_crs=src.key, source_crs_uri=src.uri, crs_from=crs_from,
                       invalid_geometry=options.invalid_geometry)
    source = readers.Source(path=tabular.path, format=tabular.format, encoding=tabular.encoding, size=tabular.size,
                            header_line=tabular.header_line, _position=tabular._position)
    geo_columns = {header.index(c) for c in wanted}
    attributes = [(i, name) for i, name in enumerate(header) if i not in geo_columns and name]
    column = options.wkt_column or f"{options.lon_column}/{options.lat_column}"
    geometries = GeometryChecker(src, options.invalid_geometry, errors, report, column)

    def chunks(size: int) -> Iterator[tuple[list[int], list]]:
        for lines, rows in tabular.chunks(size):
            lines = list(lines)
            props = [{name: row[i] if i < len(row) else None for i, name in attributes} for row in rows]
            if options.wkt_column:
                geoms = _wkt_geometries(lines, rows, header.index(options.wkt_column), errors, column)
            else:
                geoms = _point_geometries(lines, rows, header.index(options.lon_column),
                                          header.index(options.lat_column), errors, column)
            texts = [False if g is False else None for g in geoms]
            keep = [i for i, g in enumerate(geoms) if g is not False and g is not None]
            if keep:
                converted = geometries.convert([lines[i] for i in keep], [geoms[i] for i in keep])
                for i, text in zip(keep, converted, strict=True):
                    texts[i] = text
            yield _rows_of(lines, props, texts)

    source._chunks = chunks
    source.geo = report
    return source


def _cell(row: Sequence[Any], i: int) -> Any:
    value = row[i] if i < len(row) else None
    return value.strip() if isinstance(value, str) else value


def _point_geometries(lines, rows, ix: int, iy: int, errors, column: str) -> list[Any]:
    import shapely

    out: list[Any] = []
    for line, row in zip(lines, rows, strict=True):
        x, y = _cell(row, ix), _cell(row, iy)
        if x in (None, "") and y in (None, ""):
            out.append(None)
            continue
        try:
            out.append(shapely.Point(float(x), float(y)))
        except (TypeError, ValueError):
            errors.add(line, column, "坐标不是数字", "the coordinates are not numbers", f"{x} {y}", None)
            out.append(False)
    return out


def _wkt_geometries(lines, rows, iw: int, errors, column: str) -> list[Any]:
    import shapely

    out: list[Any] = []
    for line, row in zip(lines, rows, strict=True):
        text = _cell(row, iw)
        if text in (None, ""):
            out.append(None)
            continue
        try:
            out.append(shapely.from_wkt(str(text)))
        except shapely.errors.ShapelyError as exc:
            errors.add(line, column, f"WKT 无法解析：{str(exc)[:80]}", f"cannot parse the WKT: {str(exc)[:80]}",
                       text, None)
            out.append(False)
    return out


# -- GeoJSON in a declared CRS -----------------------------------------------------------------------------------

def _geojson_source(plain, options: GeoOptions, errors):
    from zhicheng.catalog.datasets import readers

    src, crs_from = _source_crs(options, None, "CRS84")
    report = GeoReport(source_crs=src.key, source_crs_uri=src.uri, crs_from=crs_from,
                       invalid_geometry=options.invalid_geometry)
    source = readers.Source(path=plain.path, format=plain.format, encoding=plain.encoding, size=plain.size,
                            _position=plain._position)
    geometries = GeometryChecker(src, options.invalid_geometry, errors, report, readers.GEOMETRY_KEY)

    def chunks(size: int) -> Iterator[tuple[list[int], list]]:
        from shapely.geometry import shape

        for lines, rows in plain.chunks(size):
            lines = list(lines)
            geoms: list[Any] = []
            for line, row in zip(lines, rows, strict=True):
                value = row.pop(readers.GEOMETRY_KEY, None)
                if value is None:
                    geoms.append(None)
                    continue
                try:
                    geoms.append(shape(value))
                except Exception as exc:  # noqa: BLE001 — shapely raises several kinds for malformed GeoJSON
                    errors.add(line, readers.GEOMETRY_KEY, f"几何对象无法解析：{str(exc)[:80]}",
                               f"cannot parse the geometry: {str(exc)[:80]}", None, None)
                    geoms.append(False)
            texts = [False if g is False else None for g in geoms]
            keep = [i for i, g in enumerate(geoms) if g is not False and g is not None]
            if keep:
                for i, text in zip(keep, geometries.convert([lines[i] for i in keep], [geoms[i] for i in keep]),
                                   strict=True):
                    texts[i] = text
            yield _rows_of(lines, rows, texts)

    source._chunks = chunks
    source.geo = report
    return source
