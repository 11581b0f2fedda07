"""Catalog logic without HTTP: register, read and edit data resources, their lifecycle, revisions and reviews.

Lifecycle: draft → submitted → returned | published; returned → submitted; published → revise (a new draft
while the published revision stays visible) → submitted → published; published → withdrawn → revise.
Every change is authorised by the policy decision point, audited, re-indexed for search, committed, and then
announced on the event bus ("catalog.resource.<what>").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.catalog import codes, registration, search
from zhicheng.catalog.items import ItemCheck, ItemSpec, ItemType, Sensitivity
from zhicheng.catalog.models import Resource, Review, Revision
from zhicheng.catalog.schemas import as_dict, validate  # noqa: F401 - validate is part of this module's API
from zhicheng.core import changes, clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID, get_or_404
from zhicheng.core.errors import Conflict, Invalid, not_found
from zhicheng.core.events import bus
from zhicheng.core.prepared import Prepared

KIND = "catalog.resource"
CHINA = clock.LOCAL_TZ
EDITABLE_STATES = ("draft", "returned")
SCALAR_FIELDS = ("name", "catalog_class", "subclass", "detail_code", "summary", "format", "file_formats",
                 "share_type", "share_condition", "share_basis", "share_method", "open_type", "open_condition",
                 "update_cycle", "related_codes", "tags", "spatial")


# ---------------------------------------------------------------- reading

def get_resource(db: Session, resource_id: int) -> Resource:
    """The resource `resource_id` (working copy, no policy check), or NotFound."""
    return get_or_404(db, Resource, resource_id, "数据资源", "data resource")


@dataclass(frozen=True)
class ResourceHead:
    """The few fields of a resource that decide who may read its data (its department, state, open attribute,
    published revision): what a path serving its rows loads, in one plain query."""

    id: int
    department_id: int
    state: str
    open_type: str
    revision: int
    withdrawn_at: datetime | None


_R = Resource.__table__
_HEAD = Prepared(select(_R.c.id, _R.c.department_id, _R.c.state, _R.c.open_type, _R.c.revision,
                         _R.c.withdrawn_at).where(_R.c.id == bindparam("resource_id")))


def resource_head(db: Session, resource_id: int) -> ResourceHead | None:
    """The head of resource `resource_id` (working copy, no policy check), or None."""
    if not isinstance(resource_id, int) or not 0 < resource_id <= MAX_ID:
        return None
    row = _HEAD.first(db.connection(), {"resource_id": resource_id})
    return ResourceHead(*row) if row is not None else None


def get_by_code(db: Session, code: str) -> Resource:
    """The resource with resource code `code`, or NotFound."""
    res = db.scalar(select(Resource).where(Resource.code == code))
    if res is None:
        raise not_found("资源代码", "resource code", code)
    return res


def is_live(res: Resource) -> bool:
    """A published revision of `res` is visible to everyone (published once, not withdrawn since)."""
    return res.revision > 0 and res.withdrawn_at is None


def department_ref(db: Session, department_id: int) -> dict[str, Any]:
    """Id, code and name of a department, through the accounts service."""
    from zhicheng.accounts import service as accounts

    dept = accounts.get_department(db, department_id)
    return {"id": dept.id, "code": dept.code, "name": dept.name, "name_en": getattr(dept, "name_en", None),
            "kind": dept.kind}


def document(db: Session, res: Resource) -> dict[str, Any]:
    """The working copy of `res` as a plain JSON-ready document (what snapshots and the API hold)."""
    doc: dict[str, Any] = {f: getattr(res, f) for f in SCALAR_FIELDS}
    doc.update(
        id=res.id, code=res.code, department=department_ref(db, res.department_id), state=res.state,
        revision=res.revision, live=is_live(res), view="work", withdrawn_reason=res.withdrawn_reason,
        publish_date=res.publish_date.isoformat() if res.publish_date else None,
        created_at=clock.aware(res.created_at).isoformat(), updated_at=clock.aware(res.updated_at).isoformat(),
        file_formats=list(res.file_formats or []), related_codes=list(res.related_codes or []),
        tags=list(res.tags or []),
        items=[{"name": i.name, "label": i.label, "type": i.type, "length": i.length, "scale": i.scale,
                "required": i.required, "description": i.description, "personal": i.personal,
                "sensitivity": i.sensitivity, "check": i.check} for i in res.items],
    )
    doc["labels"], doc["labels_en"] = labels_of(doc), labels_of(doc, "en")
    return doc


def labels_of(doc: dict[str, Any], lang: str = "zh-CN") -> dict[str, str]:
    """Display names (Chinese, or English) of a document's enumerated values."""
    out = {f: codes.label(f, doc.get(f), lang) for f in codes.VOCABULARIES if doc.get(f)}
    if doc.get("subclass"):
        out["subclass"] = codes.label("subclass", doc["subclass"], lang)
    return out


