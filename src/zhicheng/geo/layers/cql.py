"""CQL2 filters (OGC API - Features Part 3): text read by `cql2` into CQL2 JSON, JSON parsed by pygeofilter, turned
into bound SQL conditions.

Comparison (= <> < <= > >=, LIKE, BETWEEN, IN, IS NULL), logical (AND, OR, NOT), spatial (S_INTERSECTS, S_WITHIN,
S_CONTAINS, S_DISJOINT, S_EQUALS, S_TOUCHES, S_CROSSES, S_OVERLAPS) and temporal operators: all 15 of CQL2 1.0's
temporal functions (T_AFTER, T_BEFORE, T_CONTAINS, T_DISJOINT, T_DURING, T_EQUALS, T_FINISHEDBY, T_FINISHES,
T_INTERSECTS, T_MEETS, T_METBY, T_OVERLAPPEDBY, T_OVERLAPS, T_STARTEDBY, T_STARTS), Allen's relations between
closed intervals, an instant (a date or datetime property, DATE, TIMESTAMP) being the interval from itself to
itself; either side may be a property, a literal or an INTERVAL whose ends are literals, '..' or properties.
Every value is a bound parameter, every property one of the layer's queryables; a masked property cannot be
filtered on (the answer would reveal it).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from pygeofilter import ast, values

from zhicheng.catalog.datasets.converters import CHINA_TZ
from zhicheng.catalog.datasets.rowstore import StoredDateTime
from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.core.errors import Invalid

LANGS = ("cql2-text", "cql2-json")
MAX_TEXT = 20_000
POSITION = re.compile(r"-->\s*(\d+):(\d+)")
# property name → (column, spec); Invalid when unknown or masked
Resolve = Callable[[str], "tuple[sa.ColumnElement, ItemSpec]"]
# (op, Shapely geometry in the filter CRS) → condition on the rows
Spatial = Callable[[str, Any], sa.ColumnElement]

SPATIAL = {ast.GeometryIntersects: "intersects", ast.GeometryWithin: "within", ast.GeometryContains: "contains",
           ast.GeometryDisjoint: "disjoint", ast.GeometryEquals: "equals", ast.GeometryTouches: "touches",
           ast.GeometryCrosses: "crosses", ast.GeometryOverlaps: "overlaps"}
COMPARE = {ast.Equal: "__eq__", ast.NotEqual: "__ne__", ast.LessThan: "__lt__", ast.LessEqual: "__le__",
           ast.GreaterThan: "__gt__", ast.GreaterEqual: "__ge__"}


def bad(zh: str, en: str) -> Invalid:
    return Invalid(zh, en, field="filter", status=400, code="invalid_filter")


def parse(text: str, lang: str | None) -> ast.Node:
    """The AST of a CQL2 filter in `lang` (cql2-text by default); 400 naming the line and column of an error."""
    lang = (lang or "cql2-text").lower()
    lang = "cql2-text" if lang == "cql-text" else lang  # the draft's name (GDAL before 3.7 sends it)
    if lang not in LANGS:
        raise Invalid(f"不支持的过滤语言 {lang[:40]}（可用：{', '.join(LANGS)}）",
                      f"unsupported filter-lang {lang[:40]} (use {', '.join(LANGS)})", field="filter-lang",
                      status=400, code="invalid_parameter")
    if len(text) > MAX_TEXT or "\x00" in text:
        raise bad("过滤条件过长或含空字符", "the filter is too long or holds a NUL character")
    if lang == "cql2-json":
        try:
            doc = json.loads(text)
        except ValueError as exc:
            pos = getattr(exc, "pos", 0)
            raise bad(f"CQL2 JSON 无法解析：第 {pos + 1} 个字符处有误", f"malformed CQL2 JSON at character {pos + 1}: "
                      f"{getattr(exc, 'msg', exc)}") from None
        return _from_json(doc, "CQL2 JSON 过滤条件无效", "invalid CQL2 JSON filter")
    return _from_json(_text_to_json(text), "CQL2 过滤条件无效", "invalid CQL2 filter")


def _text_to_json(text: str) -> Any:
    """CQL2 text as its CQL2 JSON, by `cql2` (cql2-rs: the standard's grammar, e.g. T_BEFORE(a, DATE('…')) and
    INTERVAL('…', '..'), which pygeofilter's text grammar reads only in a form of its own); 400 naming the line and
    column of a syntax error."""
    import cql2

    try:
        return cql2.Expr(text).to_json()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - a plain Exception whose text holds " --> line:column" (and a Rust
        # panic would come as pyo3's PanicException, a BaseException: still the caller's bad filter, not a 500)
        where = POSITION.search(str(exc))
        line, col = (where.group(1), where.group(2)) if where else ("?", "?")
        raise bad(f"CQL2 过滤条件无法解析：第 {line} 行第 {col} 列有误",
                  f"malformed CQL2 filter at line {line}, column {col}") from None


@dataclass
class TimeIntersects(ast.TemporalPredicate):
    """CQL2's T_INTERSECTS, which pygeofilter 0.4 reads as T_OVERLAPS (a different relation)."""

    op: ClassVar[ast.TemporalComparisonOp] = ast.TemporalComparisonOp.TOVERLAPS


# CQL2 JSON's temporal functions (lowercased) as pygeofilter's nodes. All are read here, not by pygeofilter 0.4: it
# reads t_intersects as t_overlaps; t_disjoint, t_starts, t_startedBy, t_finishes and t_finishedBy not at all;
# t_metBy and t_overlappedBy only lowercased; no INTERVAL with a property for an end; and it takes any text for a
# TIMESTAMP ('x' is today)
TEMPORAL = {"t_after": ast.TimeAfter, "t_before": ast.TimeBefore, "t_contains": ast.TimeContains,
            "t_disjoint": ast.TimeDisjoint, "t_during": ast.TimeDuring, "t_equals": ast.TimeEquals,
            "t_finishedby": ast.TimeEndedBy, "t_finishes": ast.TimeEnds, "t_intersects": TimeIntersects,
            "t_meets": ast.TimeMeets, "t_metby": ast.TimeMetBy, "t_overlappedby": ast.TimeOverlappedBy,
            "t_overlaps": ast.TimeOverlaps, "t_startedby": ast.TimeBegunBy, "t_starts": ast.TimeBegins}


def _as_pygeofilter(node: Any) -> Any:
    """CQL2 1.0 JSON in the shapes pygeofilter 0.4 reads: BETWEEN's bounds as one list ([p, [low, high]]), and a
    bbox literal as its polygon (pygeofilter's Envelope takes the four numbers in another order)."""
    if isinstance(node, list):
        return [_as_pygeofilter(n) for n in node]
    if not isinstance(node, dict):
        return node
    box = node.get("bbox")
    if len(node) == 1 and isinstance(box, list) and len(box) in (4, 6) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in box):
        x1, y1, x2, y2 = (box[0], box[1], box[2], box[3]) if len(box) == 4 else (box[0], box[1], box[3], box[4])
        return {"type": "Polygon", "coordinates": [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]]}
    out = {k: _as_pygeofilter(v) for k, v in node.items()}
    args = out.get("args")
    if str(out.get("op", "")).lower() == "between" and isinstance(args, list) and len(args) == 3:
        out["args"] = [args[0], [args[1], args[2]]]
    return out


