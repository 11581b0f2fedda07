"""Masking rules as data (脱敏规则): one rule per kind of field, defaults per the sharing issue, admin-editable."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from itertools import repeat
from operator import add, itemgetter, lt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.catalog.items import ItemSpec
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.prepared import Prepared
from zhicheng.exchange.delivery_models import MaskingRule
from zhicheng.policy import masking
from zhicheng.policy.audit import record
from zhicheng.policy.rules import add_rule, admin, authenticated
from zhicheng.policy.service import Target, authorize

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
# which parameters each kind takes, with their allowed range
INT_PARAMS = {"keep_first": (0, 32), "keep_last": (0, 32), "decimals": (0, 6)}
CUT_LEVELS = ("province", "city", "district", "street")
_COORD_WORDS = ("经度", "纬度", "坐标", "经纬度", "longitude", "latitude", "coord", "lng", "lat")

ColumnMasker = Callable[[list[Any]], list[Any]]
RULE_KIND = "exchange.masking_rule"
add_rule(RULE_KIND, "read", "authenticated", authenticated)
add_rule(RULE_KIND, "update", "admin", admin)


@lru_cache(maxsize=4096)
def kind_of(spec: ItemSpec) -> str:
    """The masking kind of a data item: coordinates by what its label says, else the policy's own choice
    (remembered per spec: a spec never changes, and every delivered page asks)."""
    text = f"{spec.label} {spec.name}".lower()
    if any(w in text for w in _COORD_WORDS):
        return "coordinates"
    kind = masking.kind_for(check=str(spec.check) if spec.check else None, label=spec.label, name=spec.name)
    return "mobile" if kind == "phone" else (kind if kind in KINDS else "default")


_RULES = Prepared(select(MaskingRule.__table__.c.kind, MaskingRule.__table__.c.params))


def current_rules(db: Session) -> dict[str, dict[str, Any]]:
    """Every kind's parameters in force: the stored rule, or the default (read fresh: edits apply at once)."""
    rules = {k: dict(v) for k, v in DEFAULTS.items()}
    for kind, params in _RULES.rows(db.connection()):  # prepared: this runs on every delivered page
        if kind in rules:
            rules[kind] = {**rules[kind], **params}
    return rules


def list_rules(db: Session, *, actor: Actor) -> list[dict[str, Any]]:
    """The rules as the editor shows them: kind, names, parameters, defaults, who changed them last."""
    authorize(actor, "read", Target(RULE_KIND))
    stored = {r.kind: r for r in db.scalars(select(MaskingRule))}
    rules = current_rules(db)
    out = []
    for kind, (zh, en) in KINDS.items():
        row = stored.get(kind)
        out.append(
            {
                "kind": kind,
                "name_zh": zh,
                "name_en": en,
                "params": rules[kind],
                "default": DEFAULTS[kind],
                "example": example(kind, rules[kind]),
                "updated_by": row.updated_by_name if row else None,
                "updated_at": row.updated_at if row else None,
            }
        )
    return out


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


def example(kind: str, params: dict[str, Any]) -> str:
    """What a sample value of `kind` looks like under `params`."""
    return masking.mask_with(EXAMPLES[kind], kind, params)


