"""The accounts domain's door to policy: authorize an actor's action and record it in the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.policy import audit as audit_log
from zhicheng.policy.service import Decision, Target, decide
from zhicheng.policy.service import authorize as policy_authorize


def authorize(actor: Actor, action: str, kind: str, *, id: Any = None, department_id: int | None = None,
              attrs: dict | None = None) -> Decision:
    """Ask the policy decision point; raises Forbidden on deny, returns the Decision otherwise."""
    return policy_authorize(actor, action, Target(kind, id=id, department_id=department_id, attrs=attrs or {}))


def audit(db: Session, *, actor: Actor, action: str, target_kind: str, target_id: Any = None,
          outcome: str = "ok", detail: dict | None = None, ip: str | None = None) -> None:
    """Append one audit entry in the caller's transaction (the caller commits)."""
    audit_log.record(db, actor=actor, action=action, target_kind=target_kind,
                     target_id=None if target_id is None else str(target_id), outcome=outcome, detail=detail, ip=ip)


def can(actor: Actor, action: str, kind: str, *, id: Any = None, department_id: int | None = None,
        attrs: dict | None = None) -> bool:
    """Whether the policy would allow it (to show or hide a button; the action itself still authorizes)."""
    return decide(actor, action, Target(kind, id=id, department_id=department_id, attrs=attrs or {})).allowed
