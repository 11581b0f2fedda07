"""Departments: the tree of government units under GB/T 2260 regions, their codes, creation and changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.accounts.guard import audit, authorize
from zhicheng.accounts.models import Department, User
from zhicheng.core.actor import Actor
from zhicheng.core.db import get_or_404
from zhicheng.core.errors import Conflict, Invalid, not_found
from zhicheng.core.ids import regions

DEPARTMENT_KINDS = ("city", "district", "bureau", "street")
REGION_RE = re.compile(r"\d{6}|\d{9}|\d{12}")
CODE_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,31}")
_UNSET: Any = object()
CODE_ATTEMPTS = 20


def get_department(db: Session, id: int) -> Department:
    """The department `id`, or NotFound."""
    return get_or_404(db, Department, id, "部门", "department")


def get_department_by_code(db: Session, code: str) -> Department:
    """The department with `code`, or NotFound."""
    dept = db.scalar(select(Department).where(Department.code == code))
    if dept is None:
        raise not_found("部门", "department", code)
    return dept


def list_departments(db: Session, *, active_only: bool = False) -> list[Department]:
    """Every department, ordered by sort order and code."""
    stmt = select(Department).order_by(Department.sort_order, Department.code)
    if active_only:
        stmt = stmt.where(Department.active.is_(True))
    return list(db.scalars(stmt))


@dataclass
class DepartmentNode:
    """A department with its children, for the tree view."""

    department: Department
    children: list[DepartmentNode] = field(default_factory=list)


def department_tree(db: Session) -> list[DepartmentNode]:
    """The departments as a forest: roots (no parent) with their children, each level in list order."""
    nodes = {d.id: DepartmentNode(d) for d in list_departments(db)}
    roots: list[DepartmentNode] = []
    for node in nodes.values():
        parent = nodes.get(node.department.parent_id) if node.department.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def _next_department_code(db: Session, region_code: str) -> str:
    codes = db.scalars(select(Department.code).where(Department.code.startswith(f"{region_code}-", autoescape=True)))
    seqs = [int(c.rsplit("-", 1)[1]) for c in codes if re.fullmatch(rf"{region_code}-\d{{3}}", c)]
    return f"{region_code}-{max(seqs, default=0) + 1:03d}"


def _check_department_fields(db: Session, *, name: str, kind: str, region_code: str,
                             parent_id: int | None, self_id: int | None = None) -> None:
    if not name or not name.strip():
        raise Invalid("请填写部门名称", "the department name is required", field="name")
    if len(name) > 100:
        raise Invalid("部门名称不能超过 100 个字", "the department name may have at most 100 characters", field="name")
    if kind not in DEPARTMENT_KINDS:
        raise Invalid(f"部门类型须为 {'/'.join(DEPARTMENT_KINDS)} 之一", f"kind must be one of {', '.join(DEPARTMENT_KINDS)}",
                      field="kind")
    if not REGION_RE.fullmatch(region_code or ""):
        raise Invalid("行政区划代码须为 6、9 或 12 位数字（GB/T 2260）",
                      "the region code must be 6, 9 or 12 digits (GB/T 2260)", field="region_code")
    if not regions.known(region_code[:6]):
        raise Invalid(f"行政区划代码 {region_code[:6]} 不在 GB/T 2260 中", f"region code {region_code[:6]} is not in GB/T 2260",
                      field="region_code")
    if parent_id is not None:
        parent = db.get(Department, parent_id)
        if parent is None:
            raise Invalid(f"上级部门 {parent_id} 不存在", f"parent department {parent_id} not found", field="parent_id")
        seen = set()
        while parent is not None and self_id is not None:
            if parent.id == self_id or parent.id in seen:
                raise Invalid("上级部门不能是本部门或其下级", "the parent may not be the department itself or below it",
                              field="parent_id")
            seen.add(parent.id)
            parent = db.get(Department, parent.parent_id) if parent.parent_id else None


def create_department(db: Session, *, actor: Actor, name: str, kind: str, region_code: str, code: str | None = None,
                      parent_id: int | None = None, name_en: str | None = None, short_name: str | None = None,
                      credit_code: str | None = None, sort_order: int = 0) -> Department:
    """Create a department; its code is region code + '-' + a 3-digit sequence unless given."""
    authorize(actor, "create", "accounts.department", department_id=parent_id)
    name = (name or "").strip()
    _check_department_fields(db, name=name, kind=kind, region_code=region_code, parent_id=parent_id)
    if code:
        if not CODE_RE.fullmatch(code):
            raise Invalid("部门编码只能包含字母、数字和连字符", "the code may hold letters, digits and hyphens only",
                          field="code")
        if db.scalar(select(Department.id).where(Department.code == code)):
            raise Conflict(f"部门编码 {code} 已存在", f"department code {code} already exists", field="code")
    for attempt in range(CODE_ATTEMPTS):
        dept = Department(code=code or _next_department_code(db, region_code), name=name, kind=kind,
                          region_code=region_code, parent_id=parent_id, name_en=name_en or None,
                          short_name=short_name or None, credit_code=credit_code or None, sort_order=sort_order)
        try:
            with db.begin_nested():  # another writer may take the same sequence number: take the next one
                db.add(dept)
        except IntegrityError as exc:
            if code or attempt == CODE_ATTEMPTS - 1:
                db.rollback()
                raise Conflict(f"部门编码 {dept.code} 已存在", f"department code {dept.code} already exists",
                               field="code") from exc
            continue
        break
    audit(db, actor=actor, action="create", target_kind="accounts.department", target_id=dept.id,
          detail={"code": dept.code, "name": dept.name})
    db.commit()
    return dept


def update_department(db: Session, *, actor: Actor, id: int, name: str | None = None, kind: str | None = None,
                      region_code: str | None = None, parent_id: int | None = _UNSET, name_en: str | None = _UNSET,
                      short_name: str | None = _UNSET, credit_code: str | None = _UNSET,
                      sort_order: int | None = None, active: bool | None = None) -> Department:
    """Change a department's fields (the code stays); a department cannot move below itself."""
    dept = get_department(db, id)
    authorize(actor, "update", "accounts.department", id=dept.id, department_id=dept.id)
    new_parent = dept.parent_id if parent_id is _UNSET else parent_id
    new_name = dept.name if name is None else name.strip()
    _check_department_fields(db, name=new_name, kind=kind or dept.kind, region_code=region_code or dept.region_code,
                             parent_id=new_parent, self_id=dept.id)
    before = {"name": dept.name, "kind": dept.kind, "parent_id": dept.parent_id, "active": dept.active}
    dept.name, dept.kind, dept.region_code, dept.parent_id = (new_name, kind or dept.kind,
                                                              region_code or dept.region_code, new_parent)
    for attr, value in (("name_en", name_en), ("short_name", short_name), ("credit_code", credit_code)):
        if value is not _UNSET:
            setattr(dept, attr, value or None)
    if sort_order is not None:
        dept.sort_order = sort_order
    if active is not None:
        dept.active = active
    audit(db, actor=actor, action="update", target_kind="accounts.department", target_id=dept.id,
          detail={"before": before, "after": {"name": dept.name, "kind": dept.kind, "parent_id": dept.parent_id,
                                              "active": dept.active}})
    db.commit()
    return dept


def delete_department(db: Session, *, actor: Actor, id: int) -> None:
    """Delete a department that has no sub-departments and no users (else Conflict: deactivate it instead)."""
    dept = get_department(db, id)
    authorize(actor, "delete", "accounts.department", id=dept.id, department_id=dept.id)
    if db.scalar(select(func.count()).select_from(Department).where(Department.parent_id == dept.id)):
        raise Conflict("该部门还有下级部门，不能删除（可停用）", "the department has sub-departments; deactivate it instead")
    if db.scalar(select(func.count()).select_from(User).where(User.department_id == dept.id)):
        raise Conflict("该部门还有用户，不能删除（可停用）", "the department has users; deactivate it instead")
    audit(db, actor=actor, action="delete", target_kind="accounts.department", target_id=dept.id,
          detail={"code": dept.code, "name": dept.name})
    db.delete(dept)
    db.commit()
