"""What registering or editing a data resource checks and sets: related codes that exist, a name unique in its
department, the resource code (GB/T 21063 front code + sequence), the data items."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.catalog import codes
from zhicheng.catalog.models import Item, Resource
from zhicheng.core.errors import Conflict, Invalid


def check_related(db: Session, related: list[str], own_code: str | None = None) -> None:
    """Related resource codes must name registered resources (other than this one)."""
    if not related:
        return
    known = set(db.scalars(select(Resource.code).where(Resource.code.in_(related))))
    for i, code in enumerate(related):
        if code not in known or code == own_code:
            raise Invalid(f"关联资源代码 {code} 不存在", f"related resource code {code} does not exist",
                          field=f"related_codes.{i}")


def check_unique_name(db: Session, department_id: int, name: str, exclude_id: int | None = None) -> None:
    """No other resource of the department has this name."""
    stmt = select(Resource.id).where(Resource.department_id == department_id, Resource.name == name)
    if exclude_id is not None:
        stmt = stmt.where(Resource.id != exclude_id)
    if db.scalar(stmt) is not None:
        raise Conflict(f"本部门已有名为“{name}”的数据资源", f"the department already has a resource named '{name}'",
                       field="name")


def assign_code(db: Session, res: Resource, dept: dict[str, Any]) -> None:
    """A resource code under the front code its class and provider department (`dept`, a department_ref) give,
    unless it already has one there."""
    front = codes.front_code(catalog_class=res.catalog_class, subclass=res.subclass, department_code=dept["code"],
                             department_id=dept["id"], department_kind=dept["kind"], detail_code=res.detail_code)
    if not (res.code or "").startswith(front + "/"):
        res.code = codes.next_code(db, front)


def set_items(db: Session, res: Resource, items: list[dict[str, Any]]) -> None:
    """The resource's data items replaced by `items`, in order."""
    if res.items:
        res.items.clear()
        db.flush()  # delete the old rows before inserting new ones that may reuse their names
    for pos, item in enumerate(items):
        res.items.append(Item(position=pos, **item))