def _walk(node: Any) -> ast.Node:
    from pygeofilter.parsers.cql2_json import parse as parse_json

    if isinstance(node, dict) and isinstance(node.get("args"), list):
        op, args = str(node.get("op", "")).lower(), node["args"]
        if op in TEMPORAL:
            if len(args) != 2:
                raise bad(f"时间运算 {op.upper()} 须有两个参数", f"the temporal operator {op.upper()} takes two arguments")
            return TEMPORAL[op](_temporal_operand(args[0]), _temporal_operand(args[1]))
        if op in ("and", "or") and args:
            return (ast.And if op == "and" else ast.Or).from_items(*(_walk(a) for a in args))
        if op == "not" and len(args) == 1:
            return ast.Not(_walk(args[0]))
    return parse_json(node)


def _temporal_operand(node: Any) -> Any:
    """A temporal function's argument: a property (ast.Attribute), an instant (date or datetime) or a
    values.Interval whose ends are instants, properties or None ('..')."""
    if isinstance(node, dict) and len(node) == 1:
        if isinstance(node.get("property"), str):
            return ast.Attribute(node["property"])
        if "date" in node or "timestamp" in node:
            return _instant(node.get("date", node.get("timestamp")), date if "date" in node else datetime)
        ends = node.get("interval")
        if isinstance(ends, list) and len(ends) == 2:
            return values.Interval(*(_interval_end(end) for end in ends))
        if ends is not None:
            raise bad("INTERVAL 须有开始与结束两端（开放的一端写 '..'）",
                      "an INTERVAL takes a start and an end (an open end is '..')")
    if isinstance(node, str):  # bare ISO text, taken as before for the instant it names (the standard writes DATE())
        return _instant(node, None)
    raise bad("时间运算的参数须为属性、DATE、TIMESTAMP 或 INTERVAL",
              "a temporal operator takes properties, DATE, TIMESTAMP and INTERVAL values")


