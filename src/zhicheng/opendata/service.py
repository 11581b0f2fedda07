"""Portal logic without HTTP: open resources, applications for 有条件开放 data, portal API keys and limits.

Staff decisions (approve, refuse, limits) go through the policy decision point and the audit log; portal users
act on their own rows only.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhicheng.accounts import security
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID
from zhicheng.core.errors import Conflict, Forbidden, Invalid, NotFound
from zhicheng.core.events import bus
from zhicheng.opendata import access
from zhicheng.opendata.models import Application, PortalKey, ResourceLimit
from zhicheng.opendata.users.models import PortalUser
from zhicheng.opendata.users.service import audit_actor
from zhicheng.policy.audit import record
from zhicheng.policy.rules import ACTION_NAMES, KIND_NAMES, add_rule, admin, officer_of_target_department
from zhicheng.policy.service import Target, authorize, decide

APP_KIND = "open.application"
PURPOSE_MIN, PURPOSE_MAX = 10, 2000
MAX_LIVE_KEYS = 10
MAX_RATE = 100_000
APPLICATION_STATES = {
    "pending": ("待审批", "Pending"),
    "approved": ("已批准", "Approved"),
    "refused": ("未批准", "Refused"),
}

for _kind, _action in (
    (APP_KIND, "read"),
    (APP_KIND, "decide"),
    ("open.comment", "moderate"),
    ("open.request", "answer"),
):
    add_rule(_kind, _action, "admin", admin)
    add_rule(_kind, _action, "data_officer of the department", officer_of_target_department)
add_rule("open.app", "review", "admin", admin)
add_rule("open.limit", "update", "admin", admin)
KIND_NAMES.update(
    {
        APP_KIND: ("开放数据申请", "open-data application"),
        "open.comment": ("评论", "comment"),
        "open.request": ("数据需求", "data request"),
        "open.app": ("应用", "app"),
        "open.limit": ("访问限额", "rate limit"),
    }
)
ACTION_NAMES.update(
    {"decide": ("审批", "decide"), "moderate": ("审核", "moderate"), "answer": ("答复", "answer")}
)


# ---------------------------------------------------------------- open resources


def check_id(value: Any, field: str = "id") -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_ID:
        raise NotFound(f"编号 {value} 不存在", f"id {value} not found", field=field)
    return value


def open_document(db: Session, resource_id: int) -> dict[str, Any]:
    """The live published document of an open resource (无条件 or 有条件开放), or NotFound."""
    from zhicheng.catalog import service as catalog

    check_id(resource_id)
    try:
        res = catalog.get_resource(db, resource_id)
    except NotFound:
        raise access._not_open(resource_id) from None
    if access.open_type_of(db, res) not in access.OPEN_TYPES:
        raise access._not_open(resource_id)
    doc = catalog.live_snapshot(db, res)
    if doc is None:
        raise access._not_open(resource_id)
    return doc


# ---------------------------------------------------------------- applications


def _app_target(app: Application) -> Target:
    return Target(APP_KIND, id=app.id, department_id=app.department_id)


def apply(
    db: Session, *, user: PortalUser, resource_id: int, purpose: str, ip: str | None = None
) -> Application:
    """A portal user applies to use a 有条件开放 resource, saying what for."""
    doc = open_document(db, resource_id)
    if doc.get("open_type") != "conditional":
        raise Invalid(
            "该数据为无条件开放，无需申请",
            "this dataset is open without conditions; no application needed",
            field="resource_id",
        )
    purpose = (purpose or "").strip()
    if not PURPOSE_MIN <= len(purpose) <= PURPOSE_MAX:
        raise Invalid(
            f"请说明用途（{PURPOSE_MIN}–{PURPOSE_MAX} 个字）",
            f"describe the purpose ({PURPOSE_MIN}–{PURPOSE_MAX} characters)",
            field="purpose",
        )
    live = db.scalar(
        select(Application.id)
        .where(
            Application.user_id == user.id,
            Application.resource_id == resource_id,
            Application.state.in_(("pending", "approved")),
        )
        .limit(1)
    )
    if live is not None:
        raise Conflict(
            "您已申请过该数据（待审批或已批准）",
            "you already have a pending or approved application",
            field="resource_id",
        )
    app = Application(
        user_id=user.id,
        resource_id=resource_id,
        resource_name=doc["name"][:200],
        department_id=doc["department"]["id"],
        purpose=purpose,
        state="pending",
        created_at=clock.now(),
    )
    db.add(app)
    db.flush()
    record(
        db,
        actor=audit_actor(user),
        action="open.application.submit",
        target_kind=APP_KIND,
        target_id=app.id,
        detail={"resource_id": resource_id},
        ip=ip,
    )
    db.commit()
    bus.publish(
        "open.application.submitted",
        {"id": app.id, "resource_id": resource_id, "department_id": app.department_id},
    )
    return app


def my_applications(db: Session, *, user_id: int) -> list[Application]:
    return list(
        db.scalars(
            select(Application)
            .where(Application.user_id == user_id)
            .order_by(Application.created_at.desc(), Application.id.desc())
        )
    )


def staff_applications(db: Session, *, actor: Actor, state: str | None = None) -> list[Application]:
    """Applications the actor may decide: all for an admin, their department's for a data officer."""
    if not actor.is_authenticated:
        raise Forbidden("请先登录", "please log in first")
    query = select(Application).order_by(Application.created_at.desc(), Application.id.desc())
    if state:
        if state not in APPLICATION_STATES:
            raise Invalid(f"未知状态 {state}", f"unknown state {state}", field="state")
        query = query.where(Application.state == state)
    if not decide(actor, "read", Target(APP_KIND, department_id=-1)).allowed:  # not an admin
        authorize(actor, "read", Target(APP_KIND, department_id=actor.department_id))
        query = query.where(Application.department_id == actor.department_id)
    return list(db.scalars(query.limit(500)))


