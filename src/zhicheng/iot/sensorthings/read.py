"""Reading SensorThings resources: a request path (Things(1)/Datastreams …) resolved under what the actor may see,
collections paged with nextLink, entities with their links, $expand followed, $select applied."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.core.errors import NotFound
from zhicheng.iot.sensorthings import query
from zhicheng.iot.sensorthings.entities import SETS, EntitySet, visible

SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((\d{1,18})\))?$")


@dataclass
class Target:
    """Where a path leads: a collection of a set (with conditions), one entity, or one property of one entity."""

    entity: EntitySet
    conditions: list[ColumnElement[bool]]
    id: int | None = None  # one entity
    property: str | None = None
    raw_value: bool = False  # /$value


def _missing(what: str) -> NotFound:
    return NotFound(f"{what} 不存在", f"{what} not found", code="not_found", field="path")


def _one_id(db: Session, entity: EntitySet, conditions: list, actor: Actor) -> int | None:
    return db.scalar(select(entity.model.id).where(*conditions, visible(entity.name, actor)).limit(1))


def resolve(db: Session, path: str, actor: Actor) -> Target:
    """The resource `path` names (relative to /sta/v1.1), each step checked to exist and be visible (else 404)."""
    segments = [s for s in path.split("/") if s]
    first = SEGMENT.match(segments[0]) if segments else None
    if first is None or first.group(1) not in SETS:
        raise _missing(f"资源 {segments[0] if segments else path}")
    entity = SETS[first.group(1)]
    target = Target(entity, [])
    if first.group(2) is not None:
        target = _select_id(db, target, int(first.group(2)), actor)
    for segment in segments[1:]:
        if target.raw_value or target.property and segment != "$value":
            raise _missing(f"路径 {path}")
        if segment == "$value":
            if target.property is None:
                raise _missing(f"路径 {path}")
            target.raw_value = True
            continue
        m = SEGMENT.match(segment)
        if m is None:
            raise _missing(f"路径 {path}")
        name, ident = m.group(1), m.group(2)
        if target.id is None:
            raise _missing(f"路径 {path}")  # a property or navigation of a collection
        nav = target.entity.navs.get(name)
        if nav is not None:
            child = Target(SETS[nav.target], [nav.related(target.id)])
            if not nav.many:
                found = _one_id(db, child.entity, child.conditions, actor)
                if found is None or ident is not None:
                    raise _missing(f"{nav.target} of {target.entity.singular}({target.id})")
                child = Target(child.entity, [child.entity.model.id == found], id=found)
            elif ident is not None:
                child = _select_id(db, child, int(ident), actor)
            target = child
        elif ident is None and name in query.property_names(target.entity) | {"id"}:
            target.property = name
        else:
            raise _missing(f"{target.entity.singular} 的属性 {name}")
    return target


def _select_id(db: Session, target: Target, ident: int, actor: Actor) -> Target:
    conditions = [*target.conditions, target.entity.model.id == ident]
    if _one_id(db, target.entity, conditions, actor) is None:
        raise _missing(f"{target.entity.singular}({ident})")
    return Target(target.entity, conditions, id=ident)


class Links:
    """Absolute links under the service root."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")

    def entity(self, entity: EntitySet, ident: int) -> str:
        return f"{self.root}/{entity.name}({ident})"


def _ordered(stmt, entity: EntitySet, opts: query.Options):
    order = [entity.columns[name].desc() if desc else entity.columns[name].asc() for name, desc in opts.orderby]
    return stmt.order_by(*order, entity.model.id.asc())  # the id last: pages are stable


def fetch(db: Session, entity: EntitySet, conditions: list, opts: query.Options, actor: Actor
          ) -> tuple[list[Any], bool, int | None]:
    """(rows of one page, whether more follow, the count when asked)."""
    where = [*conditions, visible(entity.name, actor)]
    if opts.filter:
        where.append(query.compile_filter(entity, opts.filter, db))
    stmt = _ordered(select(entity.model).where(*where), entity, opts).offset(opts.skip).limit(opts.top + 1)
    rows = list(db.scalars(stmt))
    count = None
    if opts.count:
        count = db.scalar(select(func.count()).select_from(entity.model).where(*where))
    return rows[:opts.top], len(rows) > opts.top, count


