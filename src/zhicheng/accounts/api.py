"""The accounts API: tokens, the current user and their API keys, departments and users (/api/v1)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Depends, Query, Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhicheng.accounts import security, service, tokens
from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.accounts.guard import audit, authorize, can
from zhicheng.accounts.middleware import SESSION_COOKIE, bearer_token
from zhicheng.accounts.models import User
from zhicheng.accounts.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    DepartmentCreate,
    DepartmentNodeOut,
    DepartmentOut,
    DepartmentUpdate,
    MeOut,
    PasswordChange,
    PasswordReset,
    RolesIn,
    TokenOut,
    TokenRequest,
    UserCreate,
    UserOut,
    UserUpdate,
)
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid
from zhicheng.core.pagination import Page, PageParams, page_params
from zhicheng.web.deps import get_db
from zhicheng.web.one_time import no_store
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1", tags=["accounts"])
WRITE = [Depends(csrf_protect)]


def on_startup(app) -> None:
    """Bound the password hashes computed at once (`password_hash_concurrency`)."""
    security.limit_hashing(app.state.settings.password_hash_concurrency)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def user_out(user: User) -> UserOut:
    """The API view of a user (never the password hash)."""
    dept = user.department
    return UserOut(id=user.id, username=user.username, display_name=user.display_name,
                   department_id=user.department_id, department_code=dept.code if dept else None,
                   department_name=dept.name if dept else None, email=user.email, phone=user.phone,
                   roles=sorted(user.roles), active=user.active, locked=service.is_locked(user),
                   last_login_at=clock.aware(user.last_login_at), created_at=clock.aware(user.created_at))


def node_out(node: service.DepartmentNode) -> DepartmentNodeOut:
    base = DepartmentOut.model_validate(node.department).model_dump()
    return DepartmentNodeOut(**base, children=[node_out(c) for c in node.children])


# ---------------------------------------------------------------- tokens and me

@router.post("/auth/token", response_model=TokenOut, dependencies=[Depends(no_store)])  # RFC 6749 5.1
async def token(request: Request, db: Session = Depends(get_db)):
    """用户名密码换取访问令牌 / exchange username and password for a bearer token (OAuth2 password grant)."""
    ctype = request.headers.get("content-type", "")
    raw = dict(await request.form()) if ctype.startswith(("application/x-www-form-urlencoded",
                                                          "multipart/form-data")) else None
    if raw is None:
        try:
            raw = await request.json()
        except ValueError as exc:
            raise Invalid("请求体须为 JSON 或表单", "the body must be JSON or a form", field="body") from exc
    try:
        body = TokenRequest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        fld = ".".join(str(p) for p in first["loc"]) or "body"
        raise Invalid(f"输入有误：{fld}", f"Invalid input: {fld}: {first['msg']}", field=fld) from exc
    settings = request.app.state.settings

    def log_in() -> TokenOut:  # in a worker thread: Argon2 and the database must not hold up the event loop
        user = service.authenticate(db, username=body.username, password=body.password, ip=client_ip(request),
                                    settings=settings)
        access = tokens.issue_token(db, user=user, kind="bearer", ip=client_ip(request),
                                     user_agent=request.headers.get("user-agent"), settings=settings)
        ttl = timedelta(minutes=settings.token_ttl_minutes)
        return TokenOut(access_token=access, expires_in=int(ttl.total_seconds()),
                        expires_at=tokens.token_expiry(db, token=access))

    return await run_in_threadpool(log_in)


@router.post("/auth/logout", status_code=204, dependencies=WRITE)
def logout(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """结束当前令牌或会话 / end the presented bearer token or cookie session."""
    presented = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    if presented and actor.via in ("token", "session"):
        service.logout(db, actor=actor, token=presented, ip=client_ip(request))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=MeOut)
def me(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """当前用户 / who am I (with the CSRF token of a cookie session)."""
    user = service.get_user(db, actor.user_id)
    return MeOut(kind=actor.kind, via=actor.via, user=user_out(user),
                 csrf_token=request.state.csrf_token if actor.via == "session" else None)


@router.post("/me/password", status_code=204, dependencies=WRITE)
def change_my_password(body: PasswordChange, request: Request, actor: Actor = Depends(require_user),
                       db: Session = Depends(get_db)):
    """修改本人密码 / change my password (my other sessions and tokens end)."""
    service.change_password(db, actor=actor, old_password=body.old_password, new_password=body.new_password)
    return Response(status_code=204)


@router.get("/me/api-keys", response_model=list[ApiKeyOut])
def my_api_keys(actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """我的 API 密钥 / my API keys."""
    authorize(actor, "read", "accounts.apikey", attrs={"owner_user_id": actor.user_id})
    return [ApiKeyOut.model_validate(k) for k in service.list_api_keys(db, user_id=actor.user_id)]


@router.post("/me/api-keys", response_model=ApiKeyCreated, status_code=201,
             dependencies=[*WRITE, Depends(no_store)])
def create_my_api_key(body: ApiKeyCreate, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """创建 API 密钥（完整密钥只返回这一次）/ create an API key (the full key is returned only now)."""
    created = service.create_api_key(db, actor=actor, name=body.name, expires_days=body.expires_days)
    return ApiKeyCreated(**ApiKeyOut.model_validate(created.api_key).model_dump(), key=created.key)


@router.delete("/me/api-keys/{key_id}", status_code=204, dependencies=WRITE)
def revoke_my_api_key(key_id: int, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """撤销 API 密钥 / revoke an API key."""
    service.revoke_api_key(db, actor=actor, id=key_id)
    return Response(status_code=204)


# ---------------------------------------------------------------- departments

@router.get("/departments", response_model=list[DepartmentOut])
def departments(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
                active: bool | None = Query(None, description="只看启用的 / only active ones")):
    """部门列表 / all departments."""
    authorize(actor, "read", "accounts.department")
    rows = service.list_departments(db, active_only=bool(active))
    audit(db, actor=actor, action="read", target_kind="accounts.department", detail={"count": len(rows)},
          ip=client_ip(request))
    db.commit()
    return [DepartmentOut.model_validate(d) for d in rows]


@router.get("/departments/tree", response_model=list[DepartmentNodeOut])
def departments_tree(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """部门树 / the department tree."""
    authorize(actor, "read", "accounts.department")
    tree = service.department_tree(db)
    audit(db, actor=actor, action="read", target_kind="accounts.department", detail={"view": "tree"},
          ip=client_ip(request))
    db.commit()
    return [node_out(n) for n in tree]


@router.get("/departments/{dept_id}", response_model=DepartmentOut)
def department(dept_id: int, request: Request, actor: Actor = Depends(require_user),
               db: Session = Depends(get_db)):
    """一个部门 / one department."""
    dept = service.get_department(db, dept_id)
    authorize(actor, "read", "accounts.department", id=dept.id, department_id=dept.id)
    audit(db, actor=actor, action="read", target_kind="accounts.department", target_id=dept.id,
          ip=client_ip(request))
    db.commit()
    return DepartmentOut.model_validate(dept)


@router.post("/departments", response_model=DepartmentOut, status_code=201, dependencies=WRITE)
def create_department(body: DepartmentCreate, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """新建部门 / create a department."""
    return DepartmentOut.model_validate(service.create_department(db, actor=actor, **body.model_dump()))


@router.patch("/departments/{dept_id}", response_model=DepartmentOut, dependencies=WRITE)
def update_department(dept_id: int, body: DepartmentUpdate, actor: Actor = Depends(require_user),
                      db: Session = Depends(get_db)):
    """修改部门 / change a department."""
    changes = body.model_dump(exclude_unset=True)
    return DepartmentOut.model_validate(service.update_department(db, actor=actor, id=dept_id, **changes))


@router.delete("/departments/{dept_id}", status_code=204, dependencies=WRITE)
def delete_department(dept_id: int, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """删除部门（无下级、无用户时）/ delete a department with no sub-departments and no users."""
    service.delete_department(db, actor=actor, id=dept_id)
    return Response(status_code=204)


# ---------------------------------------------------------------- users

@router.get("/users", response_model=Page[UserOut])
def users(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
          page: PageParams = Depends(page_params), department_id: int | None = None,
          q: str | None = Query(None, max_length=64), active: bool | None = None):
    """用户列表（管理员看全部，部门数据管理员看本部门）/ users (admins: all; data officers: their department)."""
    if not can(actor, "read", "accounts.user"):  # every department (admin, security admin) or their own
        department_id = actor.department_id
    authorize(actor, "read", "accounts.user", department_id=department_id)
    rows, total = service.list_users(db, department_id=department_id, q=q, active=active, limit=page.size,
                                     offset=page.offset)
    audit(db, actor=actor, action="read", target_kind="accounts.user",
          detail={"department_id": department_id, "q": q, "count": len(rows)}, ip=client_ip(request))
    db.commit()
    return Page[UserOut](items=[user_out(u) for u in rows], total=total, page=page.page, size=page.size)


@router.get("/users/{user_id}", response_model=UserOut)
def user(user_id: int, request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """一个用户 / one user."""
    row = service.get_user(db, user_id)
    authorize(actor, "read", "accounts.user", id=row.id, department_id=row.department_id)
    audit(db, actor=actor, action="read", target_kind="accounts.user", target_id=row.id, ip=client_ip(request))
    db.commit()
    return user_out(row)


@router.post("/users", response_model=UserOut, status_code=201, dependencies=WRITE)
def create_user(body: UserCreate, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """新建用户 / create a user."""
    return user_out(service.create_user(db, actor=actor, **body.model_dump()))


@router.patch("/users/{user_id}", response_model=UserOut, dependencies=WRITE)
def update_user(user_id: int, body: UserUpdate, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """修改用户（姓名、部门、联系方式、启用/停用）/ change a user."""
    changes = body.model_dump(exclude_unset=True)
    active = changes.pop("active", None)
    row = service.update_user(db, actor=actor, id=user_id, **changes) if changes else service.get_user(db, user_id)
    if active is not None and active != row.active:
        row = service.set_active(db, actor=actor, id=user_id, active=active)
    if not changes and active is None:
        authorize(actor, "update", "accounts.user", id=row.id, attrs={"roles": row.roles})
    return user_out(row)


@router.put("/users/{user_id}/roles", response_model=UserOut, dependencies=WRITE)
def set_user_roles(user_id: int, body: RolesIn, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """设置用户角色 / replace a user's roles."""
    return user_out(service.set_roles(db, actor=actor, id=user_id, roles=body.roles))


@router.post("/users/{user_id}/reset-password", status_code=204, dependencies=WRITE)
def reset_user_password(user_id: int, body: PasswordReset, actor: Actor = Depends(require_user),
                        db: Session = Depends(get_db)):
    """重置用户密码 / set a new password for a user (ends their sessions)."""
    service.reset_password(db, actor=actor, id=user_id, new_password=body.new_password)
    return Response(status_code=204)


@router.post("/users/{user_id}/unlock", response_model=UserOut, dependencies=WRITE)
def unlock_user(user_id: int, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """解除锁定 / clear a lock-out."""
    return user_out(service.unlock_user(db, actor=actor, id=user_id))


@router.delete("/users/{user_id}", response_model=UserOut, dependencies=WRITE)
def deactivate_user(user_id: int, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """停用用户（保留记录）/ deactivate a user (the record is kept)."""
    return user_out(service.deactivate_user(db, actor=actor, id=user_id))
