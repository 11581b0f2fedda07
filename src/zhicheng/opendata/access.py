"""Who may use an open resource, and how often: anonymous for 无条件开放, an approved key for 有条件开放.

`check_open_access(db, request, resource, kind=...)` is the one gate of the portal's downloads, previews and
APIs (the CKAN and REST APIs call it too). Its `OpenAccess.actor` is the actor to read data with: policy lets
it read open datasets, and personal or graded fields reach it masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from zhicheng.accounts import security
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden, Invalid, NotFound, TooMany, Unauthorized
from zhicheng.core.prepared import Prepared
from zhicheng.core.ratelimit import RateLimiter, scope_of
from zhicheng.opendata.models import Application, PortalKey, ResourceLimit
from zhicheng.opendata.stats import service as stats
from zhicheng.opendata.users.models import PortalUser
from zhicheng.opendata.users.service import SESSION_COOKIE, session_user
from zhicheng.policy.rules import add_rule

KINDS = ("api", "download", "view")
OPEN_TYPES = ("unconditional", "conditional")
KEY_PREFIX = "zco"  # portal keys: zco_<12 hex>_<secret>; staff API keys are zc_...
ANON_PER_MINUTE = 120  # per client IP and resource
KEY_PER_MINUTE = 600  # per key and resource
KEY_TOUCH_EVERY = timedelta(minutes=5)
PORTAL_ROLE = "open_portal"


def _portal_reader(actor: Actor, target: Any, ctx: Any) -> bool:
    # only check_open_access makes such an actor, after it has checked the resource is open to the caller
    return actor.has(PORTAL_ROLE) and actor.via == "open"


add_rule("catalog.dataset", "read", "open data portal (checked by opendata.access)", _portal_reader)


@dataclass(frozen=True)
class OpenAccess:
    """The caller let through: the key (None without one), the portal user (None when anonymous), the resource."""

    key_id: int | None
    user_id: int | None
    resource_id: int
    username: str | None = None
    ip: str | None = None

    @property
    def actor(self) -> Actor:
        """The actor to read the resource's data with (masked personal fields, audited under open:<user>)."""
        return portal_actor(self.username)


def portal_actor(username: str | None = None) -> Actor:
    """The actor the portal reads open data as ('open:public' when anonymous)."""
    name = f"open:{username}" if username else "open:public"
    return Actor(kind="apikey", username=name, display_name=name, roles=frozenset({PORTAL_ROLE}), via="open")


def client_ip(request) -> str:
    client = getattr(request, "client", None)
    return (client.host if client else None) or "unknown"


def presented_key(request) -> str | None:
    """A portal key from `X-API-Key` or `Authorization: Bearer`, if one is there. A staff token or API key (no
    `zco_` mark) that the platform has already accepted is not a portal key: its bearer reads open data as the
    public does."""
    key = request.headers.get("x-api-key")
    if not key:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        key = value if scheme.lower() == "bearer" else None
    key = (key or "").strip() or None
    if key and not key.startswith(f"{KEY_PREFIX}_"):
        actor = getattr(getattr(request, "state", None), "actor", None)
        if actor is not None and actor.is_authenticated:
            return None
    return key


def key_prefix(key: str) -> str | None:
    parts = key.split("_", 2)
    if (
        len(parts) != 3
        or parts[0] != KEY_PREFIX
        or not re.fullmatch(r"[0-9a-f]{12}", parts[1])
        or not parts[2]
    ):
        return None
    return parts[1]


def _bad_key(code: str = "invalid_key") -> Unauthorized:
    if code == "key_expired":
        zh, en = "API 密钥已过期，请轮换或新建密钥", "the API key has expired; rotate it or create a new one"
    else:
        zh, en = "API 密钥无效或已被吊销", "the API key is invalid or has been revoked"
    return Unauthorized(
        zh,
        en,
        code=code,
        field="X-API-Key",
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{en}"'},
    )


def resolve_key(db: Session, key: str) -> tuple[PortalKey, PortalUser]:
    """The live key and its owner, or Unauthorized."""
    prefix = key_prefix(key)
    if prefix is None:
        raise _bad_key()
    row = db.execute(
        select(PortalKey, PortalUser)
        .join(PortalUser, PortalUser.id == PortalKey.user_id)
        .where(PortalKey.prefix == prefix)
    ).first()
    if row is None:
        raise _bad_key()
    pk, user = row
    if (
        not security.same_digest(pk.key_hash, security.token_digest(key))
        or pk.revoked_at is not None
        or not user.active
    ):
        raise _bad_key()
    now = clock.now()
    if pk.expires_at is not None and clock.aware(pk.expires_at) <= now:
        raise _bad_key("key_expired")
    last = clock.aware(pk.last_used_at)
    if last is None or now - last > KEY_TOUCH_EVERY:
        db.execute(update(PortalKey).where(PortalKey.id == pk.id).values(last_used_at=now))
        db.commit()
    return pk, user


