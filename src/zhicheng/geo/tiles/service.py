"""Vector tiles of a layer (and of the city's base map): features read through the layer query service (policy,
masking and audit apply), clipped and simplified per zoom, encoded by `mapbox-vector-tile`, cached in the data folder
per layer version and per view (what the reader may see), dropped when a layer gets a new version."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import numpy as np
import orjson
import shapely
from sqlalchemy.orm import Session

from zhicheng.core import changes
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.geo.layers import access
from zhicheng.geo.layers import service as layers
from zhicheng.geo.tiles.matrix import Matrix, matrix_set
from zhicheng.policy import masking
from zhicheng.policy.audit import record

EXTENT = 4096
BUFFER = 64  # tile units around the tile kept so lines and fills join across tiles
PAGE = 5_000
MAX_FEATURES = 20_000  # per layer per tile: bounded memory at low zooms (the rest is left out of that tile)
BASEMAP = "basemap"
# the base map's source layers: (name, words in a layer's name that put it there, geometry kinds kept, min zoom,
# an equality filter used where the layer has that item: the address layer's 区县 rows are district polygons, its
# 街路巷 rows road lines)
BASEMAP_LAYERS = [
    ("water", ("水系", "河流", "湖泊", "水域", "湘江"), None, 0, None),
    ("districts", ("地址",), ("Polygon", "MultiPolygon"), 0, ("address_kind", "区县")),
    ("boundaries", ("区县", "行政区", "街道", "乡镇", "社区", "边界"), ("Polygon", "MultiPolygon"), 0, None),
    ("roads", ("道路", "街路巷", "地址"), ("LineString", "MultiLineString"), 10, ("address_kind", "街路巷")),
    ("grids", ("网格",), ("Polygon", "MultiPolygon"), 13, None),
]
LABEL_PROPS = ("name", "mc", "名称", "road_name", "district_name", "grid_code", "code")
OPENED_TTL = 30.0  # seconds a resolved (layer version, view) is reused for cache hits (also keyed by `changes`)
OPENED_MAX = 4096  # entries kept before the memo starts afresh (bounded memory)


@dataclass
class Tile:
    """An encoded tile and whether it came from the cache."""

    data: bytes
    cached: bool
    version: str  # what the ETag names: layer versions and view


def tiles_root(settings) -> Path:
    return Path(settings.data) / "tiles"


def view_key(db: Session, layer: layers.Layer) -> str:
    """A digest of what the reader sees of the layer (items, masking and the masking rules in force, row filter):
    readers with the same view share cache entries, readers with different masking never do, and an admin's edit of
    the masking rules names new entries at once (as `exchange.masked_copy` signatures do)."""
    g = layer.grant
    view = {"items": [s.name for s in layer.items], "masked": sorted(layer.masked.items()),
            "rules": masking.rules_in_force(db).version if layer.masked else None,
            "rows": g.row_filter or None, "grant": getattr(g.grant, "id", None) if g.row_filter else None}
    return hashlib.sha256(orjson.dumps(view, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def _cache_path(settings, resource_id: int, version: int, view: str, tms: Matrix, z: int, y: int, x: int) -> Path:
    return tiles_root(settings) / f"r{resource_id}" / f"v{version}" / view / tms.id / str(z) / str(y) / f"{x}.mvt"


def _read_cache(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _write_cache(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{id(data)}")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # atomic: concurrent readers see a whole tile or none


def invalidate(settings, resource_id: int, keep_version: int | None = None) -> int:
    """Drop the cached tiles of a layer (all versions but `keep_version`) and every base-map tile; the count of
    version folders dropped."""
    dropped = 0
    folder = tiles_root(settings) / f"r{resource_id}"
    if folder.is_dir():
        for sub in folder.iterdir():
            if sub.name != f"v{keep_version}":
                shutil.rmtree(sub, ignore_errors=True)
                dropped += 1
    shutil.rmtree(tiles_root(settings) / BASEMAP, ignore_errors=True)
    return dropped


# -- encoding ---------------------------------------------------------------------------------------------------------

def _mvt_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, orjson.Fragment):
        return orjson.loads(orjson.dumps(value))
    return str(value)


def _shapes(geometries: list[Any]) -> np.ndarray:
    """GeoJSON geometries as one array of Shapely geometries (None where absent or unreadable), parsed at once."""
    texts = [None if g is None else orjson.dumps(g) for g in geometries]
    return shapely.from_geojson(np.array(texts, dtype=object), on_invalid="ignore")


def _prepare(geoms: np.ndarray, bounds: tuple[float, float, float, float]) -> np.ndarray:
    """Clip to the buffered tile, simplify to a tile unit (simplification per zoom follows from the tile size) and
    put in tile units (0..EXTENT, y up, rounded as the encoder's own `quantize_bounds` rounds), all vectorised: the
    encoder's per-coordinate Python transform was half of an uncached tile's time. None where nothing is left."""
    minx, miny, maxx, maxy = bounds
    unit = (maxx - minx) / EXTENT
    pad = unit * BUFFER
    kinds = shapely.get_type_id(geoms)
    lines = (kinds != -1) & (kinds != 0) & (kinds != 4)  # not None, not (Multi)Point: clipped and simplified
    if lines.any():
        cut = shapely.clip_by_rect(geoms[lines], minx - pad, miny - pad, maxx + pad, maxy + pad)
        geoms = geoms.copy()
        geoms[lines] = shapely.simplify(cut, unit, preserve_topology=True)
    scale = np.array([EXTENT / (maxx - minx), EXTENT / (maxy - miny)])
    origin = np.array([minx, miny])
    geoms = shapely.transform(geoms, lambda xy: np.round((xy - origin) * scale))
    geoms[shapely.is_empty(geoms) | shapely.is_missing(geoms)] = None
    return geoms


def _read_features(db: Session, layer: layers.Layer, tms: Matrix, z: int, y: int, x: int,
                   ip: str | None, equals: dict[str, str] | None = None) -> list[dict]:
    """The layer's features over the tile (in the set's CRS), read page by page through the layer service."""
    minlon, minlat, maxlon, maxlat = tms.lonlat_bounds(z, y, x)
    dx, dy = (maxlon - minlon) * BUFFER / EXTENT, (maxlat - minlat) * BUFFER / EXTENT
    bbox = (f"{max(-180, minlon - dx)!r},{max(-90, minlat - dy)!r},"
            f"{min(180, maxlon + dx)!r},{min(90, maxlat + dy)!r}")
    out: list[dict] = []
    offset, after = 0, None  # keyset pages: each starts after the last one's row
    while len(out) < MAX_FEATURES:
        page = layers.items(db, layer, equals=equals, bbox=bbox, limit=min(PAGE, MAX_FEATURES - len(out)), offset=offset,
                            crs=tms.crs_key, ip=ip, after=after)
        out.extend(page.features)
        if not page.has_next:
            break
        offset += page.number_returned
        after = page.last_row
    return out


def encode_layer(name: str, features: list[dict], bounds: tuple[float, float, float, float],
                 kinds: tuple[str, ...] | None = None, props: tuple[str, ...] | None = None) -> dict:
    """One MVT layer (as `mapbox_vector_tile.encode` takes it) of GeoJSON features already in the tile's CRS, its
    geometries in tile units."""
    geoms = _prepare(_shapes([f.get("geometry") for f in features]), bounds)
    out = []
    for f, g in zip(features, geoms, strict=True):
        if g is None or (kinds and g.geom_type not in kinds):
            continue
        values = f.get("properties") or {}
        if props is not None:
            values = {k: values[k] for k in props if k in values}
        properties = {k: v for k, v in ((k, _mvt_value(v)) for k, v in values.items()) if v is not None}
        feat = {"geometry": g, "properties": properties}
        if isinstance(f.get("id"), int):
            feat["id"] = f["id"]
        out.append(feat)
    return {"name": name, "features": out}


def encode(mvt_layers: list[dict], bounds: tuple[float, float, float, float]) -> bytes:
    """The tile of layers from `encode_layer` (geometries already in tile units, so no `quantize_bounds`)."""
    return mapbox_vector_tile.encode(mvt_layers, default_options={"extents": EXTENT})


# -- fast cache hits --------------------------------------------------------------------------------------------------
# A hit needs only which cached file the caller's view names: (layer version, view digest). Opening the layer for it
# (versions, masks, index) is remembered per (actor, layer, datetime) for OPENED_TTL seconds and while the catalog's
# change counter (`core.changes`: bumped by every catalog change and every new version) is unchanged. The policy gate
# still runs on every hit, and the hit is served from the memo only when the gate answers the same way in (via,
# grant, row filter, items) as when the view was resolved; every hit is audited, as every other door's read is.


@dataclass(frozen=True)
class _Opened:
    counter: int
    until: float
    resource: Any
    way: tuple
    version: int
    view: str
    masked: tuple[str, ...]
    rules: str | None  # the masking rules' version the view was resolved under (None: nothing masked)


_opened: dict[tuple, _Opened] = {}


def _way(g: access.LayerAccess) -> tuple:
    """What of the gate's answer the view depends on."""
    rows = orjson.dumps(g.row_filter, option=orjson.OPT_SORT_KEYS) if g.row_filter else None
    return (g.via, getattr(g.grant, "id", None), rows, None if g.items is None else tuple(g.items),
            tuple(sorted(g.plain or ())))


