"""Rules compiled against one version table: SQL conditions for what SQL can judge, Python tests for the rest."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import re2
import sqlalchemy as sa

from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.core.errors import Invalid
from zhicheng.quality import rules as R

Predicate = Callable[[Any], bool]
EVEN = ("0", "2", "4", "6", "8")
ODD = ("1", "3", "5", "7", "9")


@dataclass
class SqlCheck:
    """A row-level rule SQL answers: `fails` is true for a failing row; `shown` are the columns sampled."""

    rule_id: int
    fails: Any
    shown: list[Any]


@dataclass
class ValueCheck:
    """A rule on one column's values, tested in Python while the rows stream by: `failing(values)` gives the
    positions of the failing values in a batch."""

    rule_id: int
    column: str
    failing: Callable[[list], list[int]]


@dataclass
class CompiledChecks:
    """The active rules of one table compiled, grouped by how they run (SQL, Python over values, unique, timely)."""

    sql: list[SqlCheck] = field(default_factory=list)
    values: list[ValueCheck] = field(default_factory=list)
    unique: list[tuple[int, str]] = field(default_factory=list)
    timely: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # rule id -> why it could not run


def memoised(test: Predicate, limit: int = 4096) -> Predicate:
    """A predicate over few distinct values (codes) answered from a bounded cache."""
    cache: dict[Any, bool] = {}

    def cached(value: Any) -> bool:
        found = cache.get(value)
        if found is None:
            if len(cache) >= limit:
                cache.clear()
            found = cache[value] = bool(test(value))
        return found

    return cached


def regex_search(regex: str) -> Callable[[str], bool]:
    """Whether an officer's `regex` is found in a text, by RE2 in time linear in the text (a pattern such as
    (a+)+$ cannot pin the runner). An RE2 set answers first (no sub-matches to compute: the fastest form); its
    "no" is confirmed by the full matcher, which never gives up where a set's DFA may run out of memory."""
    full = R.compile_regex(regex).search
    one = re2.Set.SearchSet(R.RE2_OPTIONS)
    one.Add(regex)
    one.Compile()
    quick = one.Match
    return lambda text: quick(text) is not None or full(text) is not None


def value_test(kind: str, params: dict[str, Any]) -> Predicate:
    """The Python test of a value rule (pattern, allowed values, check digits); true when the value passes."""
    if kind == "pattern":
        found = regex_search(params["regex"])
        return lambda v: found(v if type(v) is str else str(v))
    if kind == "check":
        if params["scheme"] == "citizen_id":
            from zhicheng.core.ids.citizen_id import is_valid
        else:
            from zhicheng.core.ids.credit_code import is_valid
        return lambda v: is_valid(v if type(v) is str else str(v))
    if kind == "allowed":
        if params.get("table") == "gb2260":
            from zhicheng.core.ids import regions

            on = date.fromisoformat(params["on"]) if params.get("on") else None
            return memoised(lambda v: regions.is_valid_code(str(v), on))
        allowed = R.SEX_CODES if params.get("table") == "gb2261.1" else frozenset(params["values"])
        return lambda v: (v if type(v) is str else str(v)) in allowed
    raise ValueError(kind)


def value_batch(kind: str, params: dict[str, Any]) -> Callable[[list], list[int]]:
    """The batch form of `value_test`: positions of the values (None skipped) that fail, with the hot loops kept
    free of per-value function calls where the rule allows it."""
    if kind == "pattern":
        found = regex_search(params["regex"])

        def by_pattern(values: list) -> list[int]:
            try:
                return [k for k, v in enumerate(values) if v is not None and not found(v)]
            except TypeError:  # numbers or dates in the column: test their text
                return [k for k, v in enumerate(values) if v is not None and not found(str(v))]

        return by_pattern
    if kind == "check":
        if params["scheme"] == "citizen_id":
            from zhicheng.core.ids.citizen_id import is_valid
        else:
            from zhicheng.core.ids.credit_code import is_valid
        # identifiers are text: a number in the column is no valid identifier
        return lambda values: [k for k, v in enumerate(values) if v is not None and not is_valid(v)]
    if kind == "allowed" and params.get("table") != "gb2260":
        allowed = set(R.SEX_CODES if params.get("table") == "gb2261.1" else params["values"])
        allowed |= {int(v) for v in allowed if v.isdigit()} | {None}
        return lambda values: [k for k, v in enumerate(values) if v not in allowed]
    test = value_test(kind, params)
    cache: dict[Any, bool] = {}

    def by_cache(values: list) -> list[int]:
        out, get = [], cache.get
        for k, v in enumerate(values):
            if v is None:
                continue
            ok = get(v)
            if ok is None:
                if len(cache) >= 4096:
                    cache.clear()
                ok = cache[v] = test(v)
            if not ok:
                out.append(k)
        return out

    return by_cache


_CLASS = re.compile(r"\[\^?(?:[A-Za-z0-9\u4e00-\u9fff](?:-[A-Za-z0-9\u4e00-\u9fff])?)+\]")
_ATOM = re.compile(r"\\d|\.|" + _CLASS.pattern + r"|[A-Za-z0-9\u4e00-\u9fff_@:/ -]")


