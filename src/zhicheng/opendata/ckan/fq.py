"""CKAN's `fq`: the Solr filter query that CKAN clients and harvesters send to `package_search`, parsed into a
boolean expression over the open documents.

The grammar is the part of Solr's standard query syntax that CKAN clients use: `field:value`, `field:"quoted
value"`, `field:[low TO high]` (dates), `field:*` and `field:prefix*`; clauses joined by `AND`, `OR` (`&&`, `||`)
or nothing (AND, as CKAN's Solr schema sets `q.op`), negated by `-`, `NOT` or `!`, required by `+`, grouped by
parentheses, and a field applied to a group (`organization:(a OR b)`). ckanext-harvest's CKAN harvester, for one,
sends `organization:a OR organization:b`, `-organization:c` and `metadata_modified:[… TO *]`.

`parse` gives the expression (None for an empty fq); `as_filters` the catalog search's own filters when the
expression is one it indexes (an AND of single fields, each one value or several OR-ed), so the search and its
facets run in the database; otherwise `matches` decides document by document over the cached open documents.
Every error is an `Invalid` on the field `fq`, with what was wrong, in Chinese and English.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from zhicheng.catalog import codes
from zhicheng.core import clock
from zhicheng.core.errors import Invalid
from zhicheng.opendata.ckan.service import (
    FACET_FIELDS,
    FORMATS,
    LICENSE,
    MAX_FQ,
    formats_of,
    group_key,
    modified_at,
    package_id,
    slug,
)

MAX_DEPTH = 20  # nested parentheses and negations
# the fields fq can name beyond the indexed ones (FACET_FIELDS): decided per document
DOCUMENT_FIELDS = ("tags", "groups", "res_format", "license_id", "name", "id", "metadata_modified",
                   "metadata_created")
DATE_FIELDS = ("metadata_modified", "metadata_created")
TEXT = "text"  # q's words without a field (Solr's default field): the catalog's own full-text search
FIELDS = (*FACET_FIELDS, *DOCUMENT_FIELDS)
_FORMAT_LABELS = {key: label for key, (_, label, _) in FORMATS.items()}


@dataclass(frozen=True)
class Term:
    """`field:value`; `value` is "*" for any, ends in "*" for a prefix; `low`/`high` (inclusive or not) for a
    range, with None for an open end."""

    field: str
    value: str
    low: datetime | None = None
    high: datetime | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    is_range: bool = False


@dataclass(frozen=True)
class Not:
    item: Any


@dataclass(frozen=True)
class All:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Any, ...]


Expr = Term | Not | All | AnyOf


def _invalid(zh: str, en: str) -> Invalid:
    return Invalid(f"fq 无效：{zh}", f"invalid fq: {en}", field="fq")


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<open>\() | (?P<close>\)) | (?P<op>&&|\|\|) |
      (?P<range>[\[{][^\]}]*[\]}]) |
      (?P<quoted>"(?:[^"\\]|\\.)*") |
      (?P<word>(?:[^\s()"\[\]{}\\:]|\\.)+)(?P<colon>:)? |
      (?P<sign>[+\-!])
    )""",
    re.VERBOSE,
)
_RANGE = re.compile(r"^([\[{])\s*(\S+)\s+TO\s+(\S+)\s*([\]}])$")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _invalid(f"第 {pos + 1} 个字符处无法识别", f"cannot read it at character {pos + 1}")
        kind = m.lastgroup if m.lastgroup != "colon" else "field"
        value = m[kind] if kind != "field" else m["word"]
        if kind in ("word", "field") and value.startswith(("-", "+", "!")):
            # a sign before its clause (-organization:x): the sign, then the rest read again
            out.append(("sign", value[0]))
            pos = m.start("word") + 1
            continue
        if kind == "word" and value in ("AND", "OR", "NOT"):
            kind = "op"
        out.append((kind, value))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], *, free_text: bool = False) -> None:
        self.tokens = tokens
        self.at = 0
        self.free_text = free_text  # q: a word without a field searches the text (field TEXT)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expr(self, field: str | None, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise _invalid("嵌套过深", "nested too deeply")
        alternatives = [self.conjunction(field, depth)]
        while (t := self.peek()) is not None and t[0] == "op" and t[1] in ("OR", "||"):
            self.take()
            alternatives.append(self.conjunction(field, depth))
        return alternatives[0] if len(alternatives) == 1 else AnyOf(tuple(alternatives))

    def conjunction(self, field: str | None, depth: int) -> Expr:
        items = [self.clause(field, depth)]
        while (t := self.peek()) is not None and t[0] != "close" and not (t[0] == "op" and t[1] in ("OR", "||")):
            if t[0] == "op" and t[1] in ("AND", "&&"):
                self.take()
            items.append(self.clause(field, depth))
        return items[0] if len(items) == 1 else All(tuple(items))

    def clause(self, field: str | None, depth: int) -> Expr:
        t = self.peek()
        if t is None:
            raise _invalid("条件不完整", "a clause is missing")
        kind, value = t
        if kind == "sign" or (kind == "op" and value == "NOT"):
            self.take()
            inner = self.clause(field, depth + 1)
            return Not(inner) if value in ("-", "!", "NOT") else inner
        if kind == "open":
            self.take()
            inner = self.expr(field, depth + 1)
            if self.peek() is None or self.take()[0] != "close":
                raise _invalid("括号不配对", "unbalanced parentheses")
            return inner
        if kind == "field" and value == "*":  # *:* — every document
            self.take()
            if self.peek() != ("word", "*"):
                raise _invalid("只支持 *:*（全部）", "only *:* (everything) may have * as its field")
            self.take()
            return All(())
        if kind == "field":
            self.take()
            if field is not None:
                raise _invalid(f"字段 {field} 的值中又出现字段 {value[:40]}", f"a field inside the values of {field}")
            name = value
            if name not in FIELDS and not (self.free_text and name == TEXT):
                raise _invalid(
                    f"不支持字段 {name[:40]}（可用：{', '.join(FIELDS)}）",
                    f"cannot filter on {name[:40]} (use {', '.join(FIELDS)})",
                )
            if self.peek() is not None and self.peek()[0] == "open":  # field:(a OR b)
                self.take()
                inner = self.expr(name, depth + 1)
                if self.peek() is None or self.take()[0] != "close":
                    raise _invalid("括号不配对", "unbalanced parentheses")
                return inner
            return self.value(name)
        if kind in ("word", "quoted", "range") and field is not None:
            return self.value(field)
        if kind in ("word", "quoted") and self.free_text:
            return self.value(TEXT)
        raise _invalid(
            f"“{value[:40]}”缺少字段名（写作 字段:值）", f"'{value[:40]}' has no field (write field:value)"
        )

    def value(self, field: str) -> Term:
        if self.peek() is None:
            raise _invalid(f"字段 {field} 缺少值", f"{field} has no value")
        kind, text = self.take()
        if kind == "quoted":
            return Term(field, re.sub(r"\\(.)", r"\1", text[1:-1]))
        if kind == "word":
            return Term(field, re.sub(r"\\(.)", r"\1", text))
        if kind == "range":
            return _range(field, text)
        raise _invalid(f"字段 {field} 缺少值", f"{field} has no value")


