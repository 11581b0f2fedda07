"""Portal users (citizens and enterprises): registration with a checked identity number, login, sessions.

Separate from staff accounts: own table, own cookie. Passwords use the accounts domain's Argon2id hashing;
the GB 11643 / GB 32100 number is kept SM4-encrypted, with a keyed digest for uniqueness and a masked copy for
display; it is never shown unmasked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from zhicheng.accounts import lockout, security
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Conflict, Invalid, TooMany, Unauthorized
from zhicheng.core.ids import citizen_id, credit_code, email_address, mobile
from zhicheng.core.settings import Settings
from zhicheng.opendata.users.models import PortalSession, PortalUser
from zhicheng.policy import masking
from zhicheng.policy.audit import record
from zhicheng.policy.crypto import encrypt_field

SESSION_COOKIE = "zhicheng_open_session"
SESSION_TTL = timedelta(hours=12)
USER_KINDS = {"citizen": ("个人", "Citizen"), "enterprise": ("企业", "Enterprise")}
USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{2,39}")


def audit_actor(user: PortalUser | None) -> Actor:
    """How a portal user appears in the audit log (no staff user id: portal ids are another space)."""
    name = f"open:{user.username}" if user else "open:public"
    return Actor(kind="anonymous", username=name, display_name=name, via="open")


def id_digest(settings: Settings, kind: str, number: str) -> str:
    """A keyed digest of an identity number: unique per person or enterprise, useless without the key."""
    key = settings.signing_key().encode("utf-8")
    return hmac.new(key, f"opendata:{kind}:{number}".encode(), hashlib.sha256).hexdigest()


def check_identity(kind: str, number: str, rules: masking.Rules = masking.DEFAULT_RULES) -> tuple[str, str]:
    """(normalised number, masked under `rules`) of a citizen ID (GB 11643) or credit code (GB 32100), or
    Invalid."""
    if kind == "citizen":
        try:
            info = citizen_id.parse(number)
        except Invalid as exc:
            raise Invalid(exc.zh, exc.en, code=exc.code, field="id_number") from None
        return info.number, rules.mask(info.number, "citizen_id")
    if kind == "enterprise":
        try:
            info = credit_code.parse(number)
        except Invalid as exc:
            raise Invalid(exc.zh, exc.en, code=exc.code, field="id_number") from None
        return info.code, rules.mask(info.code, "credit_code")
    raise Invalid("用户类型须为个人或企业", "the user kind must be citizen or enterprise", field="kind")


def is_registered(db: Session, username: str) -> bool:
    """Whether a portal user named `username` exists (names compare without case, as registration does)."""
    return db.scalar(select(PortalUser.id).where(func.lower(PortalUser.username) == username.lower())) is not None


def register(
    db: Session,
    *,
    settings: Settings,
    kind: str,
    username: str,
    password: str,
    display_name: str,
    id_number: str,
    phone: str | None = None,
    email: str | None = None,
    ip: str | None = None,
) -> PortalUser:
    """Register a citizen or enterprise; every field is checked and the identity number validated."""
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username):
        raise Invalid(
            "用户名须以字母开头，3–40 位字母、数字或 _ . -",
            "the username must start with a letter: 3–40 letters, digits, _ . -",
            field="username",
        )
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 100:
        raise Invalid(
            "请填写姓名或企业名称（不超过 100 个字）",
            "give a name (at most 100 characters)",
            field="display_name",
        )
    number, masked = check_identity(kind, (id_number or "").strip(), masking.rules_in_force(db))
    phone = (phone or "").strip() or None
    email = (email or "").strip() or None
    if phone and not (phone := mobile.normalise(phone)):
        raise Invalid("手机号码格式不正确", "the mobile number is not valid", field="phone")
    if email and not (email := email_address.normalise(email)):
        raise Invalid("电子邮箱格式不正确", "the e-mail address is not valid", field="email")
    if not (phone or email):
        raise Invalid(
            "请至少填写手机号码或电子邮箱", "give a mobile number or an e-mail address", field="phone"
        )
    security.check_password_policy(password, username=username)
    if is_registered(db, username):
        raise Conflict(f"用户名 {username} 已被使用", f"username {username} is taken", field="username")
    digest = id_digest(settings, kind, number)
    if db.scalar(select(PortalUser.id).where(PortalUser.id_digest == digest)):
        raise Conflict("该证件号码已注册", "this identity number is already registered", field="id_number")
    user = PortalUser(
        kind=kind,
        username=username,
        display_name=display_name,
        id_digest=digest,
        id_encrypted=encrypt_field(settings, number, context="open_user.id_number"),
        id_masked=masked,
        phone=phone,
        email=email,
        password_hash=security.hash_password(password),
        created_at=clock.now(),
    )
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise Conflict(
            "用户名或证件号码已注册",
            "the username or identity number is already registered",
            field="username",
        ) from None
    record(
        db,
        actor=audit_actor(user),
        action="open.user.register",
        target_kind="open.user",
        target_id=user.id,
        detail={"kind": kind, "id": masked},
        ip=ip,
    )
    db.commit()
    return user


def authenticate(
    db: Session, *, settings: Settings, username: str, password: str, ip: str | None = None
) -> PortalUser:
    """The portal user with these credentials; lock-out after repeated failures, like staff logins."""
    user = db.scalar(
        select(PortalUser).where(func.lower(PortalUser.username) == (username or "").strip().lower())
    )
    now = clock.now()
    # a name no account has is counted and locked out exactly like an account (zhicheng.accounts.lockout)
    if user is not None:
        until = clock.aware(user.locked_until)
        until = until if until is not None and until > now else None
    else:
        until = lockout.locked_until(db, "open", username)
    if until is not None:
        wait = int((until - now).total_seconds()) + 1
        raise TooMany(
            "登录失败次数过多，账户暂时锁定，请稍后再试",
            "too many failed logins; try again later",
            code="locked",
            headers={"Retry-After": str(wait)},
        )
    ok = security.verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.active:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
                user.failed_logins = 0
        else:
            lockout.note_failure(db, "open", username, max_failures=settings.login_max_failures,
                                 lockout_minutes=settings.login_lockout_minutes, reset_on_lock=True)
        record(
            db,
            actor=audit_actor(user),
            action="open.user.login",
            target_kind="open.user",
            target_id=user.id if user else None,
            outcome="denied",
            ip=ip,
        )
        db.commit()
        raise Unauthorized(
            "用户名或密码错误", "wrong username or password", code="bad_credentials", field="password"
        )
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    record(
        db,
        actor=audit_actor(user),
        action="open.user.login",
        target_kind="open.user",
        target_id=user.id,
        ip=ip,
    )
    db.commit()
    return user


def start_session(db: Session, *, user: PortalUser) -> tuple[str, PortalSession]:
    """A new portal login: (the cookie token, the row holding its hash and CSRF token)."""
    token = security.new_token()
    row = PortalSession(
        user_id=user.id,
        token_hash=security.token_digest(token),
        csrf_token=secrets.token_urlsafe(32),
        created_at=clock.now(),
        expires_at=clock.now() + SESSION_TTL,
    )
    db.add(row)
    db.commit()
    return token, row


def session_user(db: Session, token: str | None) -> tuple[PortalUser, PortalSession] | None:
    """The live portal user and session of a cookie token, or None."""
    if not token or len(token) > 100:
        return None
    row = db.execute(
        select(PortalSession, PortalUser)
        .join(PortalUser, PortalUser.id == PortalSession.user_id)
        .where(PortalSession.token_hash == security.token_digest(token))
    ).first()
    if row is None:
        return None
    sess, user = row
    if sess.revoked_at is not None or clock.aware(sess.expires_at) <= clock.now() or not user.active:
        return None
    return user, sess


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(
            update(PortalSession)
            .where(PortalSession.token_hash == security.token_digest(token))
            .values(revoked_at=clock.now())
        )
        db.commit()


def profile(user: PortalUser) -> dict:
    """What a portal user may see of their own account (the identity number as masked at registration, the
    phone and e-mail under the masking rules in force)."""
    db = object_session(user)
    rules = masking.rules_in_force(db) if db is not None else masking.DEFAULT_RULES
    return {
        "id": user.id,
        "kind": user.kind,
        "username": user.username,
        "display_name": user.display_name,
        "id_number": user.id_masked,
        "phone": rules.mask(user.phone, "mobile") if user.phone else None,
        "email": rules.mask(user.email, "email") if user.email else None,
        "created_at": clock.aware(user.created_at).isoformat(),
    }