def _interval_end(node: Any) -> Any:
    end = None if node == ".." else _temporal_operand(node)
    if isinstance(end, values.Interval):
        raise bad("INTERVAL 的一端不能是 INTERVAL", "an end of an INTERVAL cannot be an INTERVAL")
    return end


def _instant(text: Any, kind: type | None) -> date | datetime:
    """RFC 3339 text as a date or a datetime (`kind`, else by its length), 400 naming it when it is not one."""
    try:
        if not isinstance(text, str):
            raise TypeError(text)
        if kind is date or (kind is None and len(text) == 10):
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise bad(f"{str(text)[:40]} 不是日期或时间戳", f"{str(text)[:40]} is not a date or a timestamp") from None


def _from_json(doc: Any, zh: str, en: str) -> ast.Node:
    try:
        return _walk(_as_pygeofilter(doc))
    except Invalid:
        raise
    except Exception as exc:  # noqa: BLE001 - pygeofilter raises many kinds for a malformed document
        raise bad(zh, f"{en}: {str(exc)[:200]}") from None


class Compiler:
    """Turns a pygeofilter AST into one SQLAlchemy condition over a layer version's rows."""

    def __init__(self, resolve: Resolve, spatial: Spatial, geometry_names: set[str]):
        self.resolve = resolve
        self.spatial = spatial
        self.geometry_names = geometry_names

    def condition(self, node: Any) -> sa.ColumnElement:
        if isinstance(node, ast.And):
            return sa.and_(self.condition(node.lhs), self.condition(node.rhs))
        if isinstance(node, ast.Or):
            return sa.or_(self.condition(node.lhs), self.condition(node.rhs))
        if isinstance(node, ast.Not):
            return sa.not_(self.condition(node.sub_node))
        if isinstance(node, ast.Include):
            return sa.false() if node.not_ else sa.true()
        if type(node) in COMPARE:
            col, spec = self.attribute(node.lhs)
            value = self.value(node.rhs, spec)
            if value is None:
                return col.is_(None) if isinstance(node, ast.Equal) else col.is_not(None)
            return getattr(col, COMPARE[type(node)])(value)
        if isinstance(node, ast.Between):
            col, spec = self.attribute(node.lhs)
            cond = col.between(self.value(node.low, spec), self.value(node.high, spec))
            return sa.not_(cond) if node.not_ else cond
        if isinstance(node, ast.In):
            col, spec = self.attribute(node.lhs)
            items = [self.value(v, spec) for v in node.sub_nodes]
            if not items or len(items) > 1000:
                raise bad("IN 须有 1 至 1000 个值", "IN takes 1 to 1000 values")
            cond = col.in_(items)
            return sa.not_(cond) if node.not_ else cond
        if isinstance(node, ast.IsNull):
            col, _spec = self.attribute(node.lhs)
            return col.is_not(None) if node.not_ else col.is_(None)
        if isinstance(node, ast.Like):
            return self.like(node)
        if type(node) in SPATIAL:
            return self.spatial_predicate(SPATIAL[type(node)], node.lhs, node.rhs)
        if isinstance(node, ast.TemporalPredicate):
            return self.temporal(node)
        name = type(node).__name__
        raise bad(f"不支持的过滤运算：{name}", f"unsupported filter operation: {name}")

    # -- operands --------------------------------------------------------------------------------------------------

    def attribute(self, node: Any) -> tuple[sa.ColumnElement, ItemSpec]:
        if not isinstance(node, ast.Attribute):
            raise bad("比较的左侧须为属性名", "the left side of a comparison must be a property")
        if node.name in self.geometry_names:
            raise bad(f"几何属性 {node.name} 只能用于空间运算", f"the geometry {node.name} takes spatial operators only")
        col, spec = self.resolve(node.name)
        if ItemType(spec.type) is ItemType.DATETIME:  # the version table's own type (rowstore), whatever `resolve`
            col = sa.type_coerce(col, StoredDateTime())  # gave: values bound as the importer stores them
        return col, spec

    def value(self, node: Any, spec: ItemSpec) -> Any:
        if isinstance(node, ast.Attribute | ast.Node) or isinstance(node, values.Geometry | values.Envelope):
            raise bad("比较的右侧须为字面值", "the right side of a comparison must be a literal")
        if node is None:
            return None
        kind = ItemType(spec.type)
        try:
            if kind in (ItemType.INTEGER, ItemType.DECIMAL):
                if isinstance(node, bool) or not isinstance(node, int | float):
                    raise ValueError(node)
                return node
            if kind is ItemType.BOOLEAN:
                if not isinstance(node, bool):
                    raise ValueError(node)
                return node
            if kind is ItemType.DATE:
                if isinstance(node, datetime):
                    return _as_stored(node).date()
                return node if isinstance(node, date) else date.fromisoformat(str(node))
            if kind is ItemType.DATETIME:
                if isinstance(node, datetime):
                    return _as_stored(node)
                if isinstance(node, date):
                    return datetime(node.year, node.month, node.day)
                return _as_stored(datetime.fromisoformat(str(node)))
        except (ValueError, TypeError):
            raise bad(f"属性 {spec.name} 的值 {str(node)[:40]} 类型不符",
                      f"the value {str(node)[:40]} does not fit the type of {spec.name}") from None
        if not isinstance(node, str | int | float) or isinstance(node, bool):
            raise bad(f"属性 {spec.name} 的值须为文本", f"the value of {spec.name} must be text")
        return str(node)

    def like(self, node: ast.Like) -> sa.ColumnElement:
        col, spec = self.attribute(node.lhs)
        if ItemType(spec.type) not in (ItemType.STRING, ItemType.TEXT):
            raise bad(f"LIKE 只用于文本属性（{spec.name}）", f"LIKE applies to text properties only ({spec.name})")
        pattern = str(node.pattern)
        if len(pattern) > 1000:
            raise bad("LIKE 模式过长", "the LIKE pattern is too long")
        # CQL2's LIKE is SQL's: % any run, _ one character, \\ escapes
        sql = pattern
        cond = col.like(sql, escape="\\") if not node.nocase else sa.func.lower(col).like(sql.lower(), escape="\\")
        return sa.not_(cond) if node.not_ else cond

    def spatial_predicate(self, op: str, lhs: Any, rhs: Any) -> sa.ColumnElement:
        geom_side, other = (lhs, rhs) if isinstance(lhs, ast.Attribute) else (rhs, lhs)
        if not isinstance(geom_side, ast.Attribute) or geom_side.name not in self.geometry_names:
            names = "、".join(sorted(self.geometry_names))
            raise bad(f"空间运算须作用于几何属性（{names}）", f"spatial operators take the geometry property ({names})")
        if geom_side is rhs:  # S_WITHIN(literal, geom) is S_CONTAINS(geom, literal)
            op = {"within": "contains", "contains": "within"}.get(op, op)
        return self.spatial(op, literal_geometry(other))

    def temporal(self, node: ast.TemporalPredicate) -> sa.ColumnElement:
        """Allen's relation of `node` between its two sides as intervals, NULL when a property in it is null."""
        relation = RELATIONS.get(type(node))
        if relation is None:
            name = type(node).__name__
            raise bad(f"不支持的时间运算：{name}", f"unsupported temporal operator: {name}")
        props: dict[str, tuple[sa.ColumnElement, ItemSpec]] = {}
        for side in (node.lhs, node.rhs):
            ends = (side.start, side.end) if isinstance(side, values.Interval) else (side,)
            for end in ends:
                if isinstance(end, ast.Attribute):
                    props[end.name] = self.attribute(end)
        if not props:
            raise bad("时间运算须至少有一侧为日期或日期时间属性",
                      "a temporal operator needs a date or datetime property on one side")
        for _col, spec in props.values():
            if ItemType(spec.type) not in (ItemType.DATE, ItemType.DATETIME):
                raise bad(f"时间运算只用于日期或日期时间属性（{spec.name}）",
                          f"temporal operators apply to date or datetime properties only ({spec.name})")
        if len({spec.type for _col, spec in props.values()}) > 1:
            names = ", ".join(props)
            raise bad(f"时间运算不能把日期属性与日期时间属性相比（{names}）",
                      f"a temporal operator cannot compare a date property with a datetime property ({names})")
        spec = next(iter(props.values()))[1]  # literals take the properties' type
        s1, e1 = self.period(node.lhs, spec, props)
        s2, e2 = self.period(node.rhs, spec, props)
        ends = {"s1": s1, "e1": e1, "s2": s2, "e2": e2}
        # an instant's start and end are one object: T_EQUALS(p, DATE(…)) is p = :d once, not twice
        cond = _any(_all(_compare(*atom) for atom in {(id(ends[a]), op, id(ends[b])): (ends[a], op, ends[b])
                                                       for a, op, b in conj}.values()) for conj in relation)
        columns = [col for col, _spec in props.values()]
        if len(columns) == 1 and not isinstance(cond, bool):
            return cond  # every comparison left holds the one property, so it is NULL when that is
        known = sa.true() if cond is True else sa.false() if cond is False else cond
        return sa.case((sa.or_(*(c.is_(None) for c in columns)), sa.null()), else_=known)

    def period(self, side: Any, spec: ItemSpec, props: dict) -> tuple[Any, Any]:
        """A side's (start, end): a column, a bound value, or EARLIEST / LATEST for an open end."""
        if isinstance(side, values.Interval):
            start, end = (self.instant(v, spec, props, open_as) for v, open_as in
                          ((side.start, EARLIEST), (side.end, LATEST)))
            literal = not any(_rank(v) or isinstance(v, sa.ColumnElement) for v in (start, end))
            if literal and start > end:
                raise bad("INTERVAL 的开始晚于结束", "the start of an INTERVAL is after its end")
            return start, end
        instant = self.instant(side, spec, props, None)
        return instant, instant

    def instant(self, node: Any, spec: ItemSpec, props: dict, open_as: Any) -> Any:
        if node in (None, "..") and open_as is not None:
            return open_as
        if isinstance(node, ast.Attribute):
            return props[node.name][0]
        if not isinstance(node, date):  # datetime is a date
            raise bad("时间运算的参数须为属性、DATE、TIMESTAMP 或 INTERVAL",
                      "a temporal operator takes properties, DATE, TIMESTAMP and INTERVAL values")
        return self.value(node, spec)