def validate_params(kind: str, params: Any) -> dict[str, Any]:
    """The parameters of a rule, checked and normalised (Invalid naming the parameter at fault)."""
    if kind not in KINDS:
        raise NotFound(f"没有名为 {kind} 的脱敏规则", f"no masking rule named {kind}", field="kind")
    if not isinstance(params, dict):
        raise Invalid("参数须为对象", "params must be an object", field="params")
    allowed = set(DEFAULTS[kind])
    clean: dict[str, Any] = {}
    for key, value in params.items():
        if key not in allowed:
            raise Invalid(
                f"规则 {kind} 没有参数 {key}", f"rule {kind} has no parameter {key}", field=f"params.{key}"
            )
        if key in INT_PARAMS:
            low, high = INT_PARAMS[key]
            if (
                isinstance(value, bool)
                or not isinstance(value, int | str)
                or not str(value).strip().isdigit()
                or not low <= int(value) <= high
            ):
                raise Invalid(
                    f"{key} 须为 {low} 至 {high} 的整数",
                    f"{key} must be an integer from {low} to {high}",
                    field=f"params.{key}",
                )
            clean[key] = int(value)
        elif key == "char":
            if not isinstance(value, str) or len(value) != 1 or value.isalnum() or value.isspace():
                raise Invalid(
                    "替换字符须为一个非字母数字的字符，如 *",
                    "char must be one non-alphanumeric character, e.g. *",
                    field="params.char",
                )
            clean[key] = value
        elif key == "cut_at":
            if value not in CUT_LEVELS:
                raise Invalid(
                    f"cut_at 须为 {'/'.join(CUT_LEVELS)} 之一",
                    f"cut_at must be one of {'/'.join(CUT_LEVELS)}",
                    field="params.cut_at",
                )
            clean[key] = value
    return clean


def update_rule(db: Session, *, actor: Actor, kind: str, params: Any) -> dict[str, Any]:
    """Set the parameters of one kind's rule (admin only); audited; returns the rule in force."""
    authorize(actor, "update", Target(RULE_KIND, id=kind))
    clean = validate_params(kind, params)
    row = db.get(MaskingRule, kind)
    before = dict(row.params) if row else None
    if row is None:
        row = MaskingRule(kind=kind, params={})
        db.add(row)
    row.params = {**DEFAULTS[kind], **(before or {}), **clean}
    row.updated_by, row.updated_by_name = actor.user_id, actor.display_name or actor.username
    row.updated_at = clock.now()
    record(
        db,
        actor=actor,
        action="exchange.masking_rule.update",
        target_kind=RULE_KIND,
        target_id=kind,
        detail={"before": before, "after": row.params},
    )
    db.commit()
    return {"kind": kind, "params": row.params, "example": example(kind, row.params)}


def reset_rule(db: Session, *, actor: Actor, kind: str) -> dict[str, Any]:
    """Put one kind's rule back to its default (admin only); audited."""
    authorize(actor, "update", Target(RULE_KIND, id=kind))
    validate_params(kind, {})
    row = db.get(MaskingRule, kind)
    if row is not None:
        record(
            db,
            actor=actor,
            action="exchange.masking_rule.reset",
            target_kind=RULE_KIND,
            target_id=kind,
            detail={"before": row.params},
        )
        db.delete(row)
        db.commit()
    return {"kind": kind, "params": dict(DEFAULTS[kind]), "example": example(kind, DEFAULTS[kind])}


def maskers(rules: dict[str, dict[str, Any]], kinds: dict[int, str]) -> dict[int, Callable[[Any], Any]]:
    """Column index → a function masking a value of that column under the rules in force."""
    return {i: masking.masker(k, rules.get(k) or rules["default"]) for i, k in kinds.items()}


# -- column maskers: the same masks applied to a whole column of a page at once (the delivery's fast path) ------

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


def column_maskers(rules: dict[str, dict[str, Any]], kinds: dict[str, str]) -> dict[str, ColumnMasker]:
    """Column name → a column masker (list of values → list of masked values) under the rules in force."""
    return {name: column_masker(k, rules.get(k) or rules["default"]) for name, k in kinds.items()}


def column_masker(kind: str, params: dict[str, Any] | None) -> ColumnMasker:
    """A function masking a whole column of values exactly as `policy.masking.masker(kind, params)` masks each
    one, but with the common cases done without a Python call per value (prepared once per rule)."""
    frozen = tuple(sorted((params or {}).items()))
    return _column_masker(kind, frozen)


@lru_cache(maxsize=128)
def _column_masker(kind: str, frozen: tuple[tuple[str, Any], ...]) -> ColumnMasker:
    params = dict(frozen)
    one = masking.masker(kind, params)
    if not params or kind == "coordinates":
        return lambda values: [one(v) for v in values]
    char = str(params.get("char") or masking.STAR)[:1]
    if kind == "address":
        return _address_column(
            one, masking._address_pattern(str(params.get("cut_at") or "street")).match, char * 4
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