def _when(text: str) -> datetime | None:
    if text == "*":
        return None
    value = text.upper().replace("NOW", clock.now().isoformat())
    try:
        return clock.aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise _invalid(f"时间 {text[:40]} 无效", f"invalid time {text[:40]}") from None


def _range(field: str, text: str) -> Term:
    m = _RANGE.match(text)
    if field not in DATE_FIELDS or not m:
        raise _invalid(
            "范围只用于 metadata_modified / metadata_created，形如 [2026-01-01T00:00:00Z TO *]",
            "ranges apply to metadata_modified / metadata_created only, as [2026-01-01T00:00:00Z TO *]",
        )
    return Term(field, text, low=_when(m[2]), high=_when(m[3]), low_inclusive=m[1] == "[",
                high_inclusive=m[4] == "]", is_range=True)


def parse(fq: Any) -> Expr | None:
    """The expression of CKAN's `fq` (None when empty); Invalid (field `fq`) for what cannot be read."""
    if fq is None or fq == "":
        return None
    if not isinstance(fq, str):
        raise Invalid("fq 须为字符串", "fq must be a string", field="fq")
    if len(fq) > MAX_FQ:
        raise Invalid(f"fq 过长（上限 {MAX_FQ} 字符）", f"fq is too long (at most {MAX_FQ} characters)", field="fq")
    return _parse(fq, free_text=False)