# Allen's relations between intervals [s1, e1] (first argument) and [s2, e2], as CQL2 1.0 takes them from OWL-Time
# (T_STARTS is intervalStarts, T_STARTEDBY intervalStartedBy: the standard's table links the two the other way
# round); an instant t is [t, t]. "or" between conjunctions, "and" between comparisons of two ends
ALLEN = {
    ast.TimeBefore: "e1 < s2",
    ast.TimeAfter: "s1 > e2",
    ast.TimeMeets: "e1 = s2",
    ast.TimeMetBy: "s1 = e2",
    ast.TimeOverlaps: "s1 < s2 and s2 < e1 and e1 < e2",
    ast.TimeOverlappedBy: "s2 < s1 and s1 < e2 and e2 < e1",
    ast.TimeBegins: "s1 = s2 and e1 < e2",  # T_STARTS
    ast.TimeBegunBy: "s1 = s2 and e2 < e1",  # T_STARTEDBY
    ast.TimeDuring: "s2 < s1 and e1 < e2",
    ast.TimeContains: "s1 < s2 and e2 < e1",
    ast.TimeEnds: "s2 < s1 and e1 = e2",  # T_FINISHES
    ast.TimeEndedBy: "s1 < s2 and e1 = e2",  # T_FINISHEDBY
    ast.TimeEquals: "s1 = s2 and e1 = e2",
    ast.TimeDisjoint: "e1 < s2 or e2 < s1",
    TimeIntersects: "s1 <= e2 and s2 <= e1",
}
RELATIONS = {kind: [[tuple(atom.split()) for atom in conj.split(" and ")] for conj in text.split(" or ")]
             for kind, text in ALLEN.items()}