def get_application(db: Session, application_id: int) -> Application:
    check_id(application_id)
    app = db.get(Application, application_id)
    if app is None:
        raise NotFound(f"申请 {application_id} 不存在", f"application {application_id} not found", field="id")
    return app


def decide_application(
    db: Session, *, actor: Actor, application_id: int, decision: str, reason: str | None = None
) -> Application:
    """The providing department's data officer (or an admin) approves or refuses (with a reason)."""
    app = get_application(db, application_id)
    authorize(actor, "decide", _app_target(app))
    if decision not in ("approve", "refuse"):
        raise Invalid("审批结果须为批准或不批准", "the decision must be approve or refuse", field="decision")
    reason = (reason or "").strip() or None
    if decision == "refuse" and not reason:
        raise Invalid("不批准时须说明理由", "a refusal needs a reason", field="reason")
    if reason and len(reason) > 2000:
        raise Invalid("理由不超过 2000 个字", "the reason may have at most 2000 characters", field="reason")
    if app.state != "pending":
        raise Conflict("该申请已审批", "this application has already been decided", field="id")
    app.state = "approved" if decision == "approve" else "refused"
    app.reason, app.decided_at, app.decided_by = reason, clock.now(), actor.user_id
    app.decided_by_name = (actor.display_name or actor.username or "")[:100] or None
    record(
        db,
        actor=actor,
        action=f"open.application.{decision}",
        target_kind=APP_KIND,
        target_id=app.id,
        detail={"resource_id": app.resource_id, "user_id": app.user_id, "reason": reason},
    )
    db.commit()
    bus.publish(f"open.application.{app.state}", {"id": app.id, "resource_id": app.resource_id})
    return app


def application_out(app: Application, lang: str = "zh-CN") -> dict[str, Any]:
    names = APPLICATION_STATES.get(app.state, (app.state, app.state))
    return {
        "id": app.id,
        "resource_id": app.resource_id,
        "resource_name": app.resource_name,
        "department_id": app.department_id,
        "purpose": app.purpose,
        "state": app.state,
        "state_label": names[1] if lang == "en" else names[0],
        "reason": app.reason,
        "created_at": clock.aware(app.created_at).isoformat(),
        "decided_at": clock.aware(app.decided_at).isoformat() if app.decided_at else None,
        "decided_by_name": app.decided_by_name,
    }


# ---------------------------------------------------------------- API keys


def _new_key() -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return f"{access.KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def _check_rate(rate: int | None) -> int | None:
    if rate is not None and not (1 <= rate <= MAX_RATE):
        raise Invalid(
            f"限额须为每分钟 1–{MAX_RATE} 次",
            f"the limit must be 1–{MAX_RATE} per minute",
            field="rate_per_minute",
        )
    return rate


