"""The layer query service every geo door uses: the layers a caller may see, and the features of a layer version
(bbox, CQL2 filter, datetime as-of a version, properties, sortby, paging, output CRS), each read gated by policy,
masked by `policy.masking` and audited."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import fastread
from zhicheng.catalog.datasets import service as datasets
from zhicheng.catalog.datasets.rowquery.writers import json_default
from zhicheng.catalog.datasets.rowstore import ROW_COLUMN
from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.core import clock
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.geo.crs.registry import CRS84, STORAGE, CrsInfo, parse_crs
from zhicheng.geo.crs.service import convert_geometry
from zhicheng.geo.layers import access, cql, feature_ids, index
from zhicheng.geo.layers.models import LayerIndex
from zhicheng.policy import masking
from zhicheng.policy.audit import record

DEFAULT_LIMIT = 10
COUNTS_KEPT = 4096  # numberMatched of recent queries, by version and query (bounded: starts afresh when full)
_COUNTS: dict[tuple, int] = {}
MAX_LIMIT = 10_000
MAX_OFFSET = 10_000_000
# CRSs the features can be served in (OGC API - Features Part 2); GCJ-02/BD-09 as declared non-EPSG URIs
OUTPUT_CRS = ("CRS84", "EPSG:4490", "EPSG:4326", "EPSG:3857", "GCJ02", "BD09")


def bad(zh: str, en: str, name: str) -> Invalid:
    """A bad query parameter: 400 problem+json naming it."""
    return Invalid(zh, en, field=name, status=400, code="invalid_parameter")


@dataclass
class Layer:
    """A layer version opened for one caller: the resource, the version, the geometry item, the visible items
    (in order), which are masked, the way in (`access.LayerAccess`) and the spatial index."""

    resource: Any
    version: fastread.VersionInfo
    geometry: ItemSpec
    items: list[ItemSpec]
    masked: dict[str, str]
    grant: access.LayerAccess
    index: LayerIndex | None
    versions: list[Any] = field(default_factory=list)
    ids: feature_ids.FeatureIds = field(default_factory=feature_ids.FeatureIds)  # row → stable feature id

    @property
    def code(self) -> str:
        return self.resource.code

    @property
    def by_name(self) -> dict[str, ItemSpec]:
        return {s.name: s for s in self.items}


@dataclass
class FeaturePage:
    """One page of features: GeoJSON feature dicts (geometry already in the output CRS), counts, paging."""

    features: list[dict]
    number_matched: int
    number_returned: int
    limit: int
    offset: int
    crs: CrsInfo
    layer: Layer
    last_row: int | None = None  # the row of the last feature: the next page starts after it (keyset paging)

    @property
    def has_next(self) -> bool:
        return self.number_returned == self.limit and self.offset + self.number_returned < self.number_matched


# -- layers ---------------------------------------------------------------------------------------------------------

def collection_id(code: str) -> str:
    """The URL-safe public id of a layer (its resource code, `/` written `-`: 101015001/000001 → 101015001-000001)."""
    return (code or "").replace("/", "-")


def code_of(collection: str) -> str:
    """The resource code a collection id names."""
    return (collection or "").replace("-", "/")


def list_layers(db: Session, *, actor: Actor, build_index: bool = False) -> list[dict[str, Any]]:
    """The layers `actor` may see (anonymous callers: open ones), with extent and counts where indexed (built now
    when missing with `build_index`)."""
    out = []
    for rid, dept, snap in catalog.live_attributes(db):
        if not access.has_geometry(snap.get("items") or []):
            continue
        if not access.may_list(db, actor, rid, dept, snap):
            continue
        dv = fastread.newest_version(db.connection(), rid)
        if dv is None or index.geometry_item(dv.specs) is None:
            continue
        if build_index:
            ix = index.ensure(db, resource_id=rid, version=dv.version, ds_table=dv.table, specs=dv.specs)
        else:
            ix = index.registered(db.connection(), rid, dv.version)
        out.append({"resource_id": rid, "code": snap.get("code"), "name": snap.get("name"),
                    "summary": snap.get("summary"), "department_id": dept, "open_type": snap.get("open_type"),
                    "version": dv.version, "imported_at": dv.imported_at, "index": ix, "items": list(dv.specs)})
    return out


def layer_entry(layer: Layer) -> dict[str, Any]:
    """An opened layer as `list_layers` describes one."""
    res = layer.resource
    first = layer.versions[-1].imported_at if layer.versions else None
    return {"resource_id": res.id, "code": res.code, "name": res.name, "summary": res.summary,
            "department_id": res.department_id, "open_type": res.open_type, "version": layer.version.version,
            "imported_at": layer.version.imported_at, "first_imported_at": first, "index": layer.index,
            "items": list(layer.version.specs)}


def as_of(versions: list[Any], value: str | None) -> int | None:
    """The version number in force at `value` (an RFC 3339 instant, or an interval whose end is used), None for the
    newest; 400 when it is not a time or no version existed then."""
    if value is None or value == "":
        return None
    text = value.split("/")[-1] if "/" in value else value
    if text in ("..", ""):
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad(f"datetime 不是合法的时间：{value[:40]}", f"datetime is not a valid time: {value[:40]}",
                  "datetime") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    for v in versions:  # newest first
        if clock.aware(v.imported_at) <= at:
            return v.version
    raise NotFound(f"{value[:40]} 时该图层还没有数据", f"the collection had no data at {value[:40]}", field="datetime")


def open_layer(db: Session, *, actor: Actor, request: Any, code: str, datetime_: str | None = None,
               build_index: bool = True) -> Layer:
    """The layer `code` as `actor` may read it (the version in force at `datetime_`, else the newest)."""
    res = access.find_layer(db, code)
    g = access.gate(db, actor, request, res)
    versions = datasets.list_versions(db, actor=SYSTEM, resource_id=res.id)  # the gate has decided
    number = as_of(versions, datetime_)
    dv = fastread.version_info(db.connection(), res.id, number)
    if dv is None:
        raise access.not_found(code)
    geom = index.geometry_item(dv.specs)
    if geom is None:
        raise NotFound(f"图层 {code} 的该版本没有几何数据", f"this version of {code} holds no geometry",
                       field="datetime")
    items = [s for s in dv.specs if s.name != geom.name and (g.items is None or s.name in g.items)]
    if g.items is not None and geom.name not in g.items:
        raise access.not_found(code)
    masked = access.masks(db, g, res, [*items, geom])
    ix = None
    if build_index:
        ix = index.ensure(db, resource_id=res.id, version=dv.version, ds_table=dv.table, specs=dv.specs)
    return Layer(resource=res, version=dv, geometry=geom, items=items, masked=masked, grant=g, index=ix,
                 versions=versions, ids=feature_ids.of(db.connection(), res.id, dv.version))


# -- parameters -----------------------------------------------------------------------------------------------------

def parse_bbox(text: str | None, crs: CrsInfo) -> Any:
    """The bbox (4 or 6 numbers, in `crs`'s axis order) as a Shapely box in storage CRS, or None."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise bad("bbox 须为 4 或 6 个数", "bbox must be 4 or 6 numbers", "bbox") from None
    if len(nums) not in (4, 6) or not all(math.isfinite(n) for n in nums):
        raise bad("bbox 须为 4 或 6 个数", "bbox must be 4 or 6 numbers", "bbox")
    x1, y1, x2, y2 = (nums[0], nums[1], nums[3], nums[4]) if len(nums) == 6 else nums
    if crs.lat_first and crs.geographic:
        x1, y1, x2, y2 = y1, x1, y2, x2
    if x1 > x2 or y1 > y2:
        raise bad("bbox 的下限大于上限", "bbox: a lower corner above the upper one", "bbox")
    if crs.geographic and not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90 and -90 <= y2 <= 90):
        raise bad("bbox 超出经纬度范围（经度 ±180，纬度 ±90）",
                  "bbox is outside longitude ±180 / latitude ±90", "bbox")
    from shapely.geometry import box

    area = box(x1, y1, x2, y2)
    if crs.key in (CRS84.key, STORAGE.key, "EPSG:4326"):
        return area
    try:
        return convert_geometry(shapely.segmentize(area, (x2 - x1) / 16 or 1), crs, STORAGE)
    except Invalid as exc:
        raise bad(f"bbox 无法转换：{exc.zh}", f"bbox cannot be converted: {exc.en}", "bbox") from None


