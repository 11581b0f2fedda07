"""The masking rules editor (脱敏规则): the admin lists, sets and resets each kind's rule; policy.masking applies them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.exchange.masking_rules.models import MaskingRule
from zhicheng.policy import masking
from zhicheng.policy.audit import record
from zhicheng.policy.rules import add_rule, admin, authenticated
from zhicheng.policy.service import Target, authorize

KINDS, DEFAULTS, EXAMPLES, example = masking.KINDS, masking.DEFAULTS, masking.EXAMPLES, masking.example
# which parameters each kind takes, with their allowed range
INT_PARAMS = {"keep_first": (0, 32), "keep_last": (0, 32), "decimals": (0, 6)}
CUT_LEVELS = ("province", "city", "district", "street")

RULE_KIND = "exchange.masking_rule"
add_rule(RULE_KIND, "read", "authenticated", authenticated)
add_rule(RULE_KIND, "update", "admin", admin)


def current_rules(db: Session) -> dict[str, dict[str, Any]]:
    """Every kind's parameters in force (the policy's `rules_in_force`, as plain data for the editor)."""
    return {k: dict(v) for k, v in masking.rules_in_force(db).params.items()}


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