def _parse(text: str, *, free_text: bool) -> Expr | None:
    tokens = _tokens(text)
    if not tokens:
        return None
    parser = _Parser(tokens, free_text=free_text)
    expr = parser.expr(None, 0)
    if parser.peek() is not None:
        raise _invalid("括号不配对", "unbalanced parentheses")
    return _checked(expr)


_FIELD_TERM = re.compile(r"(?:^|[\s(+\-!])(?:[A-Za-z_]+|\*):|\sOR\s|\|\|")


def parse_q(q: Any) -> tuple[str | None, Expr | None]:
    """CKAN's `q`: (plain text for the catalog's Chinese search, or None) or (None, an expression) when it
    names fields (`organization:x 空气`) or joins words by OR; `*:*` (and `*`) is everything: (None, None).
    Words without a field become TEXT terms (found by the catalog search); errors are on the field `q`."""
    if q is None or not str(q).strip():
        return None, None
    text = str(q).strip()
    if text in ("*:*", "*"):
        return None, None
    if not _FIELD_TERM.search(text):
        return text, None
    try:
        return None, _parse(text, free_text=True)
    except Invalid as err:
        raise Invalid(err.zh.replace("fq", "q", 1), err.en.replace("fq", "q", 1), field="q") from None


def _checked(expr: Expr) -> Expr:
    """Values checked now (a vocabulary field's value must be in its vocabulary; dates must be dates)."""
    if isinstance(expr, Term):
        target = FACET_FIELDS.get(expr.field)
        if target not in (None, "department") and expr.value != "*" and not expr.value.endswith("*"):
            try:
                return Term(expr.field, codes.normalise(target, expr.value))
            except Invalid as err:
                raise Invalid(f"fq 无效：{err.zh}", f"invalid fq: {err.en}", field="fq") from None
        if expr.field in DATE_FIELDS and not expr.is_range and expr.value != "*":
            at = _when(expr.value)
            return Term(expr.field, expr.value, low=at, high=at, is_range=True)
        return expr
    if isinstance(expr, Not):
        return Not(_checked(expr.item))
    return type(expr)(tuple(_checked(i) for i in expr.items))


def as_filters(expr: Expr | None) -> dict[str, list[str]] | None:
    """{fq field: values OR-ed} when `expr` is an AND of indexed fields, each with one value or values OR-ed
    (`organization:a open_type:conditional`, `organization:(a OR b)`); None when it needs `matches`."""
    if expr is None:
        return {}
    out: dict[str, list[str]] = {}
    for item in expr.items if isinstance(expr, All) else (expr,):
        values = _one_field(item)
        if values is None:
            return None
        name, wanted = values
        if name in out:  # the same field twice, AND-ed: what both allow
            out[name] = [v for v in out[name] if v in wanted]
        else:
            out[name] = wanted
    return out


def _one_field(item: Expr) -> tuple[str, list[str]] | None:
    terms = item.items if isinstance(item, AnyOf) else (item,)
    if not all(isinstance(t, Term) for t in terms):
        return None
    names = {t.field for t in terms}
    if len(names) != 1 or next(iter(names)) not in FACET_FIELDS:
        return None
    if any(t.value == "*" or t.value.endswith("*") for t in terms):
        return None
    return next(iter(names)), [t.value for t in terms]