def parse_crs_param(value: str | None, name: str) -> CrsInfo:
    """An output or input CRS parameter (one of OUTPUT_CRS), CRS84 by default; 400 naming the parameter."""
    if value is None or value == "":
        return CRS84
    try:
        crs = parse_crs(value, field=name)
    except Invalid as exc:
        raise bad(exc.zh, exc.en, name) from None
    if crs.key not in OUTPUT_CRS:
        raise bad(f"不支持的坐标系 {value[:80]}", f"unsupported CRS {value[:80]}", name)
    return crs


def check_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise bad(f"limit 须在 1 至 {MAX_LIMIT} 之间", f"limit must be between 1 and {MAX_LIMIT}", "limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise bad(f"offset 须在 0 至 {MAX_OFFSET} 之间", f"offset must be between 0 and {MAX_OFFSET}", "offset")


def _column(layer: Layer, name: str, where: str, usage: tuple[str, str] | None):
    spec = layer.by_name.get(name)
    if spec is None:
        shown = str(name)[:64]
        raise bad(f"{where}：属性 {shown} 不存在", f"{where}: no property {shown}", where)
    if usage and name in layer.masked:
        raise bad(f"属性 {name} 已脱敏，不能用于{usage[0]}", f"the property {name} is masked and cannot be used to "
                  f"{usage[1]}", where)
    return layer.version.table.c[name], spec


def _typed(spec: ItemSpec, text: str, name: str) -> Any:
    from zhicheng.catalog.datasets.rowquery.filters import convert

    try:
        return convert(spec, text, name)
    except Invalid as exc:
        raise bad(exc.zh, exc.en, name) from None


def parse_sortby(layer: Layer, text: str | None) -> list[tuple[str, bool]]:
    """`sortby=+a,-b` as (column, descending) pairs."""
    out: list[tuple[str, bool]] = []
    for part in (p.strip() for p in (text or "").split(",")):
        if part:
            name = part.lstrip("+-")
            if name == "id":
                name = ROW_COLUMN
            else:
                _column(layer, name, "sortby", ("排序", "sort by"))
            out.append((name, part.startswith("-")))
    return out


def parse_properties(layer: Layer, text: str | None) -> list[str]:
    """The properties asked for (all visible ones by default)."""
    if text is None:
        return [s.name for s in layer.items]
    names = [n.strip() for n in text.split(",") if n.strip()]
    for n in names:
        _column(layer, n, "properties", None)
    return list(dict.fromkeys(names))


def _spatial(layer: Layer, op: str, geom, filter_crs: CrsInfo | None = None) -> sa.ColumnElement:
    if layer.geometry.name in layer.masked:
        raise bad("几何属性已脱敏，不能用于空间筛选", "the geometry is masked and cannot be used to filter", "bbox")
    if layer.index is None:  # pragma: no cover - open_layer builds it
        raise bad("图层没有空间索引", "the collection has no spatial index", "bbox")
    if filter_crs is not None and filter_crs.key not in (CRS84.key, STORAGE.key, "EPSG:4326"):
        geom = convert_geometry(geom, filter_crs, STORAGE)
    return index.spatial_condition(layer.index, layer.version.table.c[ROW_COLUMN], op, geom)


def filter_condition(layer: Layer, text: str | None, lang: str | None, filter_crs: str | None) -> Any:
    """The CQL2 filter as one bound condition, or None."""
    if text is None or text == "":
        return None
    crs = parse_crs_param(filter_crs, "filter-crs")
    node = cql.parse(text, lang)

    def resolve(name: str):
        return _column(layer, name, "filter", ("筛选", "filter"))

    def spatial(op: str, geom):
        if crs.lat_first and crs.geographic:
            geom = shapely.transform(geom, lambda c: c[:, ::-1])
        return _spatial(layer, op, geom, crs)

    return cql.Compiler(resolve, spatial, {layer.geometry.name, "geometry"}).condition(node)


# -- features -------------------------------------------------------------------------------------------------------

def equality_params(layer: Layer, params: Any) -> dict[str, str]:
    """The query parameters that name a property (Part 1: queryables as query parameters, equality filters)."""
    return {k: v for k, v in params.items() if k in layer.by_name}


def plain_queryables(specs) -> dict[str, Any]:
    """The queryables of a version as any caller may use them (items that could be masked left out)."""
    return {s.name: {"title": s.label or s.name, **_schema_type(s)} for s in specs
            if ItemType(s.type) is not ItemType.GEOMETRY and not masking.needs_masking(s)}


def items(db: Session, layer: Layer, *, equals: dict[str, str] | None = None, bbox: str | None = None, bbox_crs: str | None = None,
          filter_text: str | None = None, filter_lang: str | None = None, filter_crs: str | None = None,
          properties: str | None = None, sortby: str | None = None, limit: int = DEFAULT_LIMIT, offset: int = 0,
          crs: str | None = None, ip: str | None = None, after: int | None = None) -> FeaturePage:
    """One page of the layer's features, masked as policy says, geometry in `crs`; the read is audited. `after` (a
    row number, from a `next` link) starts the page after that row instead of skipping `offset` rows (which then
    only says where the page stands): deep pages cost what the first does; not with `sortby`."""
    check_paging(limit, offset)
    if after is not None and not 0 <= after < 2**31:
        raise bad("after 须为 0 至 2³¹-1 之间的整数", "after must be an integer from 0 to 2³¹-1", "after")
    if after is not None and sortby:
        raise bad("after 不能与 sortby 同用（请用 offset）", "after cannot be used with sortby (use offset)", "after")
    out_crs = parse_crs_param(crs, "crs")
    in_crs = parse_crs_param(bbox_crs, "bbox-crs")
    table = layer.version.table
    conds = access.row_conditions(layer.grant, table, layer.version.specs)
    area = parse_bbox(bbox, in_crs)
    if area is not None:
        conds.append(_spatial(layer, "intersects", area))
    cond = filter_condition(layer, filter_text, filter_lang, filter_crs)
    if cond is not None:
        conds.append(cond)
    for name, text in (equals or {}).items():
        col, spec = _column(layer, name, name, ("筛选", "filter"))
        conds.append(col == _typed(spec, text, name))
    order = parse_sortby(layer, sortby)
    names = parse_properties(layer, properties)
    conn = db.connection()
    index.prepare_connection(conn)
    # a version's rows never change, so the count of one query over it is kept (the walk of a layer asks it once)
    key = (layer.version.id, layer.version.table_name, str(layer.version.imported_at), bbox, bbox_crs, filter_text,
           filter_lang, filter_crs, tuple(sorted((equals or {}).items())),
           orjson.dumps(layer.grant.row_filter, option=orjson.OPT_SORT_KEYS) if layer.grant.row_filter else None)
    matched = _COUNTS.get(key)
    if matched is None:
        if area is not None and len(conds) == 1:  # a bbox alone: counted in the spatial index, no join
            matched = index.spatial_count(conn, layer.index, "intersects", area)
        else:
            count_q = sa.select(sa.func.count()).select_from(table)
            if conds:
                count_q = count_q.where(*conds)
            matched = int(conn.execute(count_q).scalar_one())
        if len(_COUNTS) >= COUNTS_KEPT:
            _COUNTS.clear()
        _COUNTS[key] = matched
    cols = [table.c[ROW_COLUMN], table.c[layer.geometry.name], *(table.c[n] for n in names)]
    query = sa.select(*cols)
    if area is not None and len(conds) == 1 and not order:  # a bbox alone: the page is taken in the spatial index
        query = query.where(index.spatial_page(layer.index, table.c[ROW_COLUMN], "intersects", area, after=after,
                                               limit=limit, offset=0 if after is not None else offset))
        query = query.order_by(table.c[ROW_COLUMN].asc())
    else:
        if conds:
            query = query.where(*conds)
        ordering = [table.c[n].desc().nulls_last() if d else table.c[n].asc().nulls_first() for n, d in order]
        query = query.order_by(*ordering, table.c[ROW_COLUMN].asc()).limit(limit)
        query = query.where(table.c[ROW_COLUMN] > after) if after is not None else query.offset(offset)
    rows = [tuple(r) for r in conn.execute(query).all()]  # one fetch, not a driver call per row
    features = _features(db, layer, rows, names, out_crs)
    masked = [n for n in [layer.geometry.name, *names] if n in layer.masked]
    record(db, actor=layer.grant.reader, action="geo.features.read", target_kind="catalog.dataset",
           target_id=layer.resource.id, ip=ip,
           detail={"version": layer.version.version, "rows": len(features), "via": layer.grant.via,
                   "masked": masked, "bbox": bbox, "filter": (filter_text or "")[:200] or None,
                   "equals": {k: str(v)[:100] for k, v in (equals or {}).items()} or None,
                   "grant_id": getattr(layer.grant.grant, "id", None)})
    if layer.grant.grant is not None:
        from zhicheng.exchange import grants

        grants.note_use(db, layer.grant.grant, rows=len(features))
    db.commit()
    return FeaturePage(features=features, number_matched=matched, number_returned=len(features), limit=limit,
                       offset=offset, crs=out_crs, layer=layer, last_row=rows[-1][0] if rows else None)


ROWS_PAGE = 5_000  # rows per read of `rows`


def rows(db: Session, layer: Layer) -> Iterator[dict[str, Any]]:
    """Every row of the opened layer as {item: value} (the geometry item's GeoJSON text in storage CRS, then the
    visible items), in row order, within the grant's rows and masked as policy says: the reader of whatever works on a
    whole layer (the geocoder's index). Keyset reads of ROWS_PAGE rows on a session of its own (bounded memory; the
    caller's session stays free); the caller audits what it does with them."""
    from sqlalchemy.orm import sessionmaker

    table = layer.version.table
    names = [layer.geometry.name, *(s.name for s in layer.items)]
    cols = [table.c[ROW_COLUMN], *(table.c[n] for n in names)]
    maskers = masking.rules_in_force(db).column_maskers({n: layer.masked[n] for n in names if n in layer.masked})
    conds = access.row_conditions(layer.grant, table, layer.version.specs)
    after = 0
    with sessionmaker(bind=db.get_bind())() as own:
        while True:
            query = sa.select(*cols).where(table.c[ROW_COLUMN] > after, *conds)
            page = own.connection().execute(query.order_by(table.c[ROW_COLUMN]).limit(ROWS_PAGE)).all()
            if not page:
                return
            columns = list(zip(*page, strict=True))
            values = {n: list(columns[i + 1]) for i, n in enumerate(names)}
            for n, m in maskers.items():
                values[n] = m(values[n])
            for i in range(len(page)):
                yield {n: values[n][i] for n in names}
            after = page[-1][0]


def feature(db: Session, layer: Layer, fid: str, *, crs: str | None = None, ip: str | None = None) -> dict:
    """One feature by id (stable across the versions transactions make: `feature_ids`), masked and audited;
    NotFound otherwise."""
    out_crs = parse_crs_param(crs, "crs")
    row = None
    if isinstance(fid, str) and fid.isascii() and fid.isdigit() and 0 < int(fid) < 2**62:
        row = layer.ids.row(int(fid), layer.version.row_count)
    if row is None:
        raise NotFound(f"要素 {str(fid)[:40]} 不存在", f"feature {str(fid)[:40]} not found", field="featureId")
    table = layer.version.table
    names = [s.name for s in layer.items]
    conds = [table.c[ROW_COLUMN] == row, *access.row_conditions(layer.grant, table, layer.version.specs)]
    query = sa.select(table.c[ROW_COLUMN], table.c[layer.geometry.name], *(table.c[n] for n in names)).where(*conds)
    rows = [tuple(r) for r in db.connection().execute(query)]
    if not rows:
        raise NotFound(f"要素 {fid} 不存在", f"feature {fid} not found", field="featureId")
    found = _features(db, layer, rows, names, out_crs)[0]
    record(db, actor=layer.grant.reader, action="geo.features.read", target_kind="catalog.dataset",
           target_id=layer.resource.id, ip=ip,
           detail={"version": layer.version.version, "rows": 1, "via": layer.grant.via, "feature": int(fid),
                   "masked": [n for n in [layer.geometry.name, *names] if n in layer.masked]})
    db.commit()
    return found


def _features(db: Session, layer: Layer, rows: list[tuple], names: list[str], crs: CrsInfo) -> list[dict]:
    rules = masking.rules_in_force(db)
    maskers = rules.column_maskers({n: layer.masked[n] for n in names if n in layer.masked})
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in range(len(names) + 2)]
    values = {n: list(columns[i + 2]) for i, n in enumerate(names)}
    for n, m in maskers.items():
        values[n] = m(values[n])
    for n, vals in values.items():  # columns of text and integers are JSON as they are; the rest converted
        kinds = set(map(type, vals))
        if kinds <= _AS_THEY_ARE:
            continue
        if kinds <= _DATES:
            values[n] = [None if v is None else v.isoformat() for v in vals]
        else:
            values[n] = [_property_value(v) for v in vals]
    geoms = _geometries(list(columns[1]), crs, layer.geometry.name in layer.masked, rules)
    ids = [r[0] for r in rows] if layer.ids.identity else [layer.ids.fid(r[0]) for r in rows]  # row numbers until a
    # transaction made the version
    props = zip(*(values[n] for n in names), strict=True) if names else ((),) * len(rows)
    return [{"type": "Feature", "id": i, "geometry": g, "properties": dict(zip(names, p, strict=True))}
            for i, g, p in zip(ids, geoms, props, strict=True)]


