"""The spatial functions of $filter (geo.intersects, geo.distance, st_within, st_contains …) over Locations' and
FeaturesOfInterest's GeoJSON: points pre-selected by the query geometry's bounding box in SQL (the same JSON path
on SQLite and PostgreSQL), each candidate then tested exactly with Shapely, the matches turned into a condition on
the set being read."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shapely
from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry import shape
from sqlalchemy import ColumnElement, and_, bindparam, or_, select, true
from sqlalchemy.orm import Session

from zhicheng.iot.models import Datastream, FeatureOfInterest, Location, Observation, Thing, ThingLocation

MAX_WKT = 100_000  # characters of one geography literal
EWKT_SRID = re.compile(r"^\s*SRID=\d+;", re.IGNORECASE)

# predicate(geometry of the row, the literal): symmetric ones need no flip when the literal comes first
PREDICATES: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "intersects": (shapely.intersects, "intersects"),
    "st_intersects": (shapely.intersects, "st_intersects"),
    "st_equals": (shapely.equals, "st_equals"),
    "st_disjoint": (shapely.disjoint, "st_disjoint"),
    "st_touches": (shapely.touches, "st_touches"),
    "st_overlaps": (shapely.overlaps, "st_overlaps"),
    "st_crosses": (shapely.crosses, "st_crosses"),
    "st_within": (shapely.within, "st_contains"),
    "st_contains": (shapely.contains, "st_within"),
}
ST_ARITY = {name: 2 for name in PREDICATES if name.startswith("st_")} | {"st_relate": 3}
COMPARE = {"Lt": operator.lt, "LtE": operator.le, "Gt": operator.gt, "GtE": operator.ge, "Eq": operator.eq,
           "NotEq": operator.ne}


class GeoError(ValueError):
    """A spatial function used wrongly (the message says how)."""


@dataclass(frozen=True)
class Source:
    """Where a set's geometry property lives: the table's GeoJSON column, and the condition on the set's rows for
    the ids of that table's rows that matched."""

    model: type
    column: Any
    matching: Callable[[Any], ColumnElement[bool]]


def _in(column, ids: list[int]) -> ColumnElement[bool]:
    # the ids are integers read from the database: rendered inline, no bound-variable limit
    return column.in_(bindparam(None, ids, expanding=True, literal_execute=True))


def _things_at(ids: list[int]):
    return select(ThingLocation.thing_id).where(_in(ThingLocation.location_id, ids))


SOURCES: dict[tuple[str, str], Source] = {
    ("Locations", "location"): Source(Location, Location.location, lambda ids: _in(Location.id, ids)),
    ("Things", "Locations/location"): Source(Location, Location.location,
                                             lambda ids: Thing.id.in_(_things_at(ids))),
    ("Datastreams", "Thing/Locations/location"): Source(Location, Location.location,
                                                        lambda ids: Datastream.thing_id.in_(_things_at(ids))),
    ("FeaturesOfInterest", "feature"): Source(FeatureOfInterest, FeatureOfInterest.feature,
                                              lambda ids: _in(FeatureOfInterest.id, ids)),
    ("Observations", "FeatureOfInterest/feature"): Source(
        FeatureOfInterest, FeatureOfInterest.feature, lambda ids: _in(Observation.feature_of_interest_id, ids)),
}


def path_of(node: Any) -> str | None:
    """`Thing/Locations/location` for odata-query's Identifier/Attribute nodes (None for anything else)."""
    name = type(node).__name__
    if name == "Identifier" and not node.namespace:
        return node.name
    if name == "Attribute":
        owner = path_of(node.owner)
        return None if owner is None else f"{owner}/{node.attr}"
    return None


def literal(text: str):
    """A geography literal's WKT (EWKT's SRID= prefix allowed) as a Shapely geometry, or GeoError."""
    if len(text) > MAX_WKT:
        raise GeoError(f"geography literal longer than {MAX_WKT} characters")
    try:
        geometry = wkt.loads(EWKT_SRID.sub("", text.replace("''", "'")))
    except (ShapelyError, ValueError, TypeError) as exc:
        raise GeoError(f"invalid WKT: {str(exc)[:200]}") from None
    if geometry.is_empty:
        raise GeoError("empty geometry")
    return geometry


def source(set_name: str, path: str) -> Source:
    found = SOURCES.get((set_name, path))
    if found is None:
        usable = [p for s, p in SOURCES if s == set_name]
        raise GeoError(f"{set_name} has no geometry {path}" + (f" (use {', '.join(usable)})" if usable else ""))
    return found