def predicate(
    expr: Expr | None, departments: Callable[[str], int], words: Callable[[str], set[int]] | None = None
) -> Callable[[dict[str, Any]], bool]:
    """A function telling whether an open document satisfies `expr`, built once for a search over many;
    `departments(name)` is the department id an organization name (code, or our UUID) stands for (-1: none);
    `words(text)` the ids of the documents the catalog's full-text search finds for a TEXT term (q only)."""
    if expr is None:
        return lambda _doc: True
    if isinstance(expr, Not):
        inner = predicate(expr.item, departments, words)
        return lambda doc: not inner(doc)
    if isinstance(expr, Term) and expr.field == TEXT:
        if expr.value == "*" or words is None:
            return lambda _doc: True
        found = words(expr.value)
        return lambda doc: doc["id"] in found
    if isinstance(expr, All | AnyOf):
        parts = [predicate(i, departments, words) for i in expr.items]
        if len(parts) == 1:
            return parts[0]
        combine = all if isinstance(expr, All) else any
        return lambda doc: combine(p(doc) for p in parts)
    return _term_test(expr, departments)


def matches(expr: Expr | None, doc: dict[str, Any], departments: Callable[[str], int]) -> bool:
    """Whether the open document `doc` satisfies `expr` (see `predicate`)."""
    return predicate(expr, departments)(doc)


def values_of(field: str, doc: dict[str, Any]) -> list[str]:
    """The values `doc` has for an fq or facet field, as CKAN shows them (res_format: CSV, XLSX, …)."""
    target = FACET_FIELDS.get(field)
    if target == "department":
        return [str(doc["department"]["id"])]
    if target is not None:
        value = doc.get(target)
        return [] if value is None else [str(value)]
    if field == "tags":
        return list(doc.get("tags") or [])
    if field == "groups":
        key = group_key(doc)
        return [key] if key else []
    if field == "res_format":  # what is served: nothing without data (see ckan.formats_of)
        return [_FORMAT_LABELS[f] for f in formats_of(doc)]
    if field == "license_id":
        return [LICENSE["id"]]
    if field == "name":
        return [slug(doc["code"])]
    if field == "id":
        return [package_id(doc["id"])]
    # the last change counts a new data version too (ckan.modified_at), so an incremental harvest sees it
    stamp = modified_at(doc) if field == "metadata_modified" else doc.get("created_at")
    return [stamp] if stamp else []


@lru_cache(maxsize=65536)
def _stamp(text: str) -> datetime:
    # the cached open documents keep their stamps: each is parsed once, not once per search
    return clock.aware(datetime.fromisoformat(text))


def _term_test(term: Term, departments: Callable[[str], int]) -> Callable[[dict[str, Any]], bool]:
    name = term.field
    if term.value == "*":
        return lambda doc: bool(values_of(name, doc))
    if term.is_range:
        low, high, low_in, high_in = term.low, term.high, term.low_inclusive, term.high_inclusive

        def in_range(doc: dict[str, Any]) -> bool:
            for stamp in values_of(name, doc):
                at = _stamp(stamp)
                if low is not None and (at < low if low_in else at <= low):
                    continue
                if high is not None and (at > high if high_in else at >= high):
                    continue
                return True
            return False

        return in_range
    target = FACET_FIELDS.get(name)
    if target == "department":
        if term.value.endswith("*"):
            return lambda _doc: False  # organization names are codes: no prefix search on them
        wanted_id = departments(term.value)
        return lambda doc: doc["department"]["id"] == wanted_id
    if target is not None and not term.value.endswith("*"):
        value = term.value
        return lambda doc: doc.get(target) == value
    fold = name in ("res_format", "license_id", "name", "id")  # CKAN clients write CSV or csv
    wanted = term.value.lower() if fold else term.value
    if wanted.endswith("*"):
        prefix = wanted[:-1]
        return lambda doc: any((v.lower() if fold else v).startswith(prefix) for v in values_of(name, doc))
    return lambda doc: any((v.lower() if fold else v) == wanted for v in values_of(name, doc))