def live_snapshot(db: Session, res: Resource) -> dict[str, Any] | None:
    """The document of the live published revision of `res` (None when there is none)."""
    if not is_live(res):
        return None
    rev = db.scalar(select(Revision).where(Revision.resource_id == res.id, Revision.revision == res.revision))
    return None if rev is None else _published(rev)


def live_snapshots(db: Session, resources: list[Resource]) -> dict[int, dict[str, Any]]:
    """`live_snapshot` of many resources in one query: {resource id: document}, for those that have one."""
    wanted = [(res.id, res.revision) for res in resources if is_live(res)]
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):  # bounded statements: two parameters a pair
        pairs = wanted[start : start + 500]
        for rev in db.scalars(select(Revision).where(tuple_(Revision.resource_id, Revision.revision).in_(pairs))):
            out[rev.resource_id] = _published(rev)
    return out


def _published(rev: Revision) -> dict[str, Any]:
    doc = dict(rev.snapshot)
    doc.update(view="pub", live=True, state="published", revision=rev.revision)
    doc["labels"], doc["labels_en"] = labels_of(doc), labels_of(doc, "en")
    return doc


def _target(res: Resource, state: str | None = None):
    from zhicheng.policy.service import Target

    return Target(KIND, id=res.id, department_id=res.department_id, attrs={"state": state or res.state})


def can_see_working_copy(actor: Actor, res: Resource) -> bool:
    """The actor may read the working copy in any state (its department, admins), not only the live revision."""
    from zhicheng.policy.service import decide

    return decide(actor, "read", _target(res, "draft")).allowed


def read_resource(db: Session, *, actor: Actor, resource_id: int) -> dict[str, Any]:
    """The resource as `actor` may see it: the working copy for its department and admins, else the live one."""
    from zhicheng.policy.service import authorize

    res = get_resource(db, resource_id)
    if can_see_working_copy(actor, res):
        return document(db, res)
    snapshot = live_snapshot(db, res)
    if snapshot is None:
        authorize(actor, "read", _target(res))  # raises Forbidden with the policy's words
    authorize(actor, "read", _target(res, "published"))
    return snapshot


def read_by_code(db: Session, *, actor: Actor, code: str) -> dict[str, Any]:
    """Like read_resource, by resource code."""
    return read_resource(db, actor=actor, resource_id=get_by_code(db, code).id)


def list_revisions(db: Session, *, actor: Actor, resource_id: int) -> list[Revision]:
    """Every published revision of a resource, newest first (who published it and when)."""
    res = get_resource(db, resource_id)
    _authorize_read_any(actor, res)
    return list(db.scalars(select(Revision).where(Revision.resource_id == res.id)
                           .order_by(Revision.revision.desc())))


def get_revision(db: Session, *, actor: Actor, resource_id: int, revision: int) -> Revision:
    """One published revision of a resource, or NotFound."""
    res = get_resource(db, resource_id)
    _authorize_read_any(actor, res)
    rev = db.scalar(select(Revision).where(Revision.resource_id == res.id, Revision.revision == revision))
    if rev is None:
        raise not_found("修订版本", "revision", revision)
    return rev