EARLIEST, LATEST = object(), object()  # an INTERVAL's open start and end ('..')
COMPARE_ENDS = {"<": operator.lt, "<=": operator.le, "=": operator.eq, ">=": operator.ge, ">": operator.gt}
SWAPPED = {"<": operator.gt, "<=": operator.ge, "=": operator.eq, ">=": operator.le, ">": operator.lt}


def _rank(end: Any) -> int:
    return -1 if end is EARLIEST else 1 if end is LATEST else 0


def _compare(a: Any, op: str, b: Any) -> bool | sa.ColumnElement:
    """`a op b` between two ends: a bool when neither is a column (the literals are of one type), else SQL with
    the literal bound by the column's type."""
    if _rank(a) or _rank(b):  # an open end is before (after) every instant, equal to itself only
        return COMPARE_ENDS[op](_rank(a), _rank(b))
    if isinstance(a, sa.ColumnElement):
        return COMPARE_ENDS[op](a, b)
    if isinstance(b, sa.ColumnElement):
        return SWAPPED[op](b, a)
    return COMPARE_ENDS[op](a, b)


def _all(conds: Any) -> bool | sa.ColumnElement:
    kept = []
    for c in conds:
        if c is False:
            return False
        if c is not True:
            kept.append(c)
    return sa.and_(*kept) if len(kept) > 1 else kept[0] if kept else True