def open_type_of(db: Session, resource) -> str | None:
    """The open attribute of the live published revision (None when nothing is published)."""
    from zhicheng.catalog import service as catalog

    if not catalog.is_live(resource):
        return None
    if resource.state == "published":
        return resource.open_type
    snap = catalog.live_snapshot(db, resource)
    return snap.get("open_type") if snap else None


def _settings_limit(request, name: str, default: int) -> int:
    """The app's setting `name` (`open_rate_per_minute`, `open_key_rate_per_minute`), or `default` without one."""
    app = getattr(request, "app", None)
    settings = getattr(app.state, "settings", None) if app is not None else None
    return int(getattr(settings, name)) if settings is not None else default


def limiter(request) -> RateLimiter:
    """The app's rate limiter, made once per app from `rate_limit_storage`: in memory each app counts alone; in
    Redis every worker of one platform (one database) shares the counts."""
    state = request.app.state
    lim = getattr(state, "open_rate_limiter", None)
    if lim is None:
        settings = getattr(state, "settings", None)
        if settings is None:
            lim = RateLimiter()
        else:
            lim = RateLimiter(settings.rate_limit_storage, scope=scope_of(settings.db_url))
        state.open_rate_limiter = lim
    return lim


_LIMIT = Prepared(
    select(ResourceLimit.__table__.c.rate_per_minute).where(
        ResourceLimit.__table__.c.resource_id == bindparam("resource_id")
    )
)


def resource_limit(db: Session, resource_id: int) -> int | None:
    """The resource's own calls-per-minute limit, if one is set (a plain query: it runs on every call)."""
    return _LIMIT.scalar(db.connection(), {"resource_id": resource_id})


def _load(db: Session, resource):
    from zhicheng.catalog import service as catalog

    if isinstance(resource, int) and not isinstance(resource, bool):
        return catalog.get_resource(db, resource)
    return resource


def _not_open(resource_id: Any) -> NotFound:
    return NotFound(f"开放数据 {resource_id} 不存在", f"open dataset {resource_id} not found", field="id")


def check_open_access(db: Session, request, resource, *, kind: str) -> OpenAccess:
    """Let the caller use `resource` (a catalog Resource or its id) for `kind` ("api" | "download" | "view"),
    or raise NotFound (not open), Unauthorized (no or bad key), Forbidden (no approved application) or TooMany
    (over the limit, with Retry-After)."""
    if kind not in KINDS:
        raise Invalid(f"未知的访问类型 {kind}", f"unknown access kind {kind}", field="kind")
    stats.current_db.set(db)  # an "opendata.used" event published while serving this request counts here
    try:
        res = _load(db, resource)
    except NotFound:
        raise _not_open(resource) from None
    open_type = open_type_of(db, res)
    if open_type not in OPEN_TYPES:
        raise _not_open(res.id)
    key = presented_key(request)
    ip = client_ip(request)
    pk = user = None
    if key:
        pk, user = resolve_key(db, key)
    elif kind != "api":  # the portal's own pages and downloads: the logged-in portal user, if any
        found = session_user(db, request.cookies.get(SESSION_COOKIE))
        user = found[0] if found else None
    if open_type == "conditional":
        if user is None:
            raise Unauthorized(
                "该数据为有条件开放，请登录开放平台申请并使用 API 密钥访问",
                "this dataset is open on conditions: apply on the portal and use an API key",
                code="key_required",
                field="X-API-Key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        approved = db.scalar(
            select(Application.id)
            .where(
                Application.user_id == user.id,
                Application.resource_id == res.id,
                Application.state == "approved",
            )
            .limit(1)
        )
        if approved is None:
            raise Forbidden(
                "您还没有获批使用该数据，请先提交申请",
                "you have no approved application for this dataset",
                code="application_required",
                field="resource_id",
            )
    limit = resource_limit(db, res.id)
    if pk is not None or user is not None:
        own = pk.rate_per_minute if pk is not None else None
        per_key = own or _settings_limit(request, "open_key_rate_per_minute", KEY_PER_MINUTE)
        per_minute = min(per_key, limit) if limit else per_key
        bucket = ("key", pk.id, res.id) if pk is not None else ("user", user.id, res.id)
    else:
        per_anon = _settings_limit(request, "open_rate_per_minute", ANON_PER_MINUTE)
        per_minute = min(per_anon, limit) if limit else per_anon
        bucket = ("ip", ip, res.id)
    wait = limiter(request).take(bucket, per_minute)
    if wait:
        raise TooMany(
            f"请求过于频繁（每分钟 {per_minute} 次），请 {wait} 秒后重试",
            f"too many requests (limit {per_minute} per minute); retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    return OpenAccess(
        key_id=pk.id if pk else None,
        user_id=user.id if user else None,
        resource_id=res.id,
        username=user.username if user else None,
        ip=ip,
    )