def list_reviews(db: Session, *, actor: Actor, resource_id: int) -> list[Review]:
    """The lifecycle history of a resource with review comments, oldest first (its department and admins)."""
    from zhicheng.policy.service import authorize

    res = get_resource(db, resource_id)
    authorize(actor, "read", _target(res, "draft"))
    return list(db.scalars(select(Review).where(Review.resource_id == res.id).order_by(Review.id)))


def _authorize_read_any(actor: Actor, res: Resource) -> None:
    from zhicheng.policy.service import authorize

    if not can_see_working_copy(actor, res):
        authorize(actor, "read", _target(res, "published" if is_live(res) else res.state))


def review_queue(db: Session, *, actor: Actor) -> list[dict[str, Any]]:
    """Resources waiting for review (submitted), oldest first; the reviewer (admin) sees them all."""
    from zhicheng.policy.service import Target, authorize

    authorize(actor, "review", Target(KIND, attrs={"state": "submitted"}))
    rows = db.scalars(select(Resource).where(Resource.state == "submitted").order_by(Resource.updated_at))
    return [document(db, r) for r in rows]


def list_resources(db: Session, *, actor: Actor, state: str | None = None, department_id: int | None = None,
                   page: int = 1, size: int = 20) -> tuple[list[dict[str, Any]], int]:
    """A page of the resources `actor` may see (newest first), optionally by state and provider."""
    filters: dict[str, list[Any]] = {}
    if state:
        filters["state"] = [state]
    if department_id:
        filters["department"] = [department_id]
    result = search.search(db, actor=actor, q=None, filters=filters, page=page, size=size)
    return result.items, result.total


def count_by_state(db: Session, *, actor: Actor) -> dict[str, int]:
    """How many resources `actor` sees in each state (home page counters)."""
    return {f["value"]: f["count"] for f in search.search(db, actor=actor, q=None, filters={}, page=1,
                                                            size=1).facets["state"]}


def item_specs(db: Session, resource_id: int) -> list[ItemSpec]:
    """The data items of a resource's working copy as the import validates against them."""
    res = get_resource(db, resource_id)
    return [ItemSpec(name=i.name, label=i.label, type=ItemType(i.type), length=i.length, scale=i.scale,
                     required=i.required, check=ItemCheck(i.check) if i.check else None, personal=i.personal,
                     sensitivity=Sensitivity(i.sensitivity)) for i in res.items]


# ---------------------------------------------------------------- writing

def _actor_name(actor: Actor) -> str | None:
    return actor.display_name or actor.username


def _authorize(db: Session, actor: Actor, action: str, res: Resource | None = None, *,
               department_id: int | None = None, state: str | None = None) -> None:
    """Ask policy; a refusal is audited (and committed) before Forbidden propagates."""
    from zhicheng.policy.service import Target, authorize_audited

    target = _target(res, state) if res is not None else Target(KIND, department_id=department_id,
                                                                  attrs={"state": state or "draft"})
    authorize_audited(db, actor, action, target)


def _finish(db: Session, actor: Actor, res: Resource, action: str, detail: dict[str, Any] | None = None,
            event: str | None = None) -> Resource:
    """Audit, re-index, commit, announce."""
    from zhicheng.policy import audit

    db.flush()
    search.index_resource(db, res)
    audit.record(db, actor=actor, action=f"{KIND}.{action}", target_kind=KIND, target_id=res.id,
                 detail={"code": res.code, "name": res.name, "state": res.state, **(detail or {})})
    changes.bump(db, "catalog")  # with the change: every worker's catalog caches see it (core.changes)
    db.commit()
    bus.publish(f"{KIND}.{event or action}", {"id": res.id, "code": res.code, "name": res.name,
                                              "department_id": res.department_id, "state": res.state,
                                              "revision": res.revision, "actor_user_id": actor.user_id})
    return res


def _log(db: Session, actor: Actor, res: Resource, action: str, from_state: str | None,
         comment: str | None = None) -> None:
    db.add(Review(resource_id=res.id, action=action, from_state=from_state, to_state=res.state,
                  comment=comment, actor_id=actor.user_id, actor_name=_actor_name(actor), at=clock.now()))