def _any(conds: Any) -> bool | sa.ColumnElement:
    kept = []
    for c in conds:
        if c is True:
            return True
        if c is not False:
            kept.append(c)
    return sa.or_(*kept) if len(kept) > 1 else kept[0] if kept else False


def _as_stored(value: datetime) -> datetime:
    """A datetime as the store holds datetimes: Beijing time without an offset (the importer's rule), so that
    TIMESTAMP('2020-03-01T01:30:00Z') is the row stored as 2020-03-01 09:30:00."""
    if value.tzinfo is None:
        return value
    return value.astimezone(CHINA_TZ).replace(tzinfo=None)


def literal_geometry(node: Any):
    """A Shapely geometry from a CQL2 geometry or envelope literal (BBOX(...) in text is a function)."""
    from shapely.geometry import box, shape

    try:
        if isinstance(node, values.Geometry):
            geom = shape(node.geometry)
        elif isinstance(node, values.Envelope):
            geom = box(node.x1, node.y1, node.x2, node.y2)
        elif isinstance(node, ast.Function) and node.name.lower() == "bbox" and len(node.arguments) in (4, 6):
            a = [float(v) for v in node.arguments]
            geom = box(a[0], a[1], a[3], a[4]) if len(a) == 6 else box(a[0], a[1], a[2], a[3])
        elif isinstance(node, dict) and "bbox" in node:
            a = [float(v) for v in node["bbox"]]
            geom = box(a[0], a[1], a[3], a[4]) if len(a) == 6 else box(a[0], a[1], a[2], a[3])
        else:
            raise ValueError(type(node).__name__)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise bad("空间运算的另一侧须为几何对象", f"the other side of a spatial operator must be a geometry ({exc})"
                  ) from None
    if geom.is_empty:
        raise bad("空间运算的几何对象为空", "the geometry of a spatial operator is empty")
    return geom