def _remember(key: tuple, counter: int, layer: layers.Layer, view: str, rules: str | None) -> None:
    if len(_opened) >= OPENED_MAX:
        _opened.clear()
    _opened[key] = _Opened(counter, time.monotonic() + OPENED_TTL, layer.resource, _way(layer.grant),
                           layer.version.version, view, tuple(sorted(layer.masked)), rules)


def forget_opened() -> None:
    """Drop the memo of resolved views (tests, and after a policy change that must apply at once)."""
    _opened.clear()


def _audit_read(db: Session, g: access.LayerAccess, resource_id: int, version: int, tms: Matrix, z: int, y: int,
                x: int, masked, ip: str | None) -> None:
    record(db, actor=g.reader, action="geo.tiles.read", target_kind="catalog.dataset", target_id=resource_id, ip=ip,
           detail={"version": version, "tile": f"{tms.id}/{z}/{y}/{x}", "cached": True, "via": g.via,
                   "masked": sorted(masked)})
    db.commit()


def _fast_hit(db: Session, settings, key: tuple, actor: Actor, request: Any, tms: Matrix, z: int, y: int, x: int,
              ip: str | None) -> Tile | None:
    """The cached tile through the memo of the caller's view, or None (then the full path decides)."""
    entry = _opened.get(key)
    if entry is None or entry.until < time.monotonic():
        return None
    rid = entry.resource.id
    path = _cache_path(settings, rid, entry.version, entry.view, tms, z, y, x)
    data = _read_cache(path)
    if data is None or changes.value(db, "catalog") != entry.counter:
        return None
    g = access.gate(db, actor, request, entry.resource)  # who may read: decided again on every hit
    if _way(g) != entry.way:
        return None
    if entry.rules is not None and masking.rules_in_force(db).version != entry.rules:
        return None  # an admin edited the masking rules: the full path names the new view
    _audit_read(db, g, rid, entry.version, tms, z, y, x, entry.masked, ip)
    return Tile(data, True, f"{rid}.{entry.version}.{entry.view}")


