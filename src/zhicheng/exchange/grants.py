"""Grants (授权), the contract the delivery and subscription parts read: the consumer's live grant, or 403."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden
from zhicheng.exchange.conditions import consumer_member
from zhicheng.exchange.models import Grant
from zhicheng.policy.rules import (
    ACTION_NAMES,
    KIND_NAMES,
    add_rule,
    admin,
    member_of_target_department,
    officer_of_target_department,
)
from zhicheng.policy.service import Target, authorize

__all__ = ["Grant", "active_grant", "check_grant", "grant_target", "is_live", "note_use", "state_of"]


# -- policy: who may use, read and revoke a grant ------------------------------------------------------------

add_rule("exchange.grant", "use", "member of the consumer department", consumer_member)
for _name, _cond in (("admin", admin), ("member of the consumer department", consumer_member),
                     ("member of the providing department", member_of_target_department)):
    add_rule("exchange.grant", "read", _name, _cond)
add_rule("exchange.grant", "revoke", "admin", admin)
add_rule("exchange.grant", "revoke", "data_officer of the providing department", officer_of_target_department)
KIND_NAMES["exchange.grant"] = ("共享授权", "grant")
ACTION_NAMES["use"] = ("使用", "use")


def grant_target(grant: Grant) -> Target:
    """The policy target of a grant: the provider's department, with the consumer's in attrs."""
    return Target("exchange.grant", grant.id, grant.provider_department_id,
                  {"consumer_department_id": grant.consumer_department_id, "resource_id": grant.resource_id})


# -- state ---------------------------------------------------------------------------------------------------

def state_of(grant: Grant) -> str:
    """"revoked", "expired", "not_started" or "active"."""
    if grant.revoked_at is not None:
        return "revoked"
    at = clock.now()
    if clock.aware(grant.expires_at) <= at:
        return "expired"
    if grant.starts_on > at.astimezone(_china()).date():
        return "not_started"
    return "active"


def is_live(grant: Grant) -> bool:
    """True while the grant may be used: started, not expired, not revoked."""
    return state_of(grant) == "active"


def _china():
    return clock.LOCAL_TZ


def active_grant(db: Session, *, actor: Actor, resource_id: int) -> Grant | None:
    """The actor's department's live grant on `resource_id` (the newest, when several), or None."""
    if actor.department_id is None:
        return None
    at = clock.now()
    rows = db.scalars(
        select(Grant).where(Grant.resource_id == resource_id, Grant.consumer_department_id == actor.department_id,
                            Grant.revoked_at.is_(None), Grant.expires_at > at)
        .order_by(Grant.id.desc())
    )
    for grant in rows:
        if is_live(grant):
            return grant
    return None


def check_grant(db: Session, *, actor: Actor, resource_id: int, items: Iterable[str] | None = None,
                delivery: str | None = None) -> Grant:
    """The live grant that lets `actor` use `resource_id`, or Forbidden: also when asking for items beyond it
    (a consumer cannot widen a grant) or a file export the provider has not approved."""
    grant = active_grant(db, actor=actor, resource_id=resource_id)
    if grant is None:
        raise Forbidden(f"没有数据资源 {resource_id} 的有效共享授权（未申请、待审批、已过期或已撤销）",
                        f"no live grant for data resource {resource_id} (none, pending, expired or revoked)",
                        code="no_grant")
    authorize(actor, "use", grant_target(grant))
    if items is not None:
        extra = sorted(set(items) - set(grant.items))
        if extra:
            raise Forbidden(f"授权不包含数据项：{'、'.join(extra)}", f"the grant does not cover: {', '.join(extra)}",
                            code="beyond_grant", field="fields")
    if delivery == "file" and not (grant.delivery == "file" or grant.file_export_approved):
        raise Forbidden("该授权不允许文件导出", "this grant does not allow file export", code="beyond_grant",
                        field="delivery")
    return grant


def note_use(db: Session, grant: Grant, *, rows: int) -> None:
    """Count one delivery of `rows` rows on the grant (usage shown on the grants page); the caller commits."""
    grant.use_count = (grant.use_count or 0) + 1
    grant.rows_delivered = (grant.rows_delivered or 0) + max(0, int(rows))
    grant.last_used_at = clock.now()
