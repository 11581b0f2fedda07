"""CQL2 filters (OGC API - Features Part 3): text and JSON parsed by pygeofilter, turned into bound SQL conditions.

Comparison (= <> < <= > >=, LIKE, BETWEEN, IN, IS NULL), logical (AND, OR, NOT), spatial (S_INTERSECTS, S_WITHIN,
S_CONTAINS, S_DISJOINT, S_EQUALS, S_TOUCHES, S_CROSSES, S_OVERLAPS) and temporal (T_BEFORE, T_AFTER, T_DURING,
T_EQUALS, T_INTERSECTS, T_DISJOINT) operators. Every value is a bound parameter, every property one of the
layer's queryables; a masked property cannot be filtered on (the answer would reveal it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pygeofilter import ast, values

from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.core.errors import Invalid

LANGS = ("cql2-text", "cql2-json")
MAX_TEXT = 20_000
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
        from pygeofilter.parsers.cql2_json import parse as parse_json

        try:
            doc = json.loads(text)
        except ValueError as exc:
            pos = getattr(exc, "pos", 0)
            raise bad(f"CQL2 JSON 无法解析：第 {pos + 1} 个字符处有误", f"malformed CQL2 JSON at character {pos + 1}: "
                      f"{getattr(exc, 'msg', exc)}") from None
        try:
            return parse_json(doc)
        except Exception as exc:  # noqa: BLE001 - pygeofilter raises many kinds for a malformed document
            raise bad("CQL2 JSON 过滤条件无效", f"invalid CQL2 JSON filter: {str(exc)[:200]}") from None
    from lark.exceptions import LarkError, UnexpectedInput
    from pygeofilter.parsers.cql2_text import parse as parse_text

    try:
        return parse_text(text)
    except UnexpectedInput as exc:
        line, col = getattr(exc, "line", "?"), getattr(exc, "column", "?")
        raise bad(f"CQL2 过滤条件无法解析：第 {line} 行第 {col} 列有误",
                  f"malformed CQL2 filter at line {line}, column {col}") from None
    except (LarkError, ValueError, TypeError) as exc:
        raise bad("CQL2 过滤条件无法解析", f"malformed CQL2 filter: {str(exc)[:200]}") from None


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
        return self.resolve(node.name)

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
                    return node.date()
                return node if isinstance(node, date) else date.fromisoformat(str(node))
            if kind is ItemType.DATETIME:
                if isinstance(node, datetime):
                    return _naive_utc(node)
                if isinstance(node, date):
                    return datetime(node.year, node.month, node.day)
                return _naive_utc(datetime.fromisoformat(str(node)))
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

    def temporal(self, node: Any) -> sa.ColumnElement:
        col, spec = self.attribute(node.lhs)
        if ItemType(spec.type) not in (ItemType.DATE, ItemType.DATETIME):
            raise bad(f"时间运算只用于日期或日期时间属性（{spec.name}）",
                      f"temporal operators apply to date or datetime properties only ({spec.name})")
        rhs = node.rhs
        if isinstance(rhs, values.Interval):
            start = None if rhs.start in (None, "..") else self.value(rhs.start, spec)
            end = None if rhs.end in (None, "..") else self.value(rhs.end, spec)
        else:
            start = end = self.value(rhs, spec)
        name = type(node).__name__
        before = (col < start) if start is not None else sa.false()
        after = (col > end) if end is not None else sa.false()
        within = sa.and_(col >= start if start is not None else sa.true(), col <= end if end is not None else sa.true())
        if name == "TimeBefore":
            return before
        if name == "TimeAfter":
            return after
        if name in ("TimeDuring", "TimeIntersects", "TimeEquals") and not isinstance(rhs, values.Interval):
            return col == start
        if name in ("TimeDuring", "TimeIntersects"):
            return sa.and_(within, col.is_not(None))
        if name == "TimeDisjoint":
            return sa.or_(before, after)
        raise bad(f"不支持的时间运算：{name}", f"unsupported temporal operator: {name}")


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    from datetime import UTC

    return value.astimezone(UTC).replace(tzinfo=None)


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