def serialise(db: Session, entity: EntitySet, row: Any, opts: query.Options, links: Links, actor: Actor) -> dict:
    """One entity as SensorThings JSON: @iot.id, selfLink, properties, navigation links, expansions ($select'ed)."""
    chosen = None if opts.select is None else set(opts.select)
    self_link = links.entity(entity, row.id)
    out: dict[str, Any] = {}
    if chosen is None or "id" in chosen:
        out["@iot.id"] = row.id
        out["@iot.selfLink"] = self_link
    for name, value in entity.properties(row).items():
        if chosen is None or name in chosen:
            out[name] = value
    for name, nav in entity.navs.items():
        if chosen is None or name in chosen or name in opts.expand:
            out[f"{name}@iot.navigationLink"] = f"{self_link}/{name}"
        if name in opts.expand:
            sub = opts.expand[name]
            target = SETS[nav.target]
            if nav.many:
                rows, more, count = fetch(db, target, [nav.related(row.id)], sub, actor)
                if count is not None:
                    out[f"{name}@iot.count"] = count
                out[name] = [serialise(db, target, r, sub, links, actor) for r in rows]
                if more:
                    out[f"{name}@iot.nextLink"] = next_link(f"{self_link}/{name}", sub_params(sub), sub)
            else:
                rows, _more, _count = fetch(db, target, [nav.related(row.id)], query.Options(
                    top=1, select=sub.select, expand=sub.expand), actor)
                out[name] = serialise(db, target, rows[0], sub, links, actor) if rows else None
    return out


def sub_params(opts: query.Options) -> dict[str, str]:
    """The options of an expanded collection as request parameters (for its nextLink)."""
    params: dict[str, str] = {"$top": str(opts.top)}
    if opts.filter:
        params["$filter"] = opts.filter
    if opts.orderby:
        params["$orderby"] = ",".join(f"{n} {'desc' if d else 'asc'}" for n, d in opts.orderby)
    if opts.select:
        params["$select"] = ",".join(opts.select)
    if opts.count:
        params["$count"] = "true"
    return params


def next_link(base: str, params: dict[str, str], opts: query.Options) -> str:
    """The URL of the page after this one (the same options, $skip moved on)."""
    following = {**params, "$top": str(opts.top), "$skip": str(opts.skip + opts.top)}
    return f"{base}?{urlencode(following, quote_via=quote, safe='$(),;/')}"


def collection(db: Session, target: Target, opts: query.Options, links: Links, actor: Actor, base: str,
               params: dict[str, str]) -> dict:
    """A page of a collection: @iot.count (asked), @iot.nextLink (more), value."""
    rows, more, count = fetch(db, target.entity, target.conditions, opts, actor)
    out: dict[str, Any] = {}
    if count is not None:
        out["@iot.count"] = count
    if more:
        out["@iot.nextLink"] = next_link(base, params, opts)
    out["value"] = [serialise(db, target.entity, r, opts, links, actor) for r in rows]
    return out


DATA_ARRAY_COMPONENTS = ["id", "phenomenonTime", "resultTime", "result"]


def data_array(db: Session, target: Target, opts: query.Options, links: Links, actor: Actor, base: str,
               params: dict[str, str]) -> dict:
    """A page of Observations in the Data Array format (SensorThings 1.1 §14.3): one entry per Datastream with
    its link, the components ($select, else id, phenomenonTime, resultTime, result), dataArray@iot.count and
    the rows, in the page's order."""
    rows, more, count = fetch(db, target.entity, target.conditions, opts, actor)
    components = [c for c in (opts.select or DATA_ARRAY_COMPONENTS) if c not in target.entity.navs]
    if not components:
        raise query.bad("$select", "dataArray 至少需要一个属性", "dataArray needs at least one property")
    datastreams = SETS["Datastreams"]
    groups: dict[int, dict[str, Any]] = {}
    for row in rows:
        group = groups.get(row.datastream_id)
        if group is None:
            group = groups[row.datastream_id] = {
                "Datastream@iot.navigationLink": links.entity(datastreams, row.datastream_id),
                "components": components, "dataArray@iot.count": 0, "dataArray": []}
        values = target.entity.properties(row)
        group["dataArray"].append([row.id if c == "id" else values[c] for c in components])
        group["dataArray@iot.count"] += 1
    out: dict[str, Any] = {}
    if count is not None:
        out["@iot.count"] = count
    if more:
        out["@iot.nextLink"] = next_link(base, params, opts)
    out["value"] = list(groups.values())
    return out


def entity(db: Session, target: Target, opts: query.Options, links: Links, actor: Actor) -> dict:
    row = db.get(target.entity.model, target.id)
    return serialise(db, target.entity, row, opts, links, actor)


def property_value(db: Session, target: Target, links: Links) -> Any:
    row = db.get(target.entity.model, target.id)
    if target.property == "id":
        return row.id
    return target.entity.properties(row)[target.property]


def touches_observations(target: Target, opts: query.Options) -> bool:
    """Whether the answer holds observations (such a read is audited)."""
    def expands(o: query.Options, entity: EntitySet) -> bool:
        return any(SETS[entity.navs[n].target].name == "Observations" or expands(sub, SETS[entity.navs[n].target])
                   for n, sub in o.expand.items())
    return target.entity.name == "Observations" or expands(opts, target.entity)