# -- doors ------------------------------------------------------------------------------------------------------------

def layer_tile(db: Session, settings, *, actor: Actor, request: Any, code: str, tms_id: str, z: int, y: int, x: int,
               ip: str | None = None, use_cache: bool = True, datetime_: str | None = None) -> Tile:
    """The tile of a layer as `actor` may see it: the version in force at `datetime_` (as the Features API's
    `datetime`), else the newest; from the cache when there (the cache is keyed by version)."""
    tms = matrix_set(tms_id)
    key = (str(settings.data), actor, code, datetime_)  # the data folder: one memo entry per deployment
    if use_cache:
        hit = _fast_hit(db, settings, key, actor, request, tms, z, y, x, ip)
        if hit is not None:
            return hit
    counter = changes.value(db, "catalog")  # read before opening: a change in between only makes the memo stale
    layer = layers.open_layer(db, actor=actor, request=request, code=code, datetime_=datetime_)
    view = view_key(db, layer)
    _remember(key, counter, layer, view, masking.rules_in_force(db).version if layer.masked else None)
    path = _cache_path(settings, layer.resource.id, layer.version.version, view, tms, z, y, x)
    etag = f"{layer.resource.id}.{layer.version.version}.{view}"
    data = _read_cache(path) if use_cache else None
    if data is not None:
        _audit_read(db, layer.grant, layer.resource.id, layer.version.version, tms, z, y, x, layer.masked, ip)
        return Tile(data, True, etag)
    bounds = tms.bounds(z, y, x)
    features = _read_features(db, layer, tms, z, y, x, ip)
    data = encode([encode_layer(layers.collection_id(layer.code), features, bounds)], bounds)
    if use_cache:
        _write_cache(path, data)
    return Tile(data, False, etag)


