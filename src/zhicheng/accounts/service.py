"""Accounts logic without HTTP: users, roles, passwords, login, the first admin (and departments, re-exported)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.accounts import lockout, security
from zhicheng.accounts.departments import (  # noqa: F401 - part of this module's contract
    DEPARTMENT_KINDS,
    DepartmentNode,
    create_department,
    delete_department,
    department_tree,
    get_department,
    get_department_by_code,
    list_departments,
    update_department,
)
from zhicheng.accounts.guard import audit, authorize
from zhicheng.accounts.models import Department, LoginSession, User, UserRole
from zhicheng.accounts.roles import Role
from zhicheng.accounts.tokens import (  # noqa: F401 - part of this module's contract
    create_api_key,
    issue_token,
    list_api_keys,
    revoke_api_key,
    revoke_token,
    revoke_user_sessions,
)
from zhicheng.core import clock
from zhicheng.core.actor import ANONYMOUS, SYSTEM, Actor
from zhicheng.core.db import get_or_404
from zhicheng.core.errors import Conflict, Forbidden, Invalid, Unauthorized, not_found
from zhicheng.core.ids import email_address
from zhicheng.core.settings import Settings, get_settings
from zhicheng.policy.rules import DUTIES, duties_of

USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{1,63}")
_UNSET: Any = object()


# ---------------------------------------------------------------- users

def get_user(db: Session, id: int) -> User:
    """The user `id`, or NotFound."""
    return get_or_404(db, User, id, "用户", "user")


def get_user_by_username(db: Session, username: str) -> User:
    """The user called `username`, or NotFound."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise not_found("用户", "user", username)
    return user


def list_users(db: Session, *, department_id: int | None = None, q: str | None = None,
               active: bool | None = None, limit: int = 1000, offset: int = 0) -> tuple[list[User], int]:
    """Users (optionally of one department, matching `q` in username/display name), with the total count."""
    stmt = select(User)
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    if q:
        text = q.strip()
        stmt = stmt.where(User.username.icontains(text, autoescape=True)
                          | User.display_name.icontains(text, autoescape=True))
    total = db.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return list(db.scalars(stmt.order_by(User.username).limit(limit).offset(offset))), total


def _check_roles(roles) -> list[str]:
    known = {r.value for r in Role}
    roles = list(dict.fromkeys(str(r) for r in roles or ()))
    bad = [r for r in roles if r not in known]
    if bad:
        raise Invalid(f"未知角色：{', '.join(bad)}（可用：{', '.join(sorted(known))}）",
                      f"unknown role: {', '.join(bad)} (known: {', '.join(sorted(known))})", field="roles")
    duties = duties_of(roles)
    if len(duties) > 1:  # separation of the three duties: one account, one duty
        zh, en = "、".join(DUTIES[d][0] for d in duties), " and ".join(DUTIES[d][1] for d in duties)
        raise Invalid(f"三员分立：{zh}不能由同一账户担任", f"separation of duties: one account may not be {en}",
                      field="roles")
    return roles


def _authorize_duty(db: Session, actor: Actor, action: str, kind: str, *, user_id: Any, roles, audit_action: str,
                    detail: dict[str, Any] | None = None, **attrs: Any) -> None:
    """Authorize a change to an account (or its roles); a refusal is recorded for the auditor before it is raised."""
    try:
        authorize(actor, action, kind, id=user_id, attrs={"roles": frozenset(roles), **attrs})
    except Forbidden:
        db.rollback()
        audit(db, actor=actor, action=audit_action, target_kind="accounts.user", target_id=user_id,
              outcome="denied", detail={**(detail or {}), "roles": sorted(roles), **attrs})
        db.commit()
        raise


def _active_department(db: Session, department_id: int, fld: str = "department_id") -> Department:
    dept = db.get(Department, department_id) if department_id is not None else None
    if dept is None:
        raise Invalid(f"部门 {department_id} 不存在", f"department {department_id} not found", field=fld)
    if not dept.active:
        raise Invalid(f"部门 {dept.name} 已停用", f"department {dept.code} is inactive", field=fld)
    return dept


def _email(value: str | None) -> str | None:
    """The address normalised by email-validator (core.ids.email_address), None when empty, else Invalid."""
    if not (value or "").strip():
        return None
    found = email_address.normalise(value)
    if found is None:
        raise Invalid("电子邮箱格式不正确", "the e-mail address is not valid", field="email")
    return found


