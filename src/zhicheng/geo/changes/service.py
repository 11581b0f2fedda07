"""Change extraction between two versions of a layer, both read through the layer service (policy applies):
features matched by an id item, else by geometry (same WKB, then the nearest within the threshold, one STRtree
per chunk of the old version), reported as added, removed, attribute-changed and moved."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
import shapely
from shapely import STRtree
from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.geo.changes import reading
from zhicheng.geo.changes.reading import bad

KINDS = ("added", "removed", "changed", "moved")
CHUNK = 20_000  # old features per STRtree when matching by geometry
MAX_THRESHOLD = 100_000.0


def extract(db: Session, *, actor: Actor, request: Any, code: str, from_version: int, to_version: int,
            threshold: float = 1.0, id_item: str | None = None, ip: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """The changes from version `from_version` to `to_version` of layer `code`: counts and one entry per changed
    feature (`change`, ids, changed attributes old → new, distance moved in metres, geometry). Matched by `id_item`
    when given (a move is a displacement over `threshold` m), else by geometry (a feature of the new version is the
    old one moved when it lies within `threshold` m of it)."""
    if not isinstance(threshold, int | float) or not (0 <= threshold <= MAX_THRESHOLD) or threshold != threshold:
        raise bad(f"threshold 须在 0 到 {MAX_THRESHOLD:.0f} 米之间", f"threshold must be 0 to {MAX_THRESHOLD:.0f} m",
                  "threshold")
    old = reading.open_version(db, actor=actor, request=request, code=code, version=from_version, field="from")
    new = reading.open_version(db, actor=actor, request=request, code=code, version=to_version, field="to")
    if id_item is not None:
        for layer in (old, new):
            if id_item not in layer.by_name:
                raise bad(f"第 {layer.version.version} 版没有可读的数据项 {id_item[:40]}",
                          f"version {layer.version.version} has no readable item {id_item[:40]}", "id_item")
    names = [s.name for s in new.items if s.name in old.by_name]
    total = [0, reading.count(db, old, ip) + reading.count(db, new, ip)]

    def step(n: int, _m: int) -> None:
        if progress is not None:
            progress(min(total[1], total[0] + n), total[1])

    # the old version, compactly: (feature id, key, props, geometry)
    olds: list[tuple[Any, Any, dict, Any]] = []
    for page in reading.iter_features(db, old, ip=ip, progress=step):
        for f, g in zip(page, reading.geometries(page), strict=True):
            props = f.get("properties") or {}
            olds.append((f.get("id"), props.get(id_item) if id_item else None, props, g))
    total[0] = len(olds)
    news: list[tuple[Any, Any, dict, Any]] = []
    for page in reading.iter_features(db, new, ip=ip, progress=step):
        for f, g in zip(page, reading.geometries(page), strict=True):
            props = f.get("properties") or {}
            news.append((f.get("id"), props.get(id_item) if id_item else None, props, g))
    epsg = reading.zone_of([g for *_, g in olds[:1000] + news[:1000]])
    pairs: list[tuple[int, int]] = []  # (old index, new index)
    old_left = set(range(len(olds)))
    new_left = list(range(len(news)))
    if id_item:
        by_key: dict[Any, int] = {}
        for i, (_, key, _, _) in enumerate(olds):
            if key is not None and key not in by_key:
                by_key[key] = i
        rest = []
        for j in new_left:
            i = by_key.pop(news[j][1], None) if news[j][1] is not None else None
            if i is None:
                rest.append(j)
            else:
                pairs.append((i, j))
                old_left.discard(i)
        new_left = rest
        # rows without an id value fall back to geometry matching
        old_left = {i for i in old_left if olds[i][1] is None}
        keyless_new = [j for j in new_left if news[j][1] is None]
        added_by_key = [j for j in new_left if news[j][1] is not None]
        paired = {i for i, _ in pairs}
        removed_by_key = [i for i in range(len(olds)) if olds[i][1] is not None and i not in paired]
        geo_pairs, geo_new_left, geo_old_left = _match_geometry(olds, news, sorted(old_left), keyless_new,
                                                                threshold, epsg)
        pairs += geo_pairs
        new_left = added_by_key + geo_new_left
        old_left_list = removed_by_key + geo_old_left
    else:
        geo_pairs, new_left, old_left_list = _match_geometry(olds, news, sorted(old_left), new_left, threshold, epsg)
        pairs += geo_pairs
    entries: list[dict[str, Any]] = []
    counts = dict.fromkeys(KINDS, 0) | {"unchanged": 0}
    for i, j in sorted(pairs, key=lambda p: p[1]):
        o, n = olds[i], news[j]
        attrs = {k: [o[2].get(k), n[2].get(k)] for k in names if o[2].get(k) != n[2].get(k)}
        dist = _distance(o[3], n[3], epsg)
        moved = dist > threshold if id_item and n[1] is not None else dist > 0
        kind = "moved" if moved else ("changed" if attrs else None)
        if kind is None:
            counts["unchanged"] += 1
            continue
        counts[kind] += 1
        entries.append({"change": kind, "from_id": o[0], "to_id": n[0], "key": n[1], "attributes": attrs,
                        "distance_m": round(dist, 3), "geometry": n[3], "properties": n[2]})
    for j in sorted(new_left):
        n = news[j]
        counts["added"] += 1
        entries.append({"change": "added", "from_id": None, "to_id": n[0], "key": n[1], "attributes": {},
                        "distance_m": None, "geometry": n[3], "properties": n[2]})
    for i in sorted(old_left_list):
        o = olds[i]
        counts["removed"] += 1
        entries.append({"change": "removed", "from_id": o[0], "to_id": None, "key": o[1], "attributes": {},
                        "distance_m": None, "geometry": o[3], "properties": o[2]})
    return {"layer": code, "from": old.version.version, "to": new.version.version, "threshold_m": threshold,
            "matched_by": f"id:{id_item}" if id_item else "geometry", "crs_metric": f"EPSG:{epsg}",
            "counts": counts, "changes": entries}


def _distance(a: Any, b: Any, epsg: int) -> float:
    """How far a feature moved, in metres: the Hausdorff distance of its two geometries in the zone (0 when equal)."""
    if a is None or b is None:
        return 0.0 if a is b else float("inf")
    if shapely.equals_exact(a, b, tolerance=0):
        return 0.0
    ma, mb = reading.to_metric(np.array([a, b], dtype=object), epsg)
    return float(shapely.hausdorff_distance(ma, mb))


def _match_geometry(olds: list, news: list, old_ix: list[int], new_ix: list[int], threshold: float,
                    epsg: int) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Pairs (old, new) of features matched by geometry: the same WKB first, then each new feature's nearest old
    one within `threshold` m (searched one chunk of old features at a time, an STRtree per chunk); the new and old
    indices left unmatched."""
    pairs: list[tuple[int, int]] = []
    by_wkb: dict[bytes, list[int]] = {}
    old_wkb = shapely.to_wkb(np.array([olds[i][3] for i in old_ix], dtype=object)) if old_ix else []
    for i, w in zip(old_ix, old_wkb, strict=True):
        if w is not None:
            by_wkb.setdefault(w, []).append(i)
    used: set[int] = set()
    rest: list[int] = []
    new_wkb = shapely.to_wkb(np.array([news[j][3] for j in new_ix], dtype=object)) if new_ix else []
    for j, w in zip(new_ix, new_wkb, strict=True):
        hits = by_wkb.get(w) if w is not None else None
        if hits:
            i = hits.pop(0)
            used.add(i)
            pairs.append((i, j))
        else:
            rest.append(j)
    left_old = [i for i in old_ix if i not in used and olds[i][3] is not None]
    if rest and left_old and threshold > 0:
        new_geoms = reading.to_metric(np.array([news[j][3] for j in rest], dtype=object), epsg)
        best: dict[int, tuple[float, int]] = {}  # new position → (distance, old index)
        for start in range(0, len(left_old), CHUNK):
            chunk = left_old[start:start + CHUNK]
            old_geoms = reading.to_metric(np.array([olds[i][3] for i in chunk], dtype=object), epsg)
            tree = STRtree(old_geoms)
            src, dst = tree.query(new_geoms, predicate="dwithin", distance=threshold)
            if len(src) == 0:
                continue
            d = shapely.hausdorff_distance(new_geoms[src], old_geoms[dst])
            for s, t, dd in zip(src.tolist(), dst.tolist(), d.tolist(), strict=True):
                if dd <= threshold and (s not in best or dd < best[s][0]):
                    best[s] = (dd, chunk[t])
        # nearest first, each old feature used once
        taken: set[int] = set()
        matched_new: set[int] = set()
        for s, (_dd, i) in sorted(best.items(), key=lambda kv: kv[1][0]):
            if i in taken:
                continue
            taken.add(i)
            matched_new.add(s)
            pairs.append((i, rest[s]))
        used |= taken
        rest = [j for s, j in enumerate(rest) if s not in matched_new]
    return pairs, rest, [i for i in old_ix if i not in used]


def as_geojson(report: dict[str, Any]) -> dict[str, Any]:
    """The changes as a GeoJSON layer: each changed feature (the old geometry of a removed one) with its
    properties, `change`, the ids, the changed attributes and the distance moved."""
    feats = []
    for e in report["changes"]:
        g = e["geometry"]
        geometry = None if g is None else orjson.loads(shapely.to_geojson(g))
        props = {**(e["properties"] or {}), "change": e["change"], "from_id": e["from_id"], "to_id": e["to_id"],
                 "changed_attributes": sorted(e["attributes"]), "distance_m": e["distance_m"]}
        feats.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "name": f"{report['layer']} v{report['from']}→v{report['to']}",
            "features": feats}


def as_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report as JSON: counts and the per-feature list (no geometry)."""
    rows = [{k: v for k, v in e.items() if k not in ("geometry", "properties")} for e in report["changes"]]
    return {k: v for k, v in report.items() if k != "changes"} | {"changes": rows}