def provider_department(db: Session, actor: Actor, data: dict[str, Any]) -> int:
    from zhicheng.accounts import service as accounts

    if data.get("department_code"):
        return accounts.get_department_by_code(db, str(data["department_code"])).id
    dept_id = data.get("department_id") or actor.department_id
    if not dept_id:
        raise Invalid("请指定提供部门", "the provider department is required", field="department_id")
    try:
        return accounts.get_department(db, int(dept_id)).id
    except (TypeError, ValueError):
        raise Invalid("提供部门无效", "invalid provider department", field="department_id") from None


def create_resource(db: Session, *, actor: Actor, data: Any) -> Resource:
    """Register a new resource as a draft of its provider department (the actor's unless an admin names one)."""
    raw = as_dict(data)
    dept_id = provider_department(db, actor, raw)
    _authorize(db, actor, "create", department_id=dept_id)
    fields = validate(raw)
    registration.check_unique_name(db, dept_id, fields["name"])
    registration.check_related(db, fields["related_codes"])
    items = fields.pop("items")
    for attempt in range(3):
        at = clock.now()
        res = Resource(department_id=dept_id, state="draft", revision=0, created_by=actor.user_id,
                       created_at=at, updated_by=actor.user_id, updated_at=at, **fields)
        registration.assign_code(db, res, department_ref(db, res.department_id))
        db.add(res)
        registration.set_items(db, res, items)
        try:
            db.flush()
        except IntegrityError:
            db.rollback()
            registration.check_unique_name(db, dept_id, fields["name"])
            if attempt == 2:
                raise
            continue
        _log(db, actor, res, "create", None)
        return _finish(db, actor, res, "create", event="created")
    raise AssertionError("unreachable")


def update_resource(db: Session, *, actor: Actor, resource_id: int, data: Any) -> Resource:
    """Change a draft or returned resource; fields not given stay, `items` when given replaces the list."""
    res = get_resource(db, resource_id)
    _authorize(db, actor, "update", res)
    if res.state not in EDITABLE_STATES:
        raise Conflict(f"资源处于“{codes.label('state', res.state)}”状态，不能修改"
                       + ("，请先发起修订" if res.state == "published" else ""),
                       f"a {res.state} resource cannot be changed" + ("; revise it first" if res.state ==
                                                                        "published" else ""), field="state")
    changes = as_dict(data)
    for key in ("department_id", "department_code"):
        changes.pop(key, None)
    if changes.get("items") is None:  # "items": null means "leave them", never "delete them all"
        changes.pop("items", None)
    current = document(db, res)
    merged = {**current, **changes}
    fields = validate(merged)
    registration.check_unique_name(db, res.department_id, fields["name"], exclude_id=res.id)
    registration.check_related(db, fields["related_codes"], own_code=res.code)
    items = fields.pop("items")
    changed = sorted(k for k in fields if fields[k] != current.get(k))
    for key, value in fields.items():
        setattr(res, key, value)
    if "items" in changes:
        registration.set_items(db, res, items)
        changed.append("items")
    if res.revision == 0:  # a code is final once published; before, it follows the classification
        registration.assign_code(db, res, department_ref(db, res.department_id))
    res.updated_by, res.updated_at = actor.user_id, clock.now()
    return _finish(db, actor, res, "update", {"changed": changed}, event="updated")


def _transition(db: Session, actor: Actor, res: Resource, action: str, allowed_from: tuple[str, ...]) -> str:
    if res.state not in allowed_from:
        now_zh = codes.label("state", res.state)
        raise Conflict(f"资源当前为“{now_zh}”，不能执行此操作", f"cannot {action} a {res.state} resource",
                       field="state")
    return res.state


def submit(db: Session, *, actor: Actor, resource_id: int, comment: str | None = None) -> Resource:
    """The provider's data officer submits a draft (or returned) resource for review."""
    res = get_resource(db, resource_id)
    _authorize(db, actor, "submit", res)
    before = _transition(db, actor, res, "submit", EDITABLE_STATES)
    if not res.items:
        raise Invalid("提交前请至少登记一个信息项", "register at least one data item before submitting",
                      field="items")
    res.state, res.updated_at = "submitted", clock.now()
    _log(db, actor, res, "submit", before, (comment or "").strip() or None)
    return _finish(db, actor, res, "submit", event="submitted")