def create_user(db: Session, *, actor: Actor, username: str, password: str, display_name: str,
                department_id: int, roles=(), email: str | None = None, phone: str | None = None) -> User:
    """Create a user in a department with roles; the password is checked against the policy and hashed."""
    requested = [str(r) for r in roles or ()]
    _authorize_duty(db, actor, "create", "accounts.user", user_id=None, roles=requested, audit_action="create",
                    detail={"username": str(username or "")[:64]})
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username):
        raise Invalid("用户名须以字母开头，2–64 位字母、数字、下划线、点或连字符",
                      "the username must start with a letter: 2–64 letters, digits, _ . -", field="username")
    if not display_name or not display_name.strip():
        raise Invalid("请填写姓名", "the display name is required", field="display_name")
    roles = _check_roles(roles)
    for role in roles:
        _authorize_duty(db, actor, "grant", "accounts.role", user_id=None, roles=roles, audit_action="grant_role",
                        role=role)
    _active_department(db, department_id)
    email = _email(email)
    security.check_password_policy(password, username=username)
    if db.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Conflict(f"用户名 {username} 已被使用", f"username {username} is taken", field="username")
    user = User(username=username, display_name=display_name.strip(), department_id=department_id,
                password_hash=security.hash_password(password), email=email or None, phone=phone or None,
                password_changed_at=clock.now(), created_at=clock.now())
    user.role_rows = [UserRole(role=r) for r in roles]
    db.add(user)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise Conflict(f"用户名 {username} 已被使用", f"username {username} is taken", field="username") from exc
    audit(db, actor=actor, action="create", target_kind="accounts.user", target_id=user.id,
          detail={"username": username, "department_id": department_id, "roles": roles})
    db.commit()
    return user


def update_user(db: Session, *, actor: Actor, id: int, display_name: str | None = None,
                department_id: int | None = None, email: str | None = _UNSET, phone: str | None = _UNSET,
                language: str | None = _UNSET) -> User:
    """Change a user's name, department or contact details."""
    user = get_user(db, id)
    _authorize_duty(db, actor, "update", "accounts.user", user_id=user.id, roles=user.roles, audit_action="update")
    before = {"display_name": user.display_name, "department_id": user.department_id}
    if display_name is not None:
        if not display_name.strip():
            raise Invalid("请填写姓名", "the display name is required", field="display_name")
        user.display_name = display_name.strip()
    if department_id is not None and department_id != user.department_id:
        _active_department(db, department_id)
        user.department_id = department_id
    if language is not _UNSET and language not in (None, "", "zh-CN", "en"):
        raise Invalid("语言须为 zh-CN 或 en", "language must be zh-CN or en", field="language")
    if email is not _UNSET:
        email = _email(email)
    for attr, value in (("email", email), ("phone", phone), ("language", language)):
        if value is not _UNSET:
            setattr(user, attr, value or None)
    audit(db, actor=actor, action="update", target_kind="accounts.user", target_id=user.id,
          detail={"before": before, "after": {"display_name": user.display_name,
                                              "department_id": user.department_id}})
    db.commit()
    return user


def set_roles(db: Session, *, actor: Actor, id: int, roles) -> User:
    """Replace a user's roles, each role granted or revoked as policy allows (三员分立); an admin cannot take the
    admin role from themselves, nobody gives themselves a duty, and no account ends with two duties."""
    user = get_user(db, id)
    roles = [str(r) for r in roles or ()]
    before = sorted(user.roles)
    for verb, changed in (("grant", [r for r in roles if r not in user.roles]),
                          ("revoke", [r for r in before if r not in roles])):
        for role in changed:
            _authorize_duty(db, actor, verb, "accounts.role", user_id=user.id, roles=user.roles,
                            audit_action=f"{verb}_role", role=role, detail={"username": user.username})
    roles = _check_roles(roles)
    if actor.user_id == user.id and Role.ADMIN in user.roles and Role.ADMIN not in roles:
        raise Invalid("不能取消自己的平台管理员角色", "you cannot drop your own admin role", field="roles")
    user.role_rows = [r for r in user.role_rows if r.role in roles]
    have = {r.role for r in user.role_rows}
    user.role_rows.extend(UserRole(role=r) for r in roles if r not in have)
    audit(db, actor=actor, action="set_roles", target_kind="accounts.user", target_id=user.id,
          detail={"username": user.username, "before": before, "after": sorted(roles),
                  "granted": sorted(set(roles) - set(before)), "revoked": sorted(set(before) - set(roles))})
    db.commit()
    db.refresh(user)
    return user


