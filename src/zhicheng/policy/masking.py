"""Masking (去标识化展示), the one module every door that shows data goes through: which items an actor sees
masked (`field_masks`), as which kind (`kind_of`), and how (`Rules.masker`, `Rules.column_masker`), under the
admin's masking rules in force (`rules_in_force`, read on every call with a cheap change check)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from operator import add, itemgetter, lt
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.core.prepared import Prepared
from zhicheng.policy.service import decide

STAR = "*"
Masker = Callable[[Any], Any]
ColumnMasker = Callable[[list[Any]], list[Any]]

# -- the kinds: what a data item holds, as far as masking goes ----------------------------------------------------

KINDS: dict[str, tuple[str, str]] = {
    "citizen_id": ("公民身份号码", "Citizen ID"),
    "mobile": ("手机号码", "Mobile number"),
    "name": ("姓名", "Name"),
    "address": ("地址", "Address"),
    "bank_card": ("银行卡号", "Bank card"),
    "coordinates": ("坐标", "Coordinates"),
    "email": ("电子邮箱", "E-mail"),
    "credit_code": ("统一社会信用代码", "Credit code"),
    "default": ("其他个人或重要数据", "Other personal or graded data"),
}
# the rules in force when the admin has set none (the masking-rules page shows and edits these)
DEFAULTS: dict[str, dict[str, Any]] = {
    "citizen_id": {"keep_first": 4, "keep_last": 4, "char": "*"},  # 4301**********1234
    "mobile": {"keep_first": 3, "keep_last": 4, "char": "*"},  # 138****5678
    "name": {"keep_first": 1, "keep_last": 0, "char": "*"},  # 张*
    "address": {"cut_at": "street", "char": "*"},  # cut after the 街道/镇/乡
    "bank_card": {"keep_first": 0, "keep_last": 4, "char": "*"},
    "coordinates": {"decimals": 2},
    "email": {"keep_first": 1, "char": "*"},
    "credit_code": {"keep_first": 8, "keep_last": 2, "char": "*"},
    "default": {"keep_first": 1, "keep_last": 1, "char": "*"},
}
EXAMPLES = {
    "citizen_id": "430102199001011234",
    "mobile": "13856785678",
    "name": "张三",
    "address": "湖南省长沙市岳麓区岳麓街道麓山南路932号",
    "bank_card": "6222021234567890123",
    "coordinates": "112.938861,28.227781",
    "email": "zhangsan@example.cn",
    "credit_code": "91430100MA4L12345X",
    "default": "A1234567",
}
_CHECKS = {"citizen_id": "citizen_id", "credit_code": "credit_code", "mobile": "mobile", "email": "email"}
# what a label (or identifier) says an item holds, first match wins
_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("经度", "纬度", "坐标", "经纬度", "longitude", "latitude", "coord", "lng", "lat"), "coordinates"),
    (("身份证", "身份号码", "证件号"), "citizen_id"),
    (("信用代码", "credit"), "credit_code"),
    (("银行卡", "账号", "卡号"), "bank_card"),
    (("邮箱", "email", "e-mail"), "email"),
    (("手机", "电话", "mobile", "phone"), "mobile"),
    (("姓名", "联系人", "法定代表人", "负责人"), "name"),
    (("住址", "地址", "address"), "address"),
)


@lru_cache(maxsize=4096)
def _kind(check: str | None, label: str, name: str) -> str:
    text = f"{label} {name}".lower()
    if any(w in text for w in _WORDS[0][0]):  # coordinates are told by their label, whatever their check
        return "coordinates"
    if check in _CHECKS:
        return _CHECKS[check]
    for words, kind in _WORDS[1:]:
        if any(w in text for w in words):
            return kind
    return "default"


def kind_of(item: Any) -> str:
    """The masking kind (a key of KINDS) of a data item (anything with `check`, `label`, `name`): coordinates by
    their label, then by the identifier check, then by what the label says it holds; else "default"."""
    check = getattr(item, "check", None)
    return _kind(str(check) if check else None, getattr(item, "label", "") or "", getattr(item, "name", "") or "")


def needs_masking(item: Any) -> bool:
    """A personal item, or one graded 重要/核心, is masked unless policy (or a grant) says plain."""
    return bool(getattr(item, "personal", False)) or str(getattr(item, "sensitivity", None) or "general") != "general"


# -- the decision: (actor, resource, item) -> plain / mask(kind) ---------------------------------------------------

def field_masks(
    actor: Actor | None, target: Any, items: Iterable[Any], *, plain: Iterable[str] = ()
) -> dict[str, str]:
    """Item name → masking kind of every item the reader sees masked: each personal or graded item, unless it is
    in `plain` (a grant's plain items) or policy lets `actor` read it plain on `target` (`read_field` allows: the
    providing department). With `target` None (the sharing API: the grant has decided), only `plain` is plain.
    A `read_field` denial (the anonymous public) masks too: the door has already authorised the read."""
    plain = set(plain)
    out: dict[str, str] = {}
    for item in items:
        if not needs_masking(item) or item.name in plain:
            continue
        if target is not None and actor is not None:
            if decide(actor, "read_field", target, field=item.name).effect == "allow":
                continue
        out[item.name] = kind_of(item)
    return out


# -- the rules in force ---------------------------------------------------------------------------------------------

_RULE_TABLE = sa.table("exchange_masking_rule", sa.column("kind", sa.String), sa.column("params", sa.JSON))
_RULES = Prepared(sa.select(_RULE_TABLE.c.kind, _RULE_TABLE.c.params).order_by(_RULE_TABLE.c.kind))
_seen: dict[bytes, Rules] = {}  # the stored rules (as read) → their prepared Rules: an edit reads differently


@dataclass(frozen=True, eq=False)
class Rules:
    """The masking rules in force: every kind's parameters and a `version` (a short hash of them) that names
    them in the signatures of masked copies; maskers prepared once per rule."""

    params: Mapping[str, Mapping[str, Any]]
    version: str
    _maskers: dict[str, Masker] = field(default_factory=dict, repr=False)
    _columns: dict[str, ColumnMasker] = field(default_factory=dict, repr=False)

    def masker(self, kind: str) -> Masker:
        """A function masking one value of `kind` (unknown kinds: "default") under these rules."""
        found = self._maskers.get(kind)
        if found is None:
            found = self._maskers[kind] = masker(kind, self.params.get(kind) or self.params["default"])
        return found

    def mask(self, value: Any, kind: str) -> Any:
        """`value` masked as `kind`; None and "" stay as they are."""
        return self.masker(kind)(value)

    def column_masker(self, kind: str) -> ColumnMasker:
        """A function masking a whole column of `kind` at once (the same output as `masker`, faster)."""
        found = self._columns.get(kind)
        if found is None:
            found = self._columns[kind] = column_masker(kind, self.params.get(kind) or self.params["default"])
        return found

    def column_maskers(self, kinds: Mapping[str, str]) -> dict[str, ColumnMasker]:
        """Column name → column masker, for columns named with their kinds."""
        return {name: self.column_masker(k) for name, k in kinds.items()}

    def maskers(self, kinds: Mapping[Any, str]) -> dict[Any, Masker]:
        """Key (column name or index) → one-value masker, for columns given with their kinds."""
        return {key: self.masker(k) for key, k in kinds.items()}


def make_rules(stored: Mapping[str, Mapping[str, Any]] | None = None) -> Rules:
    """The rules made of the defaults and the `stored` parameters (kind → parameters) over them."""
    params = {k: dict(v) for k, v in DEFAULTS.items()}
    for kind, p in (stored or {}).items():
        if kind in params and isinstance(p, Mapping):
            params[kind] = {**params[kind], **p}
    version = hashlib.sha256(orjson.dumps(params, option=orjson.OPT_SORT_KEYS)).hexdigest()[:12]
    return Rules(params=params, version=version)


DEFAULT_RULES = make_rules()


def rules_in_force(db: Any) -> Rules:
    """The masking rules in force (a Session or Connection): the stored rules read on every call (nine rows at
    most, a prepared statement) and compared with what was read before, so an admin's edit is seen by every door
    on its next call, in every process; the prepared maskers are kept while nothing changed."""
    conn = db.connection() if isinstance(db, Session) else db
    rows = [(kind, params) for kind, params in _RULES.rows(conn)]
    if not rows:
        return DEFAULT_RULES
    key = orjson.dumps(rows, option=orjson.OPT_SORT_KEYS)
    found = _seen.get(key)
    if found is None:
        if len(_seen) > 64:
            _seen.clear()
        found = _seen[key] = make_rules(dict(rows))
    return found


# -- how values are masked: one masker per kind, parameterised by the rule --------------------------------------

# where an address is cut: after the last unit of this level (街道/镇/乡 = the street level)
_CUT_LEVELS = {
    "province": ("自治区", "省"),
    "city": ("自治区", "省", "市"),
    "district": ("自治区", "省", "市", "区", "县", "旗"),
    "street": ("自治区", "省", "市", "区", "县", "旗", "街道", "镇", "乡"),
}


def _address_pattern(level: str) -> re.Pattern[str]:
    units = _CUT_LEVELS.get(level, _CUT_LEVELS["street"])
    return re.compile(r"^(?:.{1,12}?(?:" + "|".join(u if u != "区" else "(?<!小)区" for u in units) + "))+")


def _coarsen(value: str, decimals: int) -> str:
    parts = re.split(r"([,\s]+)", value)
    out = []
    for part in parts:
        try:
            out.append(f"{float(part):.{decimals}f}")
        except ValueError:
            out.append(part)
    return "".join(out)


def masker(kind: str | None, params: dict[str, Any] | None = None) -> Callable[[Any], Any]:
    """A function masking values of `kind` with a rule's parameters, prepared once for many values:
    keep_first, keep_last, char (the replacement), address `cut_at` (province/city/district/street),
    coordinates `decimals`; without params, the default rule of `kind`."""
    if not params:
        params = DEFAULTS.get(kind or "default", DEFAULTS["default"])
    char = str(params.get("char") or STAR)[:1]
    if kind == "address":
        match = _address_pattern(str(params.get("cut_at") or "street")).match
        tail = char * 4

        def address(value: Any) -> Any:
            if value is None or value == "":
                return value
            v = str(value).strip()
            m = match(v)
            keep = len(m.group(0)) if m and len(m.group(0)) < len(v) else min(6, max(len(v) - 1, 0))
            return v[:keep] + tail
        return address
    if kind == "coordinates":
        decimals = int(params.get("decimals", 2))
        return lambda v: v if v is None or v == "" else _coarsen(str(v).strip(), decimals)
    first, last = int(params.get("keep_first", 0)), int(params.get("keep_last", 0))
    squeeze = kind in ("bank_card", "citizen_id", "mobile", "phone")  # spaces and dashes are not digits

    def keep_ends(value: Any) -> Any:
        if value is None or value == "":
            return value
        v = str(value).strip()
        if squeeze and (" " in v or "-" in v):
            v = v.replace(" ", "").replace("-", "")
        if kind == "email" and "@" in v:
            local, _, domain = v.partition("@")
            return local[:first] + char * 3 + "@" + domain
        n = len(v)
        if first + last < n:
            return v[:first] + char * (n - first - last) + (v[n - last:] if last else "")
        # too short to keep both ends: keep at most the first character
        keep = min(first, 1 if n > 1 else 0)
        return v[:keep] + char * max(n - keep, 1)
    return keep_ends


def mask_with(value: Any, kind: str | None, params: dict[str, Any] | None = None) -> Any:
    """`value` masked as `kind` with a rule's parameters (see `masker`; no params: the kind's default rule)."""
    return masker(kind, params)(value)


def example(kind: str, params: Mapping[str, Any]) -> str:
    """What the sample value of `kind` looks like under `params` (the masking-rules page shows it)."""
    return mask_with(EXAMPLES[kind], kind, dict(params))


# -- column maskers: the same masks applied to a whole column at once (the delivery's fast path) -------------------

_SQUEEZED = ("bank_card", "citizen_id", "mobile", "phone")
_FAST_MAX = 256  # longer values take the one-by-one path


_SPACE = re.compile(r"\s")
_END = re.Match.end
_first, _last = itemgetter(0), itemgetter(-1)


def _clean_column(values: list[Any], both: int, squeeze: bool, email: bool) -> bool:
    """True when every value is text longer than `both` (and at most _FAST_MAX) with nothing to strip, squeeze
    or split at an @: checked for the whole column at once, in C."""
    if not values or set(map(type, values)) != {str}:
        return False
    lengths = set(map(len, values))
    if min(lengths) <= both or max(lengths) > _FAST_MAX:
        return False
    if _SPACE.search("".join(map(_first, values))) or _SPACE.search("".join(map(_last, values))):
        return False
    if squeeze or email:
        text = "".join(values)
        if (squeeze and (" " in text or "-" in text)) or (email and "@" in text):
            return False
    return True


def column_masker(kind: str, params: Mapping[str, Any] | None) -> ColumnMasker:
    """A function masking a whole column of values exactly as `masker(kind, params)` masks each
    one, but with the common cases done without a Python call per value (prepared once per rule)."""
    frozen = tuple(sorted((params or {}).items()))
    return _column_masker(kind, frozen)


@lru_cache(maxsize=128)
def _column_masker(kind: str, frozen: tuple[tuple[str, Any], ...]) -> ColumnMasker:
    params = dict(frozen)
    one = masker(kind, params)
    if not params or kind == "coordinates":
        return lambda values: [one(v) for v in values]
    char = str(params.get("char") or STAR)[:1]
    if kind == "address":
        return _address_column(
            one, _address_pattern(str(params.get("cut_at") or "street")).match, char * 4
        )
    first, last = int(params.get("keep_first", 0)), int(params.get("keep_last", 0))
    both, stars = first + last, char * _FAST_MAX
    squeeze, email = kind in _SQUEEZED, kind == "email"
    # the stars of a value of each length (index = length): a clean column is then cut with C-level maps only
    middles = [""] * (both + 1) + [char * (n - both) for n in range(both + 1, _FAST_MAX + 1)]
    head, ends = itemgetter(slice(None, first)), itemgetter(slice(None, first), slice(-last, None))

    def keep_ends(values: list[Any]) -> list[Any]:
        if _clean_column(values, both, squeeze, email):  # every value text to cut as it stands
            stars_of = map(middles.__getitem__, map(len, values))
            if last:  # v[:first] + stars + v[-last:]
                return list(map(str.join, stars_of, map(ends, values)))
            return list(map(add, map(head, values), stars_of))
        # a clean value (text, no space at the ends, nothing to squeeze, no e-mail @, long enough) is cut here;
        # anything else goes through the one-by-one masker, which is the reference
        return [
            v[:first] + stars[: n - both] + v[n - last :]
            if v.__class__ is str
            and both < (n := len(v)) <= _FAST_MAX
            and not v[0].isspace()
            and not v[-1].isspace()
            and not (squeeze and (" " in v or "-" in v))
            and not (email and "@" in v)
            else one(v)
            for v in values
        ]

    return keep_ends


def _address_column(one: Callable[[Any], Any], match: Callable[[str], Any], tail: str) -> ColumnMasker:
    def address(values: list[Any]) -> list[Any]:
        if not _clean_column(values, 0, False, False):
            return [one(v) for v in values]
        # the rule's own pattern on each value as it stands (nothing to strip): keep the administrative part
        found = list(map(match, values))
        if None not in found:
            cut = list(map(_END, found))
            if all(map(lt, cut, map(len, values))):  # something left after it everywhere: C-level maps only
                return list(map(add, map(str.__getitem__, values, map(slice, cut)), repeat(tail)))
        return [
            v[: m.end()] + tail if m and m.end() < len(v) else one(v)
            for m, v in zip(found, values, strict=True)
        ]

    return address