_AS_THEY_ARE = {str, int, type(None)}
_DATES = {date, type(None)}


def _property_value(value: Any) -> Any:
    """A value as a GeoJSON property: decimals as JSON numbers (GIS clients type the field by them; a float when it
    keeps every digit, else the exact digits), dates as ISO text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if type(value) is date:  # what orjson writes for a date, without the round trip
        return value.isoformat()
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else orjson.Fragment(format(value, "f"))
    return orjson.loads(orjson.dumps(value, default=json_default))


def _geometries(texts: list[Any], crs: CrsInfo, coarsen: bool, rules: masking.Rules) -> list[Any]:
    """GeoJSON geometry texts (storage CRS) → GeoJSON objects in `crs` (masked ones coarsened to the coordinates
    rule's precision), as orjson fragments (no second parse)."""
    if not texts:
        return []
    if not coarsen and crs.key in (CRS84.key, STORAGE.key) and not (crs.lat_first and crs.geographic):
        # the stored text is already the GeoJSON geometry in this CRS (the import wrote it): sent as it is
        if all(t is None or (type(t) is str and t[:1] == "{") or t == "" for t in texts):
            return [orjson.Fragment(t) if t else None for t in texts]
    geoms = shapely.from_geojson([t if t else None for t in texts], on_invalid="ignore")
    if coarsen:
        decimals = int((rules.params.get("coordinates") or {}).get("decimals", 2))
        geoms = shapely.set_precision(geoms, 10 ** -decimals)
    if crs.key not in (CRS84.key, STORAGE.key, "EPSG:4326"):
        geoms = convert_geometry(geoms, STORAGE, crs)
    if crs.lat_first and crs.geographic:
        geoms = shapely.transform(geoms, lambda c: c[:, ::-1])
    texts = shapely.to_geojson(geoms)
    return [None if t is None else orjson.Fragment(t) for t in texts]


def extent_of(ix: LayerIndex | None) -> list[float] | None:
    if ix is None or ix.minx is None:
        return None
    return [ix.minx, ix.miny, ix.maxx, ix.maxy]


def queryables(layer: Layer) -> dict[str, Any]:
    """The properties a filter may name (masked ones left out), as JSON Schema."""
    props: dict[str, Any] = {layer.geometry.name: {"title": layer.geometry.label or layer.geometry.name,
                                                   "format": "geometry-any",
                                                   "x-ogc-role": "primary-geometry"}}
    if layer.geometry.name in layer.masked:
        props = {}
    for s in layer.items:
        if s.name in layer.masked:
            continue
        props[s.name] = {"title": s.label or s.name, **_schema_type(s)}
    return props


def _schema_type(s: ItemSpec) -> dict[str, Any]:
    kind = ItemType(s.type)
    if kind is ItemType.INTEGER:
        return {"type": "integer"}
    if kind is ItemType.DECIMAL:
        return {"type": "number"}
    if kind is ItemType.BOOLEAN:
        return {"type": "boolean"}
    if kind is ItemType.DATE:
        return {"type": "string", "format": "date"}
    if kind is ItemType.DATETIME:
        return {"type": "string", "format": "date-time"}
    return {"type": "string"}


# -- after an import --------------------------------------------------------------------------------------------------

def index_after_import(factory, payload: dict[str, Any]) -> LayerIndex | None:
    """Build the index of an imported version when it is a layer (run on `catalog.dataset.imported`)."""
    rid, version = payload.get("resource_id"), payload.get("version")
    if not isinstance(rid, int) or not isinstance(version, int):
        return None
    with factory() as db:
        dv = fastread.version_info(db.connection(), rid, version)
        if dv is None or index.geometry_item(dv.specs) is None:
            return None
        return index.ensure(db, resource_id=rid, version=version, ds_table=dv.table, specs=dv.specs)