def basemap_sources(db: Session, *, actor: Actor) -> list[tuple[str, dict, tuple | None, int, tuple | None]]:
    """The layers the base map draws for `actor`: (source layer, layer entry, geometry kinds, min zoom, filter)."""
    out = []
    for entry in layers.list_layers(db, actor=actor):
        name = entry.get("name") or ""
        names = {s.name for s in entry.get("items") or []}
        for source, words, kinds, minzoom, equals in BASEMAP_LAYERS:
            if any(w in name for w in words) and (equals is None or equals[0] in names):
                out.append((source, entry, kinds, minzoom, equals))
                if equals is None:
                    break
    return out


def basemap_tile(db: Session, settings, *, actor: Actor, request: Any, tms_id: str, z: int, y: int, x: int,
                 ip: str | None = None, use_cache: bool = True) -> Tile:
    """The combined base-map tile (boundaries, water, roads, grids of the city's own layers) for `actor`."""
    tms = matrix_set(tms_id)
    opened = []
    for source, entry, kinds, minzoom, equals in basemap_sources(db, actor=actor):
        try:
            layer = layers.open_layer(db, actor=actor, request=request, code=entry["code"])
        except AppError:  # listed but not readable this way (e.g. open on conditions, no key): left off the map
            db.rollback()
            continue
        if equals is not None and equals[0] in layer.masked:
            continue
        opened.append((source, layer, kinds, minzoom, {equals[0]: equals[1]} if equals else None))
    key = "|".join(f"{s}:{lay.resource.id}.{lay.version.version}.{view_key(db, lay)}" for s, lay, *_ in opened)
    view = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = tiles_root(settings) / BASEMAP / view / tms.id / str(z) / str(y) / f"{x}.mvt"
    data = _read_cache(path) if use_cache else None
    if data is not None:
        return Tile(data, True, view)
    bounds = tms.bounds(z, y, x)
    grouped: dict[str, list[dict]] = {}
    for source, layer, kinds, minzoom, equals in opened:
        if z < minzoom:
            continue
        features = _read_features(db, layer, tms, z, y, x, ip, equals)
        encoded = encode_layer(source, features, bounds, kinds, LABEL_PROPS)
        for f in encoded["features"]:
            f["properties"]["layer"] = layers.collection_id(layer.code)
        grouped.setdefault(source, []).extend(encoded["features"])
    data = encode([{"name": s, "features": fs} for s, fs in grouped.items()], bounds)
    if use_cache:
        _write_cache(path, data)
    return Tile(data, False, view)


