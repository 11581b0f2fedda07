"""Admin pages of the accounts domain: the department tree, department forms and user administration."""

from __future__ import annotations

from fastapi import Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.accounts import service
from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.accounts.guard import audit, authorize, can
from zhicheng.accounts.roles import ROLE_NAMES
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.web.deps import get_db
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
WRITE = [Depends(csrf_protect)]
KIND_NAMES = {"city": "市级", "district": "区县", "bureau": "委办局", "street": "街道"}
PAGE_SIZE = 50


def dept_options(departments, exclude: int | None = None) -> list[tuple[int, str]]:
    """(id, "name（code）") choices for a department select."""
    return [(d.id, f"{d.name}（{d.code}）") for d in departments if d.id != exclude]


def show(request: Request, name: str, ctx: dict, status_code: int = 200):
    """Render an accounts admin page (with the helpers its forms use)."""
    return render(request, name, {"dept_options": dept_options, **ctx}, status_code=status_code)


def _errors(request: Request, err: AppError) -> dict[str, str]:
    return {err.field or "_form": err.message(request_language(request))}


def _to(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _int_or_none(value: str, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise AppError("请选择有效的选项", "choose a valid option", code="invalid", status=422, field=field)
    return int(value)


# ---------------------------------------------------------------- departments

def _dept_context(db: Session, actor: Actor, **extra) -> dict:
    ctx = {"tree": service.department_tree(db), "departments": service.list_departments(db),
           "kind_names": KIND_NAMES, "can_edit": can(actor, "create", "accounts.department"),
           "errors": {}, "values": {"kind": "bureau", "region_code": ""},
           "breadcrumbs": [("部门与用户", None), ("部门管理", None)]}
    ctx.update(extra)
    return ctx


@router.get("/admin/departments")
def departments_page(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """The department tree, with a form to add one."""
    authorize(actor, "read", "accounts.department")
    ctx = _dept_context(db, actor)
    ctx["values"]["region_code"] = request.app.state.settings.city_code
    audit(db, actor=actor, action="read", target_kind="accounts.department", detail={"view": "tree"},
          ip=request.client.host if request.client else None)
    db.commit()
    return show(request, "accounts/departments.html", ctx)


@router.post("/admin/departments", dependencies=WRITE)
def department_create(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
                      name: str = Form(""), kind: str = Form("bureau"), region_code: str = Form(""),
                      code: str = Form(""), parent_id: str = Form(""), name_en: str = Form(""),
                      short_name: str = Form("")):
    """Create a department from the form; errors go back next to their fields."""
    values = {"name": name, "kind": kind, "region_code": region_code, "code": code, "parent_id": parent_id,
              "name_en": name_en, "short_name": short_name}
    try:
        dept = service.create_department(db, actor=actor, name=name, kind=kind, region_code=region_code.strip(),
                                         code=code.strip() or None, parent_id=_int_or_none(parent_id, "parent_id"),
                                         name_en=name_en.strip(), short_name=short_name.strip())
    except AppError as err:
        if err.status == 403:
            raise
        return show(request, "accounts/departments.html",
                      _dept_context(db, actor, errors=_errors(request, err), values=values), status_code=422)
    return flash(request, _to(f"/admin/departments/{dept.id}"), "部门已创建")


@router.get("/admin/departments/{dept_id}")
def department_page(dept_id: int, request: Request, actor: Actor = Depends(require_user),
                    db: Session = Depends(get_db)):
    """One department: its details (editable by admins) and its users."""
    dept = service.get_department(db, dept_id)
    authorize(actor, "read", "accounts.department", id=dept.id, department_id=dept.id)
    return show(request, "accounts/department.html", _one_dept_context(db, actor, dept))


def _one_dept_context(db: Session, actor: Actor, dept, **extra) -> dict:
    users = []
    if can(actor, "read", "accounts.user", department_id=dept.id):
        users, _total = service.list_users(db, department_id=dept.id, limit=PAGE_SIZE)
    ctx = {"dept": dept, "departments": service.list_departments(db), "kind_names": KIND_NAMES, "users": users,
           "can_edit": can(actor, "update", "accounts.department", id=dept.id, department_id=dept.id),
           "errors": {}, "values": {k: getattr(dept, k) or "" for k in (
               "name", "kind", "region_code", "parent_id", "name_en", "short_name", "sort_order")},
           "breadcrumbs": [("部门与用户", None), ("部门管理", "/admin/departments"), (dept.name, None)]}
    ctx.update(extra)
    return ctx


@router.post("/admin/departments/{dept_id}", dependencies=WRITE)
def department_update(dept_id: int, request: Request, actor: Actor = Depends(require_user),
                      db: Session = Depends(get_db), name: str = Form(""), kind: str = Form("bureau"),
                      region_code: str = Form(""), parent_id: str = Form(""), name_en: str = Form(""),
                      short_name: str = Form(""), active: str = Form("")):
    """Save a department's changes."""
    dept = service.get_department(db, dept_id)
    try:
        service.update_department(db, actor=actor, id=dept.id, name=name, kind=kind,
                                  region_code=region_code.strip(), parent_id=_int_or_none(parent_id, "parent_id"),
                                  name_en=name_en.strip(), short_name=short_name.strip(), active=active == "1")
    except AppError as err:
        if err.status == 403:
            raise
        db.rollback()
        values = {"name": name, "kind": kind, "region_code": region_code, "parent_id": parent_id,
                  "name_en": name_en, "short_name": short_name}
        return show(request, "accounts/department.html",
                      _one_dept_context(db, actor, service.get_department(db, dept_id),
                                        errors=_errors(request, err), values=values), status_code=422)
    return flash(request, _to(f"/admin/departments/{dept.id}"), "部门已保存")


# ---------------------------------------------------------------- users

@router.get("/admin/users")
def users_page(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
               q: str | None = Query(None, max_length=64), department_id: int | None = None,
               page: int = Query(1, ge=1, le=100000)):
    """Users, searchable and filtered by department (data officers see their own department)."""
    if not can(actor, "read", "accounts.user"):  # every department (admin, security admin) or their own
        department_id = actor.department_id
    authorize(actor, "read", "accounts.user", department_id=department_id)
    users, total = service.list_users(db, department_id=department_id, q=q, limit=PAGE_SIZE,
                                      offset=(page - 1) * PAGE_SIZE)
    audit(db, actor=actor, action="read", target_kind="accounts.user",
          detail={"department_id": department_id, "q": q, "count": len(users)},
          ip=request.client.host if request.client else None)
    db.commit()
    return show(request, "accounts/users.html", {
        "users": users, "total": total, "page": page, "pages": max(1, -(-total // PAGE_SIZE)), "q": q or "",
        "department_id": department_id, "departments": service.list_departments(db), "role_names": ROLE_NAMES,
        "can_create": can(actor, "create", "accounts.user"), "is_locked": service.is_locked,
        "breadcrumbs": [("部门与用户", None), ("用户管理", None)]})


def _new_user_context(db: Session, actor: Actor, **extra) -> dict:
    ctx = {"departments": service.list_departments(db, active_only=True), "role_names": ROLE_NAMES,
           "grantable": {r for r in ROLE_NAMES if can(actor, "grant", "accounts.role",
                                                     attrs={"role": r, "roles": frozenset({r})})},
           "errors": {}, "values": {"roles": []},
           "breadcrumbs": [("部门与用户", None), ("用户管理", "/admin/users"), ("新建用户", None)]}
    ctx.update(extra)
    return ctx


@router.get("/admin/users/new")
def user_new_page(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
                  department_id: int | None = None):
    """The form for a new user."""
    authorize(actor, "create", "accounts.user", department_id=department_id)
    return show(request, "accounts/user_new.html",
                  _new_user_context(db, actor, values={"roles": [], "department_id": department_id}))


@router.post("/admin/users", dependencies=WRITE)
def user_create(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
                username: str = Form(""), display_name: str = Form(""), department_id: str = Form(""),
                password: str = Form(""), roles: list[str] = Form([]), email: str = Form(""),
                phone: str = Form("")):
    """Create a user from the form."""
    values = {"username": username, "display_name": display_name, "department_id": department_id,
              "roles": roles, "email": email, "phone": phone}
    try:
        dept_id = _int_or_none(department_id, "department_id")
        if dept_id is None:
            raise AppError("请选择所属部门", "choose a department", code="invalid", status=422, field="department_id")
        user = service.create_user(db, actor=actor, username=username, password=password,
                                   display_name=display_name, department_id=dept_id, roles=roles,
                                   email=email.strip(), phone=phone.strip())
    except AppError as err:
        if err.status == 403:
            raise
        return show(request, "accounts/user_new.html",
                      _new_user_context(db, actor, errors=_errors(request, err), values=values), status_code=422)
    return flash(request, _to(f"/admin/users/{user.id}"), "用户已创建")


def grantable_roles(actor: Actor, user) -> set[str]:
    """The roles `actor` may grant to or revoke from `user` (三员分立: the others are shown, not changeable)."""
    return {r for r in ROLE_NAMES if can(actor, "revoke" if r in user.roles else "grant", "accounts.role", id=user.id,
                                        attrs={"role": r, "roles": user.roles})}


def _user_context(db: Session, actor: Actor, user, **extra) -> dict:
    ctx = {"user": user, "departments": service.list_departments(db), "role_names": ROLE_NAMES,
           "locked": service.is_locked(user), "errors": {}, "grantable": grantable_roles(actor, user),
           "can_edit": can(actor, "update", "accounts.user", id=user.id, attrs={"roles": user.roles}),
           "values": {"display_name": user.display_name, "department_id": user.department_id,
                      "email": user.email or "", "phone": user.phone or ""},
           "breadcrumbs": [("部门与用户", None), ("用户管理", "/admin/users"), (user.display_name, None)]}
    ctx.update(extra)
    return ctx


@router.get("/admin/users/{user_id}")
def user_page(user_id: int, request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """One user: profile, roles, password reset, lock and activation."""
    user = service.get_user(db, user_id)
    authorize(actor, "read", "accounts.user", id=user.id, department_id=user.department_id)
    audit(db, actor=actor, action="read", target_kind="accounts.user", target_id=user.id,
          ip=request.client.host if request.client else None)
    db.commit()
    return show(request, "accounts/user.html", _user_context(db, actor, user))


def _user_action(request: Request, db: Session, actor: Actor, user_id: int, done: str, action):
    """Run one change on a user; on a user error show the page again with the message by its field."""
    try:
        action()
    except AppError as err:
        if err.status in (403, 404):
            raise
        db.rollback()
        user = service.get_user(db, user_id)
        return show(request, "accounts/user.html",
                      _user_context(db, actor, user, errors=_errors(request, err)), status_code=422)
    return flash(request, _to(f"/admin/users/{user_id}"), done)


@router.post("/admin/users/{user_id}", dependencies=WRITE)
def user_update(user_id: int, request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
                display_name: str = Form(""), department_id: str = Form(""), email: str = Form(""),
                phone: str = Form("")):
    """Save a user's profile."""
    return _user_action(request, db, actor, user_id, "用户信息已保存", lambda: service.update_user(
        db, actor=actor, id=user_id, display_name=display_name,
        department_id=_int_or_none(department_id, "department_id"), email=email.strip(), phone=phone.strip()))


@router.post("/admin/users/{user_id}/roles", dependencies=WRITE)
def user_roles(user_id: int, request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
               roles: list[str] = Form([])):
    """Replace a user's roles."""
    return _user_action(request, db, actor, user_id, "角色已更新",
                        lambda: service.set_roles(db, actor=actor, id=user_id, roles=roles))


@router.post("/admin/users/{user_id}/password", dependencies=WRITE)
def user_password(user_id: int, request: Request, actor: Actor = Depends(require_user),
                  db: Session = Depends(get_db), new_password: str = Form("")):
    """Set a new password for a user."""
    return _user_action(request, db, actor, user_id, "密码已重置",
                        lambda: service.reset_password(db, actor=actor, id=user_id, new_password=new_password))


@router.post("/admin/users/{user_id}/unlock", dependencies=WRITE)
def user_unlock(user_id: int, request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """Clear a user's lock-out."""
    return _user_action(request, db, actor, user_id, "已解除锁定",
                        lambda: service.unlock_user(db, actor=actor, id=user_id))


@router.post("/admin/users/{user_id}/active", dependencies=WRITE)
def user_active(user_id: int, request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
                active: str = Form("0")):
    """Deactivate or reactivate a user."""
    return _user_action(request, db, actor, user_id, "用户已启用" if active == "1" else "用户已停用",
                        lambda: service.set_active(db, actor=actor, id=user_id, active=active == "1"))


def nav_entries(nav) -> None:
    """The security administrator's entry in the app shell (the system administrator's is accounts.pages')."""
    nav.register_nav("system", "用户与角色", "/admin/users", roles=("security_admin",), match="/admin/users",
                     order=15)