def _bbox_condition(src: Source, bounds: tuple[float, float, float, float] | None) -> ColumnElement[bool]:
    """Rows that may match: points inside `bounds`, anything that is not a point (None: no bound)."""
    if bounds is None:
        return true()
    x0, y0, x1, y1 = bounds
    kind = src.column["type"].as_string()
    x, y = src.column[("coordinates", 0)].as_float(), src.column[("coordinates", 1)].as_float()
    return or_(kind.is_(None), kind != "Point", and_(x >= x0, x <= x1, y >= y0, y <= y1))


def matching_ids(db: Session, src: Source, test: Callable[[Any], bool],
                 bounds: tuple[float, float, float, float] | None) -> list[int]:
    """The ids of `src`'s rows whose geometry passes `test` (read in chunks; unreadable geometries never match)."""
    ids: list[int] = []
    stmt = (select(src.model.id, src.column).where(_bbox_condition(src, bounds))
            .order_by(src.model.id).execution_options(yield_per=1000))
    for ident, geojson in db.execute(stmt):
        try:
            geometry = shape(geojson)
        except (ShapelyError, ValueError, TypeError, KeyError, AttributeError, IndexError):
            continue
        if test(geometry):
            ids.append(ident)
    return ids


def predicate_condition(db: Session | None, set_name: str, name: str, args: list[Any]) -> ColumnElement[bool]:
    """The condition of `name(property, geography'…')` (either order; st_relate takes a DE-9IM pattern third)."""
    if name == "st_relate":
        if len(args) != 3 or type(args[2]).__name__ != "String":
            raise GeoError("st_relate takes a geometry, a geography literal and a DE-9IM pattern string")
        pattern = args[2].val
        if not re.fullmatch(r"[TF*012]{9}", pattern):
            raise GeoError("the DE-9IM pattern must be 9 characters of T F * 0 1 2")
        prop, geom, flipped = _operands(args[:2])
        if flipped:
            raise GeoError("st_relate takes the property first")
        return _condition(db, set_name, prop, lambda g: shapely.relate_pattern(g, geom, pattern), geom.bounds)
    func, flip = PREDICATES[name]
    prop, geom, flipped = _operands(args)
    if flipped:
        func = PREDICATES[flip][0]
    bounds = None if name == "st_disjoint" else geom.bounds
    return _condition(db, set_name, prop, lambda g: bool(func(g, geom)), bounds)


def distance_condition(db: Session | None, set_name: str, args: list[Any], comparator: str,
                       value: Any) -> ColumnElement[bool]:
    """The condition of `geo.distance(property, geography'…') <op> number` (distance in the CRS's units, degrees
    for CGCS2000 and WGS 84, as SensorThings servers compute it)."""
    if comparator not in COMPARE:
        raise GeoError("geo.distance is compared with lt, le, gt, ge, eq or ne")
    if type(value).__name__ not in ("Integer", "Float"):
        raise GeoError("geo.distance is compared with a number")
    limit = float(value.val)
    prop, geom, _flipped = _operands(args)
    op = COMPARE[comparator]
    bounds = None
    if comparator in ("Lt", "LtE", "Eq"):
        x0, y0, x1, y1 = geom.bounds
        bounds = (x0 - limit, y0 - limit, x1 + limit, y1 + limit)
    return _condition(db, set_name, prop, lambda g: op(shapely.distance(g, geom), limit), bounds)


def _operands(args: list[Any]) -> tuple[str, Any, bool]:
    """(property path, literal geometry, whether the literal came first)."""
    if len(args) != 2:
        raise GeoError("a spatial function takes a geometry property and a geography literal")
    kinds = [type(a).__name__ for a in args]
    if kinds[1] == "Geography" and path_of(args[0]):
        return path_of(args[0]), literal(args[1].val), False
    if kinds[0] == "Geography" and path_of(args[1]):
        return path_of(args[1]), literal(args[0].val), True
    raise GeoError("a spatial function takes a geometry property and a geography'…' literal")


def _condition(db: Session | None, set_name: str, prop: str, test: Callable[[Any], bool],
               bounds) -> ColumnElement[bool]:
    src = source(set_name, prop)
    if db is None:  # only checking the filter
        return true()
    return src.matching(matching_ids(db, src, test, bounds))
