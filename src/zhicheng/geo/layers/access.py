"""Who may read a layer, and how: the same gates as every other door of the data (policy for the providing
department and the admin, a live sharing grant for other departments, the open-data gate for everyone else),
with the same masking (`policy.masking`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import fastread
from zhicheng.catalog.items import ItemSpec, ItemType
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden, NotFound
from zhicheng.policy import masking
from zhicheng.policy.service import Target, decide

OPEN_TYPES = ("unconditional", "conditional")


@dataclass
class LayerAccess:
    """How the caller reaches the layer's rows: `via` staff | grant | open, the actor the read is made as, the items
    it may see, which of them are masked (item → kind), and the grant's row conditions."""

    via: str
    reader: Actor
    items: list[str] | None = None  # None: every item
    plain: set[str] = field(default_factory=set)
    row_filter: dict | None = None
    grant: Any = None


def target_of(resource_id: int, department_id: int) -> Target:
    return Target("catalog.dataset", id=resource_id, department_id=department_id)


def not_found(code: Any) -> NotFound:
    shown = str(code)[:80]
    return NotFound(f"图层 {shown} 不存在", f"collection {shown} not found", field="collectionId")


def has_geometry(items: list[dict]) -> bool:
    return any(str(i.get("type")) == ItemType.GEOMETRY.value for i in items or [])


def open_type(db: Session, resource) -> str | None:
    from zhicheng.opendata.access import open_type_of

    return open_type_of(db, resource)


def may_list(db: Session, actor: Actor, resource_id: int, department_id: int, snapshot: dict) -> bool:
    """Whether `actor` sees the layer in the list (anonymous callers: open layers only)."""
    if snapshot.get("open_type") in OPEN_TYPES:
        return True
    if not actor.is_authenticated:
        return False
    if decide(actor, "read", target_of(resource_id, department_id)).allowed:
        return True
    from zhicheng.exchange import grants

    return grants.active_grant(db, actor=actor, resource_id=resource_id) is not None


def gate(db: Session, actor: Actor, request: Any, resource) -> LayerAccess:
    """The caller's way to the layer's rows, or Forbidden / NotFound / Unauthorized / TooMany as the gates say."""
    if actor.is_authenticated:
        if decide(actor, "read", target_of(resource.id, resource.department_id)).allowed:
            return LayerAccess(via="staff", reader=actor)
        from zhicheng.exchange import grants

        if grants.active_grant(db, actor=actor, resource_id=resource.id) is not None:
            g = grants.check_grant(db, actor=actor, resource_id=resource.id)
            return LayerAccess(via="grant", reader=actor, items=list(g.items or ()), plain=set(g.plain_items or ()),
                         row_filter=g.row_filter, grant=g)
        if open_type(db, resource) not in OPEN_TYPES:
            raise Forbidden(f"没有权限查看图层 {resource.code}（请申请共享授权）",
                            f"you may not read the collection {resource.code} (apply for a sharing grant)",
                            code="forbidden")
    elif open_type(db, resource) not in OPEN_TYPES:
        raise not_found(resource.code)
    if request is None:  # the console's public view (tiles seed/export): what a visitor with no key may read
        if open_type(db, resource) != "unconditional":
            raise Forbidden(f"图层 {resource.code} 为有条件开放，公众视图不可读（请以有权限的用户导出）",
                            f"the collection {resource.code} is open on conditions: not in the public view "
                            "(export as a user who may read it)", code="forbidden")
        return LayerAccess(via="open", reader=actor)
    from zhicheng.opendata.access import check_open_access

    access = check_open_access(db, request, resource, kind="api")  # keys, applications and rate limits
    return LayerAccess(via="open", reader=access.actor)


def masks(db: Session, g: LayerAccess, resource, specs: list[ItemSpec]) -> dict[str, str]:
    """Item → masking kind of every visible item the caller sees masked (one masking for every door)."""
    target = target_of(resource.id, resource.department_id)
    if g.via == "grant":
        return masking.field_masks(g.reader, None, specs, plain=g.plain)
    if g.via == "open":
        from zhicheng.core.actor import ANONYMOUS

        return masking.field_masks(ANONYMOUS, target, specs)
    return masking.field_masks(g.reader, target, specs)


def row_conditions(g: LayerAccess, table: sa.Table, specs: list[ItemSpec]) -> list:
    """The grant's row filter as SQL conditions (none for staff and open reads)."""
    if not g.row_filter:
        return []
    from zhicheng.exchange.query import row_filter_conditions

    return row_filter_conditions(table, g.row_filter, {s.name: s for s in specs})


def find_layer(db: Session, code: str):
    """The live catalog resource whose code is `code` and whose published items hold a geometry, or NotFound."""
    if not isinstance(code, str) or len(code) > 100:
        raise not_found(code)
    try:
        res = catalog.get_by_code(db, code)
    except NotFound:
        raise not_found(code) from None
    if not catalog.is_live(res):
        raise not_found(code)
    dv = fastread.newest_version(db.connection(), res.id)
    if dv is None or not any(ItemType(s.type) is ItemType.GEOMETRY for s in dv.specs):
        raise not_found(code)
    return res