def review(db: Session, *, actor: Actor, resource_id: int, decision: str, comment: str | None = None) -> Resource:
    """The admin publishes a submitted resource or returns it with a comment."""
    res = get_resource(db, resource_id)
    _authorize(db, actor, "review", res)
    decision = {"发布": "publish", "通过": "publish", "退回": "return"}.get(decision, decision)
    if decision not in ("publish", "return"):
        raise Invalid("审核结论应为发布或退回", "decision must be publish or return", field="decision")
    comment = (comment or "").strip() or None
    if decision == "return" and not comment:
        raise Invalid("退回时请填写审核意见", "a comment is required when returning", field="comment")
    before = _transition(db, actor, res, decision, ("submitted",))
    now = clock.now()
    if decision == "return":
        res.state, res.updated_at = "returned", now
        _log(db, actor, res, "return", before, comment)
        return _finish(db, actor, res, "review", {"decision": "return", "comment": comment}, event="returned")
    res.state, res.updated_at = "published", now
    res.revision += 1
    res.publish_date = now.astimezone(CHINA).date()
    res.withdrawn_reason, res.withdrawn_at = None, None
    db.flush()
    snapshot = document(db, res)
    db.add(Revision(resource_id=res.id, revision=res.revision, snapshot=snapshot, published_at=now,
                    published_by=actor.user_id, published_by_name=_actor_name(actor)))
    _log(db, actor, res, "publish", before, comment)
    return _finish(db, actor, res, "review", {"decision": "publish", "revision": res.revision},
                   event="published")


def withdraw(db: Session, *, actor: Actor, resource_id: int, reason: str) -> Resource:
    """Withdraw a published resource from the catalog, with the reason (its revisions stay on record)."""
    res = get_resource(db, resource_id)
    _authorize(db, actor, "withdraw", res)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("请填写撤销原因", "a reason is required", field="reason")
    before = _transition(db, actor, res, "withdraw", ("published",))
    res.state, res.withdrawn_reason, res.withdrawn_at = "withdrawn", reason[:2000], clock.now()
    res.updated_at = res.withdrawn_at
    _log(db, actor, res, "withdraw", before, reason)
    return _finish(db, actor, res, "withdraw", {"reason": reason}, event="withdrawn")


def revise(db: Session, *, actor: Actor, resource_id: int) -> Resource:
    """Open a new draft revision of a published (or withdrawn) resource; the published one stays visible."""
    res = get_resource(db, resource_id)
    _authorize(db, actor, "revise", res)
    before = _transition(db, actor, res, "revise", ("published", "withdrawn"))
    # a withdrawn revision stays withdrawn (withdrawn_at kept) until the new one is published
    res.state, res.updated_by, res.updated_at = "draft", actor.user_id, clock.now()
    _log(db, actor, res, "revise", before)
    return _finish(db, actor, res, "revise", event="revised")


def publish_date_of(res: Resource) -> date | None:
    """The date the live revision was published."""
    return res.publish_date if is_live(res) else None


def count_resources(db: Session) -> int:
    """How many resources are registered (any state)."""
    return db.scalar(select(func.count(Resource.id))) or 0


def live_attributes(db: Session) -> list[tuple[int, int, dict[str, Any]]]:
    """(id, department id, attributes of the live revision) of every published, not withdrawn resource: what
    other domains count their KPIs over (open rate, coverage) without reading the catalog's tables."""
    live = (
        select(Resource.id, Resource.department_id, Revision.snapshot)
        .join(Revision, (Revision.resource_id == Resource.id) & (Revision.revision == Resource.revision))
        .where(Resource.revision > 0, Resource.withdrawn_at.is_(None))
        .order_by(Resource.id)
    )
    return [(rid, dept, snap or {}) for rid, dept, snap in db.execute(live)]


def names_of(db: Session, ids: list[int]) -> dict[int, str]:
    """The names of the resources `ids` (those that exist)."""
    if not ids:
        return {}
    return dict(db.execute(select(Resource.id, Resource.name).where(Resource.id.in_(set(ids)))).all())
