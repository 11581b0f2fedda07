"""SensorThings query options: $top, $skip, $count, $orderby, $select, $expand (nested, with options) and $filter
(OData, compiled to SQL by the odata-query library over each set's columns)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from types import SimpleNamespace
from typing import Any

from odata_query import ast as odata_ast
from odata_query import exceptions as odata_errors
from odata_query import grammar
from odata_query.grammar import ODataLexer, ODataParser
from odata_query.sqlalchemy.core import AstToSqlAlchemyCoreVisitor
from sqlalchemy import ColumnElement, literal
from sqlalchemy.orm import Session

from zhicheng.core.errors import AppError
from zhicheng.iot.sensorthings import geo
from zhicheng.iot.sensorthings.entities import SETS, EntitySet

# SensorThings' st_* functions, which OData does not define: the parser checks their argument count from its table
grammar.ODATA_FUNCTIONS.update(geo.ST_ARITY)
DEFAULT_TOP, MAX_TOP = 100, 10_000
OPTIONS = ("$top", "$skip", "$count", "$orderby", "$select", "$expand", "$filter", "$resultFormat")


class BadQuery(AppError):
    status, code = 400, "bad_query"


def bad(option: str, zh: str, en: str) -> BadQuery:
    return BadQuery(f"{option} 无效：{zh}", f"invalid {option}: {en}", field=option)


@dataclass
class Options:
    """The query options of one collection (the request's, or an expanded navigation's)."""

    top: int = DEFAULT_TOP
    skip: int = 0
    count: bool = False
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (property, descending)
    select: list[str] | None = None
    expand: dict[str, Options] = field(default_factory=dict)  # navigation -> its options
    filter: str | None = None
    data_array: bool = False  # $resultFormat=dataArray (Observations only): components and rows per Datastream


def split_top(text: str, sep: str) -> list[str]:
    """`text` split on `sep` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth < 0:
                raise bad("$expand", "括号不匹配", "unbalanced parentheses")
        elif not quoted and depth == 0 and ch == sep:
            parts.append(text[start:i])
            start = i + 1
    if depth:
        raise bad("$expand", "括号不匹配", "unbalanced parentheses")
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _int(option: str, value: str, low: int, high: int | None = None) -> int:
    try:
        n = int(value)
    except ValueError:
        raise bad(option, "须为整数", "must be an integer") from None
    if n < low or (high is not None and n > high):
        raise bad(option, f"须在 {low} 到 {high} 之间" if high else f"不能小于 {low}",
                  f"must be within {low}..{high}" if high else f"must be at least {low}")
    return n


def parse(params: dict[str, str], entity: EntitySet) -> Options:
    """The options in `params` for collections of `entity` (each checked against its properties)."""
    unknown = [k for k in params if k.startswith("$") and k not in OPTIONS]
    if unknown:
        raise bad(unknown[0], "不支持该查询选项", "this query option is not supported")
    opts = Options()
    if params.get("$resultFormat", "default") not in ("default", "dataArray"):
        raise bad("$resultFormat", "须为 default 或 dataArray", "must be default or dataArray")
    if params.get("$resultFormat") == "dataArray":
        if entity.name != "Observations" or params.get("$expand"):
            raise bad("$resultFormat", "dataArray 仅用于观测集合（且不能与 $expand 同用）",
                      "dataArray applies to collections of Observations only, without $expand")
        opts.data_array = True
    if "$top" in params:
        opts.top = _int("$top", params["$top"], 0, MAX_TOP)
    if "$skip" in params:
        opts.skip = _int("$skip", params["$skip"], 0)
    if "$count" in params:
        if params["$count"] not in ("true", "false"):
            raise bad("$count", "须为 true 或 false", "must be true or false")
        opts.count = params["$count"] == "true"
    if params.get("$orderby"):
        for part in split_top(params["$orderby"], ","):
            name, _, direction = part.partition(" ")
            direction = direction.strip().lower() or "asc"
            if name not in entity.columns or direction not in ("asc", "desc"):
                raise bad("$orderby", f"不能按 {part} 排序", f"cannot order by {part}")
            opts.orderby.append((name, direction == "desc"))
    if params.get("$select"):
        names = [n.strip() for n in params["$select"].split(",") if n.strip()]
        names = ["id" if n == "@iot.id" else n for n in names]
        allowed = {"id", *entity.navs, *_property_names(entity)}
        wrong = [n for n in names if n not in allowed]
        if wrong:
            raise bad("$select", f"{entity.name} 没有属性 {wrong[0]}", f"{entity.name} has no property {wrong[0]}")
        opts.select = names
    if params.get("$expand"):
        for part in split_top(params["$expand"], ","):
            _add_expand(opts, entity, part)
    if params.get("$filter"):
        opts.filter = params["$filter"]
        compile_filter(entity, opts.filter)  # refused now, not after the first page
    return opts


