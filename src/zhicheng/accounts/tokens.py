"""Login sessions, bearer tokens and API keys: issued at random, stored as SHA-256, resolved in one lookup."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import bindparam, func, literal_column, select, update
from sqlalchemy.orm import Session

from zhicheng.accounts import security
from zhicheng.accounts.guard import audit, authorize
from zhicheng.accounts.models import ApiKey, Department, LoginSession, User, UserRole
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid, NotFound, Unauthorized
from zhicheng.core.prepared import Prepared
from zhicheng.core.settings import Settings, get_settings

TOKEN_KINDS = ("session", "bearer")
API_KEY_TOUCH_EVERY = timedelta(minutes=5)  # last_used_at is refreshed at most this often


def issue_token(db: Session, *, user: User, kind: str = "bearer", ip: str | None = None,
                user_agent: str | None = None, settings: Settings | None = None) -> str:
    """A new session (cookie) or bearer token for `user`; only its hash is stored. Returns the token."""
    if kind not in TOKEN_KINDS:
        raise Invalid(f"未知令牌类型 {kind}", f"unknown token kind {kind}", field="kind")
    settings = settings or get_settings()
    ttl = settings.session_ttl_minutes if kind == "session" else settings.token_ttl_minutes
    token = security.new_token()
    db.add(LoginSession(user_id=user.id, kind=kind, token_hash=security.token_digest(token),
                        csrf_token=secrets.token_urlsafe(32) if kind == "session" else None,
                        expires_at=clock.now() + timedelta(minutes=ttl), created_at=clock.now(),
                        ip=(ip or None) and ip[:64], user_agent=(user_agent or None) and user_agent[:300]))
    db.commit()
    return token


def token_expiry(db: Session, *, token: str):
    """When `token` expires (None if unknown)."""
    return clock.aware(db.scalar(select(LoginSession.expires_at).where(
        LoginSession.token_hash == security.token_digest(token))))


def revoke_token(db: Session, *, token: str, commit: bool = True) -> bool:
    """Revoke a session or bearer token; True if it was live."""
    result = db.execute(update(LoginSession).where(
        LoginSession.token_hash == security.token_digest(token), LoginSession.revoked_at.is_(None)
    ).values(revoked_at=clock.now()))
    if commit:
        db.commit()
    return bool(result.rowcount)


def revoke_user_sessions(db: Session, *, user_id: int, except_token: str | None = None, commit: bool = True) -> int:
    """Revoke every live session and token of a user (optionally keeping one); returns how many."""
    stmt = update(LoginSession).where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
    if except_token:
        stmt = stmt.where(LoginSession.token_hash != security.token_digest(except_token))
    result = db.execute(stmt.values(revoked_at=clock.now()))
    if commit:
        db.commit()
    return result.rowcount or 0


@dataclass(frozen=True)
class Resolved:
    """What a presented credential turned out to be: the actor, or why it was refused."""

    actor: Actor | None
    csrf_token: str | None = None
    error: str | None = None  # invalid_token | token_expired


def _actor_query():
    roles = (select(func.aggregate_strings(UserRole.role, literal_column("','"))).where(UserRole.user_id == User.id)
             .correlate(User).scalar_subquery())
    return select(User.id.label("user_id"), User.username, User.display_name, User.department_id,
                  User.active.label("user_active"), Department.code.label("department_code"),
                  roles.label("roles")).join(Department, Department.id == User.department_id)


def _actor(row, via: str) -> Actor:
    return Actor(kind="apikey" if via == "apikey" else "user", user_id=row.user_id, username=row.username,
                 display_name=row.display_name, department_id=row.department_id,
                 department_code=row.department_code,
                 roles=frozenset(r for r in (row.roles or "").split(",") if r), via=via)


@lru_cache(maxsize=1)
def _token_query() -> Prepared:
    # prepared once (every request with a credential runs it): the values are bound at execution
    return Prepared(_actor_query().add_columns(LoginSession.expires_at, LoginSession.revoked_at,
                                               LoginSession.csrf_token).join(
        LoginSession, LoginSession.user_id == User.id).where(
        LoginSession.token_hash == bindparam("token_hash"), LoginSession.kind == bindparam("kind")))


def resolve_token(db: Session, *, token: str, kind: str) -> Resolved:
    """The actor behind a session cookie or bearer token (one indexed lookup), or why not."""
    # on the session's connection, prepared (no entities to load; this runs on every request)
    row = _token_query().first(db.connection(), {"token_hash": security.token_digest(token), "kind": kind})
    if row is None or row.revoked_at is not None or not row.user_active:
        return Resolved(None, error="invalid_token")
    if clock.aware(row.expires_at) <= clock.now():
        return Resolved(None, error="token_expired")
    return Resolved(_actor(row, "session" if kind == "session" else "token"), csrf_token=row.csrf_token)


@lru_cache(maxsize=1)
def _api_key_query():
    return _actor_query().add_columns(ApiKey.id.label("key_id"), ApiKey.key_hash, ApiKey.expires_at,
                                      ApiKey.revoked_at, ApiKey.last_used_at).join(
        ApiKey, ApiKey.user_id == User.id).where(ApiKey.prefix == bindparam("prefix"))


def resolve_api_key(db: Session, *, key: str) -> Resolved:
    """The actor owning an API key (looked up by its prefix, compared by hash), or why not."""
    prefix = security.api_key_prefix(key)
    if prefix is None:
        return Resolved(None, error="invalid_token")
    row = db.connection().execute(_api_key_query(), {"prefix": prefix}).first()
    if row is None or not security.same_digest(row.key_hash, security.token_digest(key)) \
            or row.revoked_at is not None or not row.user_active:
        return Resolved(None, error="invalid_token")
    now = clock.now()
    if row.expires_at is not None and clock.aware(row.expires_at) <= now:
        return Resolved(None, error="token_expired")
    last = clock.aware(row.last_used_at)
    if last is None or now - last > API_KEY_TOUCH_EVERY:
        db.execute(update(ApiKey).where(ApiKey.id == row.key_id).values(last_used_at=now))
        db.commit()
    return Resolved(_actor(row, "apikey"))


# ---------------------------------------------------------------- API keys

@dataclass(frozen=True)
class NewApiKey:
    """A freshly created key: the row, and the key itself (shown this once, never stored)."""

    api_key: ApiKey
    key: str


def create_api_key(db: Session, *, actor: Actor, name: str, expires_days: int | None = None) -> NewApiKey:
    """Create an API key for the acting user; the key is returned once and only its hash is kept."""
    if actor.user_id is None or actor.kind != "user":
        raise Unauthorized("请先登录（API 密钥不能再创建 API 密钥）", "log in first (an API key cannot create keys)",
                           code="login_required")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("请填写密钥名称（不超过 100 个字）", "the key needs a name (at most 100 characters)", field="name")
    if expires_days is not None and not (1 <= expires_days <= 3650):
        raise Invalid("有效期须为 1–3650 天", "expiry must be 1–3650 days", field="expires_days")
    authorize(actor, "create", "accounts.apikey", attrs={"owner_user_id": actor.user_id})
    key, prefix = security.new_api_key()
    row = ApiKey(user_id=actor.user_id, name=name, prefix=prefix, key_hash=security.token_digest(key),
                 expires_at=clock.now() + timedelta(days=expires_days) if expires_days else None,
                 created_at=clock.now())
    db.add(row)
    db.flush()
    audit(db, actor=actor, action="apikey.create", target_kind="accounts.user", target_id=actor.user_id,
          detail={"api_key_id": row.id, "prefix": prefix, "name": name})
    db.commit()
    return NewApiKey(row, key)


def list_api_keys(db: Session, *, user_id: int) -> list[ApiKey]:
    """A user's API keys, newest first (revoked ones included, marked)."""
    return list(db.scalars(select(ApiKey).where(ApiKey.user_id == user_id)
                           .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())))


def revoke_api_key(db: Session, *, actor: Actor, id: int) -> ApiKey:
    """Revoke one of the acting user's API keys (admins may revoke anyone's)."""
    row = db.get(ApiKey, id)
    if row is None:
        raise NotFound(f"API 密钥 {id} 不存在", f"API key {id} not found", field="id")
    owner = db.get(User, row.user_id)
    authorize(actor, "revoke", "accounts.apikey", id=row.id,
              attrs={"owner_user_id": row.user_id, "roles": owner.roles if owner else ()})
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        audit(db, actor=actor, action="apikey.revoke", target_kind="accounts.user", target_id=row.user_id,
              detail={"api_key_id": row.id, "prefix": row.prefix})
        db.commit()
    return row