def create_key(
    db: Session,
    *,
    user: PortalUser,
    name: str,
    expires_days: int | None = 365,
    rate_per_minute: int | None = None,
) -> tuple[PortalKey, str]:
    """A new portal API key: (row, the key itself — shown once; only its SHA-256 is kept)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid(
            "请填写密钥名称（不超过 100 个字）", "the key needs a name (at most 100 characters)", field="name"
        )
    if expires_days is not None and not (1 <= expires_days <= 3650):
        raise Invalid("有效期须为 1–3650 天", "expiry must be 1–3650 days", field="expires_days")
    _check_rate(rate_per_minute)
    live = db.scalar(
        select(func.count(PortalKey.id)).where(PortalKey.user_id == user.id, PortalKey.revoked_at.is_(None))
    )
    if (live or 0) >= MAX_LIVE_KEYS:
        raise Conflict(
            f"最多同时持有 {MAX_LIVE_KEYS} 个有效密钥，请先吊销不用的密钥",
            f"at most {MAX_LIVE_KEYS} live keys; revoke one first",
            field="name",
        )
    key, prefix = _new_key()
    row = PortalKey(
        user_id=user.id,
        name=name,
        prefix=prefix,
        key_hash=security.token_digest(key),
        rate_per_minute=rate_per_minute,
        created_at=clock.now(),
        expires_at=clock.now() + timedelta(days=expires_days) if expires_days else None,
    )
    db.add(row)
    db.flush()
    record(
        db,
        actor=audit_actor(user),
        action="open.key.create",
        target_kind="open.key",
        target_id=row.id,
        detail={"prefix": prefix, "name": name},
    )
    db.commit()
    return row, key


def list_keys(db: Session, *, user_id: int) -> list[PortalKey]:
    return list(
        db.scalars(
            select(PortalKey)
            .where(PortalKey.user_id == user_id)
            .order_by(PortalKey.created_at.desc(), PortalKey.id.desc())
        )
    )


def _own_key(db: Session, user: PortalUser | None, key_id: int) -> PortalKey:
    check_id(key_id)
    row = db.get(PortalKey, key_id)
    if row is None or (user is not None and row.user_id != user.id):
        raise NotFound(f"API 密钥 {key_id} 不存在", f"API key {key_id} not found", field="id")
    return row


def revoke_key(db: Session, *, user: PortalUser | None, key_id: int, actor: Actor | None = None) -> PortalKey:
    """Revoke a key (its owner, or staff/CLI with `actor` and user None); refused from the next call on."""
    row = _own_key(db, user, key_id)
    if user is None:
        authorize(actor or audit_actor(None), "update", Target("open.limit"))
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        record(
            db,
            actor=actor or audit_actor(user),
            action="open.key.revoke",
            target_kind="open.key",
            target_id=row.id,
            detail={"prefix": row.prefix, "user_id": row.user_id},
        )
        db.commit()
    return row


def rotate_key(db: Session, *, user: PortalUser, key_id: int) -> tuple[PortalKey, str]:
    """Replace a live key by a new one with the same name, limit and remaining validity; the old one dies."""
    old = _own_key(db, user, key_id)
    if old.revoked_at is not None:
        raise Conflict("该密钥已吊销，无法轮换", "this key is revoked and cannot be rotated", field="id")
    key, prefix = _new_key()
    now = clock.now()
    expires = clock.aware(old.expires_at)
    if expires is not None and expires <= now:
        expires = now + timedelta(days=365)
    row = PortalKey(
        user_id=user.id,
        name=old.name,
        prefix=prefix,
        key_hash=security.token_digest(key),
        rate_per_minute=old.rate_per_minute,
        created_at=now,
        expires_at=expires,
    )
    db.add(row)
    db.flush()
    old.revoked_at, old.replaced_by = now, row.id
    record(
        db,
        actor=audit_actor(user),
        action="open.key.rotate",
        target_kind="open.key",
        target_id=old.id,
        detail={"old_prefix": old.prefix, "new_prefix": prefix, "new_id": row.id},
    )
    db.commit()
    return row, key


def set_key_limit(db: Session, *, actor: Actor, key_id: int, rate_per_minute: int | None) -> PortalKey:
    """Set a key's own limit (requests per minute per resource; None: the default)."""
    authorize(actor, "update", Target("open.limit"))
    row = _own_key(db, None, key_id)
    row.rate_per_minute = _check_rate(rate_per_minute)
    record(
        db,
        actor=actor,
        action="open.key.limit",
        target_kind="open.key",
        target_id=row.id,
        detail={"rate_per_minute": rate_per_minute},
    )
    db.commit()
    return row


def set_resource_limit(db: Session, *, actor: Actor, resource_id: int, rate_per_minute: int | None) -> None:
    """Set (or with None clear) a resource's limit per client and minute."""
    authorize(actor, "update", Target("open.limit"))
    open_document(db, resource_id)
    row = db.get(ResourceLimit, resource_id)
    if rate_per_minute is None:
        if row is not None:
            db.delete(row)
    else:
        _check_rate(rate_per_minute)
        if row is None:
            db.add(
                ResourceLimit(
                    resource_id=resource_id, rate_per_minute=rate_per_minute, updated_at=clock.now()
                )
            )
        else:
            row.rate_per_minute, row.updated_at = rate_per_minute, clock.now()
    record(
        db,
        actor=actor,
        action="open.resource.limit",
        target_kind="open.limit",
        target_id=resource_id,
        detail={"rate_per_minute": rate_per_minute},
    )
    db.commit()


def key_out(row: PortalKey) -> dict[str, Any]:
    now = clock.now()
    expires = clock.aware(row.expires_at)
    state = "revoked" if row.revoked_at else ("expired" if expires and expires <= now else "active")
    return {
        "id": row.id,
        "name": row.name,
        "prefix": f"{access.KEY_PREFIX}_{row.prefix}_…",
        "state": state,
        "rate_per_minute": row.rate_per_minute or access.KEY_PER_MINUTE,
        "created_at": clock.aware(row.created_at).isoformat(),
        "expires_at": expires.isoformat() if expires else None,
        "revoked_at": clock.aware(row.revoked_at).isoformat() if row.revoked_at else None,
        "last_used_at": clock.aware(row.last_used_at).isoformat() if row.last_used_at else None,
    }