def _property_names(entity: EntitySet) -> set[str]:
    names = {
        "Things": {"name", "description", "properties"},
        "Locations": {"name", "description", "encodingType", "location", "properties"},
        "HistoricalLocations": {"time"},
        "Sensors": {"name", "description", "encodingType", "metadata", "properties"},
        "ObservedProperties": {"name", "definition", "description", "properties"},
        "Datastreams": {"name", "description", "unitOfMeasurement", "observationType", "phenomenonTime",
                        "resultTime", "properties"},
        "Observations": {"phenomenonTime", "resultTime", "result", "resultQuality", "parameters"},
        "FeaturesOfInterest": {"name", "description", "encodingType", "feature", "properties"},
    }
    return names[entity.name]


def property_names(entity: EntitySet) -> set[str]:
    """The plain properties of `entity` (what /<property> and $select may name)."""
    return _property_names(entity)


def _add_expand(opts: Options, entity: EntitySet, part: str) -> None:
    """One $expand item: Nav, Nav(options separated by ;) or Nav/Nav2 (a path: nested expands)."""
    head, inner = part, ""
    if part.endswith(")") and "(" in part:
        head, inner = part[:part.index("(")], part[part.index("(") + 1:-1]
    path = [p.strip() for p in head.split("/")]
    current_opts, current = opts, entity
    for i, nav_name in enumerate(path):
        nav = current.navs.get(nav_name)
        if nav is None:
            raise bad("$expand", f"{current.name} 没有导航属性 {nav_name}", f"{current.name} has no navigation "
                      f"property {nav_name}")
        target = SETS[nav.target]
        last = i == len(path) - 1
        if last:
            inner_params: dict[str, str] = {}
            for option in split_top(inner, ";") if inner else []:
                key, eq, value = option.partition("=")
                if not eq:
                    raise bad("$expand", f"选项 {option} 无效", f"invalid option {option}")
                inner_params[key.strip()] = value.strip()
            current_opts.expand[nav_name] = parse(inner_params, target)
        else:
            current_opts = current_opts.expand.setdefault(nav_name, Options())
        current = target


class _Visitor(AstToSqlAlchemyCoreVisitor):
    """odata-query's SQL visitor over one entity set's SensorThings names; instants bound in UTC (SQLite keeps them
    as UTC text); the spatial functions by `geo` (with no session the filter is only checked)."""

    def __init__(self, entity: EntitySet, db: Session | None) -> None:
        super().__init__(SimpleNamespace(c=entity.columns))
        self.entity, self.db = entity, db

    def visit_Call(self, node: odata_ast.Call):
        name = node.func.full_name().removeprefix("geo.").lower()
        if name in geo.PREDICATES or name == "st_relate":
            return geo.predicate_condition(self.db, self.entity.name, name, node.args)
        if name == "distance":
            raise geo.GeoError("geo.distance must be compared with a number (geo.distance(location, "
                               "geography'POINT(x y)') lt 0.1)")
        return super().visit_Call(node)

    def visit_Compare(self, node: odata_ast.Compare):
        for call, other, comparator in ((node.left, node.right, type(node.comparator).__name__),
                                        (node.right, node.left, _MIRROR.get(type(node.comparator).__name__))):
            if isinstance(call, odata_ast.Call) and call.func.full_name() == "geo.distance":
                return geo.distance_condition(self.db, self.entity.name, call.args, comparator, other)
        return super().visit_Compare(node)

    def visit_DateTime(self, node: odata_ast.DateTime):
        try:
            value = node.py_val
        except ValueError:
            raise odata_errors.ValueException(node.val) from None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return literal(value)


_MIRROR = {"Lt": "Gt", "LtE": "GtE", "Gt": "Lt", "GtE": "LtE", "Eq": "Eq", "NotEq": "NotEq"}


def compile_filter(entity: EntitySet, text: str, db: Session | None = None) -> ColumnElement[bool]:
    """The SQL condition of an OData $filter over `entity` (spatial functions read the geometries through `db`;
    without it the filter is only checked), or 400 naming $filter."""
    if len(text) > 4000:
        raise bad("$filter", "过长", "too long")
    try:
        tree = ODataParser().parse(ODataLexer().tokenize(text))
        return _Visitor(entity, db).visit(tree)
    except geo.GeoError as exc:
        raise bad("$filter", f"空间函数用法有误（{exc}）", str(exc)) from None
    except odata_errors.InvalidFieldException as exc:
        raise bad("$filter", f"{entity.name} 没有可筛选的属性 {exc.field_name}",
                  f"{entity.name} has no filterable property {exc.field_name}") from None
    except (odata_errors.ODataException, NotImplementedError, TypeError, ValueError, AttributeError,
            KeyError, IndexError) as exc:
        raise bad("$filter", f"不支持或无法解析（{type(exc).__name__}）",
                  f"unsupported or unreadable ({type(exc).__name__}: {str(exc)[:200]})") from None


def all_params(query: Any) -> dict[str, str]:
    """The request's query parameters (the last of a repeated one)."""
    return dict(query.items())