def set_active(db: Session, *, actor: Actor, id: int, active: bool) -> User:
    """Deactivate (or reactivate) a user; deactivating ends their sessions and tokens at once."""
    user = get_user(db, id)
    _authorize_duty(db, actor, "update", "accounts.user", user_id=user.id, roles=user.roles,
                    audit_action="activate" if active else "deactivate", detail={"username": user.username})
    if not active and actor.user_id == user.id:
        raise Invalid("不能停用自己的账户", "you cannot deactivate your own account", field="active")
    user.active = active
    if not active:
        revoke_user_sessions(db, user_id=user.id, commit=False)
    audit(db, actor=actor, action="activate" if active else "deactivate", target_kind="accounts.user",
          target_id=user.id, detail={"username": user.username})
    db.commit()
    return user


def deactivate_user(db: Session, *, actor: Actor, id: int) -> User:
    """Deactivate a user (they can no longer log in; their sessions, tokens and keys stop working)."""
    return set_active(db, actor=actor, id=id, active=False)


def change_password(db: Session, *, actor: Actor, old_password: str, new_password: str) -> User:
    """A user changes their own password (knowing the old one); their other sessions end."""
    if actor.user_id is None:
        raise Unauthorized("请先登录", "please log in first", code="login_required")
    user = get_user(db, actor.user_id)
    if not security.verify_password(user.password_hash, old_password or ""):
        raise Invalid("原密码不正确", "the current password is wrong", field="old_password")
    security.check_password_policy(new_password, username=user.username, field="new_password")
    if security.verify_password(user.password_hash, new_password):
        raise Invalid("新密码不能与原密码相同", "the new password must differ from the current one", field="new_password")
    _set_password(db, user, new_password)
    audit(db, actor=actor, action="change_password", target_kind="accounts.user", target_id=user.id)
    db.commit()
    return user


def reset_password(db: Session, *, actor: Actor, id: int, new_password: str) -> User:
    """An admin (the security admin for a duty's account) sets a new password for a user, unlocking the account and
    ending its sessions."""
    user = get_user(db, id)
    _authorize_duty(db, actor, "reset_credentials", "accounts.user", user_id=user.id, roles=user.roles,
                    audit_action="reset_password", detail={"username": user.username})
    security.check_password_policy(new_password, username=user.username, field="new_password")
    _set_password(db, user, new_password)
    audit(db, actor=actor, action="reset_password", target_kind="accounts.user", target_id=user.id,
          detail={"username": user.username, "roles": sorted(user.roles)})
    db.commit()
    return user


def _set_password(db: Session, user: User, password: str) -> None:
    user.password_hash = security.hash_password(password)
    user.password_changed_at = clock.now()
    user.failed_logins, user.locked_until = 0, None
    revoke_user_sessions(db, user_id=user.id, commit=False)


def unlock_user(db: Session, *, actor: Actor, id: int) -> User:
    """Clear a lock-out and the failed-login count."""
    user = get_user(db, id)
    _authorize_duty(db, actor, "reset_credentials", "accounts.user", user_id=user.id, roles=user.roles,
                    audit_action="unlock", detail={"username": user.username})
    user.failed_logins, user.locked_until = 0, None
    audit(db, actor=actor, action="unlock", target_kind="accounts.user", target_id=user.id)
    db.commit()
    return user


def is_locked(user: User) -> bool:
    """True while the user is locked out after too many failed logins."""
    until = clock.aware(user.locked_until)
    return until is not None and until > clock.now()


# ---------------------------------------------------------------- login