def sql_pattern(regex: str) -> str | None:
    """A GLOB pattern matching exactly what an anchored regex made of literals, '.', '\\d', [classes] and {n}
    repetitions matches (what format rules mostly are: ^1[3-9]\\d{9}$, ^\\d{6}$); None for anything else,
    which is then tested in Python."""
    if not (regex.startswith("^") and regex.endswith("$")) or regex.endswith("\\$"):
        return None
    body, out, at = regex[1:-1], [], 0
    while at < len(body):
        m = _ATOM.match(body, at)
        if m is None:
            return None
        atom = m.group(0)
        glob = "[0-9]" if atom == "\\d" else "?" if atom == "." else atom
        at = m.end()
        times = 1
        rep = re.match(r"\{(\d{1,3})\}", body[at:])
        if rep:
            times, at = int(rep.group(1)), at + rep.end()
        out.append(glob * times)
    return "".join(out) or None


def _text(col: Any) -> Any:
    return col if isinstance(col.type, sa.String | sa.Text) else sa.cast(col, sa.String)


def _date_digits(col: Any, spec: ItemSpec, dialect: str) -> Any:
    if spec.type is ItemType.DATE and dialect == "postgresql":
        return sa.func.to_char(col, "YYYYMMDD")
    return sa.func.replace(_text(col), "-", "")


def cross_fails(table: sa.Table, id_item: str, other: ItemSpec, relation: str, dialect: str) -> Any:
    """SQL true when a row's citizen ID disagrees with its birth date or sex item."""
    idc, oc = table.c[id_item], table.c[other.name]
    length = sa.func.length(idc)
    known = sa.and_(idc.is_not(None), oc.is_not(None), length.in_((15, 18)))
    if relation == "birth_date":
        born = sa.case(
            (length == 18, sa.func.substr(idc, 7, 8)),
            else_=sa.literal("19").concat(sa.func.substr(idc, 7, 6)),
        )
        return sa.and_(known, born != _date_digits(oc, other, dialect))
    digit = sa.case((length == 18, sa.func.substr(idc, 17, 1)), else_=sa.func.substr(idc, 15, 1))
    sex = _text(oc)
    return sa.and_(
        known, sa.or_(sa.and_(sex.in_(R.MALE), digit.in_(EVEN)), sa.and_(sex.in_(R.FEMALE), digit.in_(ODD)))
    )


def _bound(spec: ItemSpec, text: str | None) -> Any:
    return None if text is None else R._bound(spec, text, "params")


def build(
    rules: list[Any],
    table: sa.Table,
    specs: list[ItemSpec],
    dialect: str,
    references: dict[int, sa.Column | None],
) -> CompiledChecks:
    """The plan of a run: each active rule as SQL, a value test, a uniqueness query, or a timeliness check.

    `references` gives each reference rule's target column (the latest version of the other resource), or None.
    """
    by_name = {s.name: s for s in specs}
    plan = CompiledChecks()
    for rule in rules:
        kind, params = rule.kind, rule.params or {}
        if kind == "timely":
            plan.timely.append(rule.id)
            continue
        spec = by_name.get(rule.item or "")
        if spec is None:
            plan.skipped[rule.id] = "item_missing"
            continue
        col = table.c[spec.name]
        if kind == "required":
            fails = col.is_(None)
            if isinstance(col.type, sa.String | sa.Text):
                fails = sa.or_(fails, col == "")  # the import strips values
            plan.sql.append(SqlCheck(rule.id, fails, [col]))
        elif kind == "range":
            low, high = _bound(spec, params.get("min")), _bound(spec, params.get("max"))
            parts = ([col < low] if low is not None else []) + ([col > high] if high is not None else [])
            plan.sql.append(SqlCheck(rule.id, sa.or_(*parts), [col]))
        elif kind == "cross":
            other = by_name.get(params.get("other", ""))
            if other is None:
                plan.skipped[rule.id] = "item_missing"
                continue
            plan.sql.append(
                SqlCheck(
                    rule.id,
                    cross_fails(table, spec.name, other, params["relation"], dialect),
                    [col, table.c[other.name]],
                )
            )
        elif kind == "reference":
            target = references.get(rule.id)
            if target is None:
                plan.skipped[rule.id] = "reference_missing"
                continue
            known = sa.select(_text(target)).where(target.is_not(None))
            plan.sql.append(SqlCheck(rule.id, sa.and_(col.is_not(None), _text(col).not_in(known)), [col]))
        elif kind == "unique":
            plan.unique.append((rule.id, spec.name))
        elif kind == "allowed" and params.get("table") != "gb2260":
            allowed = sorted(R.SEX_CODES if params.get("table") == "gb2261.1" else params["values"])
            plan.sql.append(SqlCheck(rule.id, sa.and_(col.is_not(None), _text(col).not_in(allowed)), [col]))
        elif kind == "pattern" and (glob := sql_pattern(params["regex"])) is not None:
            # SQLite's GLOB (case-sensitive, whole value) and PostgreSQL's regex agree with RE2 on this subset;
            # it has no alternation or nested repetition, so no engine can backtrack on it: every other pattern
            # is tested by RE2 in Python over the streamed values, on both databases
            fails = (
                _text(col).op("GLOB", is_comparison=True)(glob)
                if dialect == "sqlite"
                else _text(col).op("~", is_comparison=True)(params["regex"])
            )
            plan.sql.append(SqlCheck(rule.id, sa.and_(col.is_not(None), sa.not_(fails)), [col]))
        elif kind in ("pattern", "check", "allowed"):  # allowed: GB/T 2260 on a date, memoised per code
            try:
                plan.values.append(ValueCheck(rule.id, spec.name, value_batch(kind, params)))
            except Invalid:  # a pattern saved before RE2 judged patterns (backreferences, lookaround)
                plan.skipped[rule.id] = "regex_unsupported"
    return plan
