"""Reading a whole layer version through the layer service (policy, masking, audit), page by page, and the metric
(Gauss-Krüger) transform the change and statistics work measures in."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import orjson
import shapely
from pyproj import Transformer
from sqlalchemy.orm import Session

from zhicheng.catalog.datasets import fastread
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.geo.layers import access, index
from zhicheng.geo.layers import service as layers

PAGE = 5_000  # features per read: memory per page is bounded by this


def open_version(db: Session, *, actor: Actor, request: Any, code: str, version: int | None,
                 field: str = "version") -> layers.Layer:
    """Version `version` (None: the newest) of layer `code` as `actor` may read it: the gate, the visible items and
    the masking are the layer service's."""
    layer = layers.open_layer(db, actor=actor, request=request, code=code, build_index=version is None)
    if version is None or version == layer.version.version:
        if layer.index is None:
            layer = dataclasses.replace(layer, index=index.ensure(
                db, resource_id=layer.resource.id, version=layer.version.version, ds_table=layer.version.table,
                specs=layer.version.specs))
        return layer
    dv = fastread.version_info(db.connection(), layer.resource.id, version)
    if dv is None:
        raise NotFound(f"图层 {code} 没有第 {version} 版", f"layer {code} has no version {version}", field=field)
    geom = index.geometry_item(dv.specs)
    if geom is None:
        raise NotFound(f"图层 {code} 的第 {version} 版没有几何数据", f"version {version} of {code} holds no geometry",
                       field=field)
    g = layer.grant
    items = [s for s in dv.specs if s.name != geom.name and (g.items is None or s.name in g.items)]
    masked = access.masks(db, g, layer.resource, [*items, geom])
    ix = index.ensure(db, resource_id=layer.resource.id, version=dv.version, ds_table=dv.table, specs=dv.specs)
    return dataclasses.replace(layer, version=dv, geometry=geom, items=items, masked=masked, index=ix)


def count(db: Session, layer: layers.Layer, ip: str | None = None) -> int:
    """How many features the caller may read in the version."""
    return layers.items(db, layer, limit=1, offset=0, ip=ip).number_matched


def iter_features(db: Session, layer: layers.Layer, *, ip: str | None = None, page: int = PAGE,
                  progress: Callable[[int, int], None] | None = None) -> Iterator[list[dict]]:
    """The version's features in pages of plain GeoJSON dicts (CGCS2000 lon/lat), each page read, masked and
    audited by the layer service."""
    offset = 0
    after = None  # keyset: each page starts after the last one's row, so the walk costs what its pages do
    while True:
        got = layers.items(db, layer, limit=page, offset=offset, ip=ip, after=after)
        feats = orjson.loads(orjson.dumps(got.features))
        offset += got.number_returned
        after = got.last_row
        if progress is not None:
            progress(offset, got.number_matched)
        if feats:
            yield feats
        if not got.has_next or not feats:
            return


def geometries(features: list[dict]) -> Any:
    """The features' geometries as a Shapely array (None where missing or unreadable)."""
    texts = [orjson.dumps(f["geometry"]).decode() if f.get("geometry") else None for f in features]
    return shapely.from_geojson(texts, on_invalid="ignore")


def gk_epsg(lon: float) -> int:
    """The CGCS2000 3° Gauss-Krüger zone (by central meridian, EPSG:4534…4554) of a longitude (113°E → 4547)."""
    meridian = min(135, max(75, round(lon / 3) * 3))
    return 4534 + (meridian - 75) // 3


@cache
def _forward(epsg: int) -> Transformer:
    return Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)


def to_metric(geoms: Any, epsg: int) -> Any:
    """CGCS2000 lon/lat geometries in metres of the Gauss-Krüger zone `epsg`."""
    fwd = _forward(epsg)

    def apply(xy):
        import numpy as np

        x, y = fwd.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geoms, apply)


def zone_of(geoms: Any) -> int:
    """The Gauss-Krüger zone of the middle of some lon/lat geometries (114°E zone when there are none)."""
    arr = [g for g in (geoms if hasattr(geoms, "__len__") else [geoms]) if g is not None and not g.is_empty]
    if not arr:
        return 4547
    minx, _, maxx, _ = shapely.total_bounds(arr)
    return gk_epsg((minx + maxx) / 2)


def bad(zh: str, en: str, name: str) -> Invalid:
    return Invalid(zh, en, field=name, status=400, code="invalid_parameter")