def authenticate(db: Session, *, username: str, password: str, ip: str | None = None,
                 settings: Settings | None = None) -> User:
    """The user for these credentials, else Unauthorized; counts failures and locks the account after too many."""
    settings = settings or get_settings()
    username = (username or "").strip()
    user = db.scalar(select(User).where(User.username == username)) if username else None
    # a name no account has is counted and locked out exactly like an account (zhicheng.accounts.lockout)
    if user is not None:
        until = clock.aware(user.locked_until) if is_locked(user) else None
    else:
        until = lockout.locked_until(db, "staff", username)
    if until is not None:
        audit(db, actor=ANONYMOUS, action="login", target_kind="accounts.user", target_id=user.id if user else None,
              outcome="denied", detail={"username": username[:64], "reason": "locked"}, ip=ip)
        db.commit()
        minutes = max(1, int((until - clock.now()).total_seconds() // 60) + 1)
        raise Forbidden(f"登录失败次数过多，账户已锁定，请 {minutes} 分钟后再试或联系管理员",
                        f"too many failed logins: the account is locked for {minutes} more minutes",
                        code="account_locked", field="username")
    ok = security.verify_password(user.password_hash if user else None, password or "")
    if not ok or not user.active:
        detail: dict[str, Any] = {"username": username[:64], "reason": "inactive" if ok else "bad_credentials"}
        if user is not None and not ok:
            if clock.aware(user.locked_until) is not None:  # an earlier lock-out has run out: count afresh
                user.failed_logins, user.locked_until = 0, None
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = clock.now() + timedelta(minutes=settings.login_lockout_minutes)
                detail["locked_until"] = user.locked_until.isoformat()
                audit(db, actor=SYSTEM, action="lockout", target_kind="accounts.user", target_id=user.id,
                      detail={"username": username, "failures": user.failed_logins}, ip=ip)
        elif user is None:
            until = lockout.note_failure(db, "staff", username, max_failures=settings.login_max_failures,
                                         lockout_minutes=settings.login_lockout_minutes)
            if until is not None:
                detail["locked_until"] = until.isoformat()
                audit(db, actor=SYSTEM, action="lockout", target_kind="accounts.user", target_id=None,
                      detail={"username": username[:64], "failures": settings.login_max_failures}, ip=ip)
        audit(db, actor=ANONYMOUS, action="login", target_kind="accounts.user",
              target_id=user.id if user else None, outcome="failed", detail=detail, ip=ip)
        db.commit()
        raise Unauthorized("用户名或密码错误", "wrong username or password", code="invalid_credentials",
                           field="password")
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, clock.now()
    audit(db, actor=actor_for(user), action="login", target_kind="accounts.user", target_id=user.id, ip=ip)
    db.commit()
    return user


def logout(db: Session, *, actor: Actor, token: str, ip: str | None = None) -> None:
    """End the session or bearer token `token` and record it."""
    if revoke_token(db, token=token, commit=False):
        audit(db, actor=actor, action="logout", target_kind="accounts.user", target_id=actor.user_id, ip=ip)
    db.commit()


def actor_for(user: User, *, via: str = "session", department_code: str | None = None) -> Actor:
    """The Actor acting as `user` (its roles and department)."""
    code = department_code
    if code is None and user.department is not None:
        code = user.department.code
    return Actor(kind="apikey" if via == "apikey" else "user", user_id=user.id, username=user.username,
                 display_name=user.display_name, department_id=user.department_id, department_code=code,
                 roles=frozenset(user.roles), via=via)


_BOOTSTRAP = Actor(kind="system", username="system", roles=frozenset({"system", Role.ADMIN}), via="cli")


def _city(db: Session, *, city_name: str, city_code: str) -> Department:
    region = city_code.split("-", 1)[0]
    city = db.scalar(select(Department).where(Department.kind == "city", Department.region_code == region,
                                              Department.parent_id.is_(None)))
    if city is None:
        name = city_name if city_name.endswith(("政府", "委员会")) else f"{city_name}人民政府"
        city = create_department(db, actor=_BOOTSTRAP, name=name, kind="city", region_code=region)
    return city


def bootstrap_admin(db: Session, *, username: str, password: str, city_name: str, city_code: str) -> User:
    """Create the city's government department and the first platform admin (idempotent for the department)."""
    city = _city(db, city_name=city_name, city_code=city_code)
    if db.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"用户 {username} 已存在", f"user {username} already exists", field="username")
    return create_user(db, actor=_BOOTSTRAP, username=username, password=password, display_name="平台管理员",
                       department_id=city.id, roles=[Role.ADMIN])


def has_active_duty(db: Session, role: str) -> bool:
    """Whether an active account holds the duty `role`."""
    return db.scalar(select(User.id).join(UserRole).where(UserRole.role == role, User.active.is_(True))
                     .limit(1)) is not None


def bootstrap_duty(db: Session, *, role: str, username: str, password: str, city_name: str,
                   city_code: str) -> User:
    """At `zhicheng init`: the first security administrator or auditor. Once an active account holds the duty, only
    the security administrator creates more (the console operator is the system administrator)."""
    if role not in (Role.SECURITY_ADMIN, Role.AUDITOR):
        raise Invalid(f"init 只创建安全管理员或审计员，不能创建 {role}", f"init creates a security admin or an auditor, "
                      f"not {role}", field="role")
    zh = DUTIES[role][0]
    if has_active_duty(db, role):
        raise Conflict(f"已有{zh}：其他{zh}账户须由安全管理员创建",
                       f"a {DUTIES[role][1]} exists already: further ones are created by the security admin",
                       field="role")
    city = _city(db, city_name=city_name, city_code=city_code)
    if db.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"用户 {username} 已存在", f"user {username} already exists", field="username")
    return create_user(db, actor=_BOOTSTRAP, username=username, password=password, display_name=zh,
                       department_id=city.id, roles=[role])


def count_active_sessions(db: Session, *, user_id: int) -> int:
    """How many unexpired, unrevoked sessions and tokens a user holds."""
    return db.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None),
        LoginSession.expires_at > clock.now())) or 0
