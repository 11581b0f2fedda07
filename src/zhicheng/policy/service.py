"""The one decision point: (actor, action, target, field, purpose) -> allow / mask / deny, deny by default."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden
from zhicheng.policy import audit
from zhicheng.policy.rules import ACTION_NAMES, KIND_NAMES, RULES, Context

EFFECTS = ("allow", "mask", "deny")


@dataclass(frozen=True)
class Target:
    """What is acted on: a kind ("catalog.resource"), its id, the department that provides it, other facts."""

    kind: str
    id: Any = None
    department_id: int | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The answer: effect is "allow", "mask" or "deny"; reason names the rule (or why none applied)."""

    effect: str
    reason: str

    @property
    def allowed(self) -> bool:
        """True for allow and mask (mask: the data may be seen, with masked fields)."""
        return self.effect != "deny"


def decide(actor: Actor, action: str, target: Target, *, field: str | None = None,
           purpose: str | None = None) -> Decision:
    """Decide whether `actor` may do `action` on `target`; pure and fast (no database)."""
    if actor.kind == "system" and "system" in actor.roles:  # the platform itself (a console operator acting as
        return Decision("allow", "system")                  # the system administrator holds "admin" only)
    if not actor.is_authenticated:
        return Decision("deny", "anonymous")
    rules = RULES.get((target.kind, action))
    if not rules:
        return Decision("deny", f"no rule for {target.kind}/{action}")
    ctx = Context(field=field, purpose=purpose)
    for rule in rules:
        if rule.condition(actor, target, ctx):
            return Decision(rule.effect, rule.name)
    return Decision("deny", f"no rule of {target.kind}/{action} matched")


def across_departments(actor: Actor, action: str, kind: str) -> bool:
    """Whether `actor` may do `action` on every `kind` whatever department it belongs to: a rule that does not
    look at the department allows it (the admin's, say). Services use it to choose between all rows and the
    actor's department's, so that scope, too, is decided by the rules (add_rule changes it)."""
    return decide(actor, action, Target(kind)).allowed


def authorize(actor: Actor, action: str, target: Target, *, field: str | None = None,
              purpose: str | None = None) -> Decision:
    """Like `decide`, but raise Forbidden (403) on deny; returns the allow/mask Decision."""
    decision = decide(actor, action, target, field=field, purpose=purpose)
    if decision.effect == "deny":
        kind_zh, kind_en = KIND_NAMES.get(target.kind, (target.kind, target.kind))
        act_zh, act_en = ACTION_NAMES.get(action, (action, action))
        ident = "" if target.id is None else f" {target.id}"
        raise Forbidden(f"没有权限{act_zh}{kind_zh}{ident}", f"Forbidden: you may not {act_en} the {kind_en}{ident}",
                        code="forbidden")
    return decision


def authorize_audited(db: Session, actor: Actor, action: str, target: Target, *, audit_action: str | None = None,
                      detail: dict[str, Any] | None = None) -> Decision:
    """`authorize`, and a refusal is an audit entry (outcome `denied`, action `<kind>.<action>` unless named), rolled
    back from what the caller had begun and committed before Forbidden propagates: the auditor sees every refusal."""
    try:
        return authorize(actor, action, target)
    except Forbidden:
        db.rollback()
        audit.record(db, actor=actor, action=audit_action or f"{target.kind}.{action}", target_kind=target.kind,
                     target_id=None if target.id is None else str(target.id), outcome="denied",
                     detail={"department_id": target.department_id} if detail is None else detail)
        db.commit()
        raise
