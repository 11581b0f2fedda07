"""Grants (授权): the one grant check, export rules and usage counter that delivery, export and subscriptions use."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhicheng.catalog.items import ItemSpec
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden, NotFound
from zhicheng.core.prepared import Prepared
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

__all__ = ["Grant", "active_grant", "check_export", "check_grant", "grant_target", "is_live", "note_use", "state_of"]


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
    if grant.starts_on > at.astimezone(clock.LOCAL_TZ).date():
        return "not_started"
    return "active"


def is_live(grant: Grant) -> bool:
    """True while the grant may be used: started, not expired, not revoked."""
    return state_of(grant) == "active"


# the columns a grant check needs, read as plain rows (no ORM object per call: the sharing API's hot path runs this
# on every page); live grants first, newest first
_G = Grant.__table__
_COLUMNS = (_G.c.id, _G.c.resource_id, _G.c.consumer_department_id, _G.c.provider_department_id, _G.c["items"],
            _G.c.row_filter, _G.c.plain_items, _G.c.starts_on, _G.c.expires_at, _G.c.revoked_at, _G.c.delivery,
            _G.c.file_export_approved)
_LIVE_GRANTS = Prepared(
    sa.select(*_COLUMNS)
    .where(_G.c.resource_id == sa.bindparam("resource_id"), _G.c.consumer_department_id == sa.bindparam("department_id"),
           _G.c.revoked_at.is_(None), _G.c.expires_at > sa.bindparam("at"))
    .order_by(_G.c.id.desc())
)
# a grant the caller names (`grant=`): read whatever its state, to say why it cannot serve
_NAMED_GRANT = Prepared(
    sa.select(*_COLUMNS).where(_G.c.id == sa.bindparam("grant_id"), _G.c.resource_id == sa.bindparam("resource_id"),
                               _G.c.consumer_department_id == sa.bindparam("department_id"))
)
_NOTE_USE = Prepared(
    sa.update(_G)
    .where(_G.c.id == sa.bindparam("grant_id"))
    .values(
        use_count=sa.func.coalesce(_G.c.use_count, 0) + 1,
        rows_delivered=sa.func.coalesce(_G.c.rows_delivered, 0) + sa.bindparam("rows", type_=sa.BigInteger),
        last_used_at=sa.bindparam("now", type_=_G.c.last_used_at.type),
    )
)


def active_grant(db: Session, *, actor: Actor, resource_id: int) -> Any | None:
    """The actor's department's live grant on `resource_id` (the newest, when several) as a plain row, or None."""
    if actor.department_id is None:
        return None
    params = {"resource_id": resource_id, "department_id": actor.department_id, "at": clock.now()}
    for row in _LIVE_GRANTS.rows(db.connection(), params):
        grant = SimpleNamespace(**row._asdict())
        if is_live(grant):
            return grant
    return None


def _named_grant(db: Session, *, actor: Actor, resource_id: int, grant_id: int) -> Any:
    """The caller's department's grant `grant_id` on `resource_id` if live; 404 when it is not the caller's (or
    not on this resource), 403 when it is but cannot be used now; both name the field `grant`."""
    row = None
    if actor.department_id is not None:
        params = {"grant_id": grant_id, "resource_id": resource_id, "department_id": actor.department_id}
        row = next(iter(_NAMED_GRANT.rows(db.connection(), params)), None)
    if row is None:
        raise NotFound(f"本部门在数据资源 {resource_id} 上没有授权 {grant_id}",
                       f"your department holds no grant {grant_id} on data resource {resource_id}", field="grant")
    grant = SimpleNamespace(**row._asdict())
    state = state_of(grant)
    if state != "active":
        zh = {"revoked": "已撤销", "expired": "已过期", "not_started": "尚未开始"}[state]
        raise Forbidden(f"授权 {grant_id} {zh}，不能使用", f"grant {grant_id} is {state.replace('_', ' ')}; it "
                        "cannot be used", code="no_grant", field="grant")
    return grant


def check_grant(db: Session, *, actor: Actor, resource_id: int, grant_id: int | None = None,
                items: Iterable[str] | None = None, delivery: str | None = None,
                specs: Iterable[ItemSpec] | None = None, field: str | None = None) -> Any:
    """The one grant check (route, fast lane, export, subscriptions): the live grant that lets `actor` use
    `resource_id` (the one named by `grant_id`, else the newest), read fresh on every call (a revocation stops the
    very next one) and authorised by policy (`exchange.grant`/`use`); Forbidden otherwise, also when asking for
    items beyond it (a consumer cannot widen a grant) or for a file export (`delivery="file"`) that `check_export`
    refuses for `specs` (default: the items of the resource's newest version). `field` names the refused field."""
    grant = (_named_grant(db, actor=actor, resource_id=resource_id, grant_id=grant_id) if grant_id is not None
             else active_grant(db, actor=actor, resource_id=resource_id))
    if grant is None:
        raise Forbidden(f"没有数据资源 {resource_id} 的有效共享授权（未申请、待审批、已过期或已撤销）",
                        f"no live grant for data resource {resource_id} (none, pending, expired or revoked)",
                        code="no_grant", field=field)
    authorize(actor, "use", grant_target(grant))
    if items is not None:
        extra = sorted(set(items) - set(grant.items or ()))
        if extra:
            raise Forbidden(f"授权不包含数据项：{'、'.join(extra)}", f"the grant does not cover: {', '.join(extra)}",
                            code="beyond_grant", field="fields")
    if delivery == "file":
        if specs is None:
            from zhicheng.catalog.datasets import fastread

            dv = fastread.newest_version(db.connection(), resource_id)
            specs = dv.specs if dv is not None else ()
        check_export(grant, [s for s in specs if s.name in set(grant.items or ())])
    return grant


def check_export(grant: Any, specs: Iterable[ItemSpec]) -> None:
    """The one set of file-export rules: personal information leaves as a file only with the provider's explicit
    approval (GB/T 35273; the user guide says so), other data when the grant is for file delivery or approved."""
    personal = [s.name for s in specs if s.personal]
    if personal and not grant.file_export_approved:
        raise Forbidden(
            f"授权含个人信息（{'、'.join(personal)}），文件导出须经提供部门明确同意",
            f"the grant holds personal information ({', '.join(personal)}); file export needs the "
            "provider's explicit approval",
            code="export_not_approved",
            field="delivery",
        )
    if not (grant.delivery == "file" or grant.file_export_approved):
        raise Forbidden("该授权的交付方式为接口，不允许文件导出", "this grant is for API delivery; file export is not allowed",
                        code="export_not_approved", field="delivery")


def note_use(db: Session, grant: Any, *, rows: int) -> None:
    """The one usage counter: one delivery of `rows` rows on the grant (usage shown on the grants page and in the
    KPIs), in one UPDATE; the caller commits."""
    _NOTE_USE.run(db.connection(), {"grant_id": grant.id, "rows": max(0, int(rows)), "now": clock.now()})
    loaded = db.identity_map.get(db.identity_key(Grant, grant.id))
    if loaded is not None:  # a Grant object of this session would show stale counts otherwise
        db.expire(loaded, ["use_count", "rows_delivered", "last_used_at"])
