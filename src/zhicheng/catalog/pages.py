"""Catalog pages: search with facets, a resource's detail, the register/edit form, lifecycle buttons, review queue."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Path, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.accounts.roles import Role
from zhicheng.catalog import page_forms, resource_templates, search, service
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError, Forbidden, NotFound
from zhicheng.policy.service import Target, across_departments, decide
from zhicheng.web.deps import get_db, posted_form
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.pages import safe_next
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
# ids and revision numbers are database integers: anything outside is a clear 422, never a driver overflow
ResourceId = Annotated[int, Path(ge=1, le=2_147_483_647, description="资源编号 / resource id")]
RevisionNo = Annotated[int, Path(ge=1, le=2_147_483_647, description="修订版本号 / revision")]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _chosen_filters(request: Request) -> dict[str, list[str]]:
    """The facet values ticked in the query string (?state=published&department=3...)."""
    chosen: dict[str, list[str]] = {}
    for name in page_forms.FACETS:
        values = [v for v in request.query_params.getlist(name) if v.strip()]
        if values:
            chosen[name] = values
    return chosen


def _search_filters(chosen: dict[str, list[str]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for name, values in chosen.items():
        out[name] = [int(v) if name == "department" and v.isdigit() else v for v in values]
    return out


@router.get("/catalog")
def catalog_list(request: Request, q: str | None = Query(None, max_length=200),
                 page: int = Query(1, ge=1, le=100_000), actor: Actor = Depends(require_user),
                 db: Session = Depends(get_db)):
    """Search the catalog: keywords, facets as checkable filters, result cards, pages."""
    lang = request_language(request)
    chosen = _chosen_filters(request)
    result = search.search(db, actor=actor, q=(q or "").strip() or None, filters=_search_filters(chosen),
                           page=page, size=PAGE_SIZE)
    params = [(k, v) for k, vs in chosen.items() for v in vs] + ([("q", q)] if q else [])

    def page_url(n: int) -> str:
        return "/catalog?" + urlencode(params + [("page", n)])

    return render(request, "catalog/list.html", {
        "q": q, "results": [page_forms.card(_doc(d), lang) for d in result.items], "total": result.total,
        "page": page, "size": PAGE_SIZE, "page_url": page_url, "filtered": bool(chosen or q),
        "facets": page_forms.facet_groups(result.facets, chosen, lang),
        "can_register": may_register(actor), "breadcrumbs": [("数据目录", None)],
    })


def _doc(d: Any) -> dict[str, Any]:
    return d if isinstance(d, dict) else d.model_dump()


def may_register(actor: Actor) -> bool:
    """Whether policy lets the actor register a data resource for their department (catalog.resource/create)."""
    return decide(actor, "create", Target(service.KIND, department_id=actor.department_id)).allowed


def _allowed(actor: Actor, action: str, doc: dict[str, Any]) -> bool:
    target = Target(service.KIND, id=doc["id"], department_id=(doc.get("department") or {}).get("id"),
                    attrs={"state": doc.get("state")})
    return decide(actor, action, target).allowed


def _dataset_panel(db: Session, actor: Actor, resource_id: int, lang: str) -> dict[str, Any]:
    """Versions of the resource's data and a preview of the newest one (None when datasets are not there)."""
    try:
        from zhicheng.catalog.datasets import service as datasets
    except ImportError:
        return {"versions": None}
    try:
        versions = datasets.list_versions(db, actor=actor, resource_id=resource_id)
    except (Forbidden, NotFound):
        return {"versions": None}
    out: dict[str, Any] = {"versions": versions, "preview": None}
    if versions:
        try:
            columns, rows = datasets.read_rows(db, actor=actor, resource_id=resource_id, limit=10)
            latest = max(versions, key=lambda v: v.version)  # read_rows shows the newest version
            labels = {c.get("name"): c.get("label") for c in (latest.columns or []) if isinstance(c, dict)}
            out["preview"] = {"columns": columns, "rows": rows, "labels": labels}
        except AppError as exc:
            out["preview_error"] = exc.message(lang)
    return out


def _detail_context(db: Session, actor: Actor, resource_id: int, lang: str) -> dict[str, Any]:
    doc = _doc(service.read_resource(db, actor=actor, resource_id=resource_id))
    try:
        reviews = service.list_reviews(db, actor=actor, resource_id=resource_id)
    except Forbidden:
        reviews = []
    revisions = service.list_revisions(db, actor=actor, resource_id=resource_id)
    history = [{"action_label": page_forms.ACTION_NAMES.get(rv.action, rv.action), "at": rv.at,
                "actor_name": rv.actor_name, "comment": rv.comment} for rv in reversed(reviews)]
    returned = [rv.comment for rv in reviews if rv.action == "return" and rv.comment]
    working = doc.get("view") == "work"
    state = doc.get("state")
    actions = {
        "edit": working and state in service.EDITABLE_STATES and _allowed(actor, "update", doc),
        "submit": working and state in service.EDITABLE_STATES and _allowed(actor, "submit", doc),
        "revise": working and state in ("published", "withdrawn") and _allowed(actor, "revise", doc),
        "withdraw": working and state == "published" and _allowed(actor, "withdraw", doc),
        "review": working and state == "submitted" and _allowed(actor, "review", doc),
        "import": working and _allowed_import(actor, doc),
        "versions": True,
        # another department's published resource: ask for it through the exchange (共享申请)
        "request_share": state == "published" and actor.department_id is not None
        and actor.department_id != (doc.get("department") or {}).get("id"),
    }
    return {"r": doc, "labels": page_forms.labels(doc, lang), "item_rows": page_forms.item_rows(doc["items"], lang),
            "history": history, "revisions": revisions, "actions": actions,
            "last_comment": returned[-1] if returned else None,
            "breadcrumbs": [("数据目录", "/catalog"), (doc["name"], None)],
            **_dataset_panel(db, actor, resource_id, lang)}


def _allowed_import(actor: Actor, doc: dict[str, Any]) -> bool:
    target = Target("catalog.dataset", id=doc["id"], department_id=(doc.get("department") or {}).get("id"),
                    attrs={"state": doc.get("state")})
    return decide(actor, "import", target).allowed


@router.get("/catalog/new")
def register_form(request: Request, template: str | None = Query(None, max_length=100),
                  actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """The empty register form (data officers and admins), or filled from a plugin's resource template."""
    _require_registrar(actor)
    values = {"share_method": "api", "open_type": "none", "detail_code": "001"}
    if not template:
        return _form_page(request, db, actor, values=values, items=[{}, {}], template="")
    chosen = resource_templates.get(template)
    values.update(page_forms.form_values({k: v for k, v in chosen.items() if k not in ("key", "plugin", "items")}))
    return _form_page(request, db, actor, values=values, items=list(chosen.get("items") or [{}]), template=template)


@router.post("/catalog/new", dependencies=[Depends(csrf_protect)])
def register(request: Request, form: FormData = Depends(posted_form), actor: Actor = Depends(require_user),
             db: Session = Depends(get_db)):
    """Register the resource the form describes; errors are shown next to their field."""
    _require_registrar(actor)
    data = page_forms.resource_from_form(form)
    try:
        res = service.create_resource(db, actor=actor, data=data)
    except AppError as exc:
        if exc.status in (401, 403):
            raise
        db.rollback()
        return _form_page(request, db, actor, values=data, items=data["items"], error=exc)
    return flash(request, _see_other(f"/catalog/{res.id}"), "数据资源已登记为草稿，可继续完善后提交审核。")


@router.get("/catalog/review")
def review_queue(request: Request, page: int = Query(1, ge=1, le=100_000), actor: Actor = Depends(require_user),
                 db: Session = Depends(get_db)):
    """Resources waiting for the admin's review, oldest first."""
    return _review_page(request, db, actor, page)


def _review_page(request: Request, db: Session, actor: Actor, page: int = 1,
                 review_errors: dict[int, str] | None = None, status_code: int = 200):
    lang = request_language(request)
    queue = [_doc(d) for d in service.review_queue(db, actor=actor)]
    shown = queue[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return render(request, "catalog/review.html", {
        "queue": [{**page_forms.card(d, lang)} for d in shown], "total": len(queue), "page": page,
        "size": PAGE_SIZE, "page_url": lambda n: f"/catalog/review?page={n}", "next_url": "/catalog/review",
        "review_errors": review_errors or {}, "breadcrumbs": [("数据目录", "/catalog"), ("目录审核", None)],
    }, status_code=status_code)


@router.get("/catalog/{resource_id}")
def resource_detail(resource_id: ResourceId, request: Request, actor: Actor = Depends(require_user),
                    db: Session = Depends(get_db)):
    """Everything about one resource: metadata, data items, lifecycle, revisions, data versions and preview."""
    lang = request_language(request)
    return render(request, "catalog/detail.html", _detail_context(db, actor, resource_id, lang))


@router.get("/catalog/{resource_id}/revisions/{revision}")
def revision_detail(resource_id: ResourceId, revision: RevisionNo, request: Request,
                    actor: Actor = Depends(require_user),
                    db: Session = Depends(get_db)):
    """One published revision as it was published: its metadata and data items."""
    lang = request_language(request)
    rev = service.get_revision(db, actor=actor, resource_id=resource_id, revision=revision)
    doc = dict(rev.snapshot)
    return render(request, "catalog/revision.html", {
        "r": doc, "rev": rev, "labels": page_forms.labels(doc, lang),
        "item_rows": page_forms.item_rows(doc.get("items") or [], lang),
        "breadcrumbs": [("数据目录", "/catalog"), (doc.get("name", ""), f"/catalog/{resource_id}"),
                        (f"第 {revision} 版" if lang != "en" else f"Revision {revision}", None)],
    })


@router.get("/catalog/{resource_id}/edit")
def edit_form(resource_id: ResourceId, request: Request, actor: Actor = Depends(require_user),
              db: Session = Depends(get_db)):
    """The edit form of a draft or returned resource."""
    doc = _doc(service.read_resource(db, actor=actor, resource_id=resource_id))
    _require_editable(actor, doc)
    if doc.get("state") not in service.EDITABLE_STATES:
        return flash(request, _see_other(f"/catalog/{resource_id}"),
                     "只有草稿或已退回的数据资源可以修改；已发布的请先发起修订。", "warning")
    return _form_page(request, db, actor, values=page_forms.form_values(doc), items=doc["items"] or [{}],
                      resource=doc)


@router.post("/catalog/{resource_id}/edit", dependencies=[Depends(csrf_protect)])
def edit(resource_id: ResourceId, request: Request, form: FormData = Depends(posted_form),
         actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """Save the edited resource (its data items replaced by the rows shown in the form)."""
    doc = _doc(service.read_resource(db, actor=actor, resource_id=resource_id))
    _require_editable(actor, doc)
    data = page_forms.resource_from_form(form)
    data.pop("department_id", None)
    try:
        service.update_resource(db, actor=actor, resource_id=resource_id, data=data)
    except AppError as exc:
        if exc.status in (401, 403):
            raise
        db.rollback()
        return _form_page(request, db, actor, values=data, items=data["items"], error=exc, resource=doc)
    return flash(request, _see_other(f"/catalog/{resource_id}"), "修改已保存。")


@router.post("/catalog/{resource_id}/submit", dependencies=[Depends(csrf_protect)])
def submit(resource_id: ResourceId, request: Request, actor: Actor = Depends(require_user),
           db: Session = Depends(get_db)):
    """Send a draft for review."""
    return _lifecycle(request, db, resource_id, "已提交审核，请等待平台管理员审核。",
                      lambda: service.submit(db, actor=actor, resource_id=resource_id))


@router.post("/catalog/{resource_id}/revise", dependencies=[Depends(csrf_protect)])
def revise(resource_id: ResourceId, request: Request, actor: Actor = Depends(require_user),
           db: Session = Depends(get_db)):
    """Open a new draft of a published resource; the published revision stays visible."""
    return _lifecycle(request, db, resource_id, "已发起修订，已发布版本在新版本发布前继续有效。",
                      lambda: service.revise(db, actor=actor, resource_id=resource_id))


@router.post("/catalog/{resource_id}/withdraw", dependencies=[Depends(csrf_protect)])
def withdraw(resource_id: ResourceId, request: Request, form: FormData = Depends(posted_form),
             actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """Withdraw a published resource, with the reason."""
    reason = str(form.get("reason") or "")
    return _lifecycle(request, db, resource_id, "数据资源已撤销。",
                      lambda: service.withdraw(db, actor=actor, resource_id=resource_id, reason=reason))


@router.post("/catalog/{resource_id}/review", dependencies=[Depends(csrf_protect)])
def review(resource_id: ResourceId, request: Request, form: FormData = Depends(posted_form),
           actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """The admin publishes a submitted resource or returns it with a comment."""
    decision = str(form.get("decision") or "")
    back = safe_next(str(form.get("next") or ""), f"/catalog/{resource_id}")
    try:
        reviewed = service.review(db, actor=actor, resource_id=resource_id, decision=decision,
                                  comment=str(form.get("comment") or ""))
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        db.rollback()
        lang = request_language(request)
        if back == "/catalog/review":
            return _review_page(request, db, actor, review_errors={resource_id: exc.message(lang)},
                                status_code=exc.status)
        ctx = _detail_context(db, actor, resource_id, lang)
        ctx["review_errors"] = {resource_id: exc.message(lang)}
        return render(request, "catalog/detail.html", ctx, status_code=exc.status)
    if reviewed.state == "published":
        return flash(request, _see_other(back), "资源「%(name)s」已发布。", name=reviewed.name)
    return flash(request, _see_other(back), "资源「%(name)s」已退回，并通知提供部门修改。", name=reviewed.name)


def _lifecycle(request: Request, db: Session, resource_id: int, done: str, act):
    """Run a lifecycle step; success or the reason it failed is shown on the resource's page."""
    try:
        act()
    except AppError as exc:
        if exc.status in (401, 403, 404):
            raise
        db.rollback()
        return flash(request, _see_other(f"/catalog/{resource_id}"), exc.message(request_language(request)),
                     "error")
    return flash(request, _see_other(f"/catalog/{resource_id}"), done)


def _require_registrar(actor: Actor) -> None:
    if not may_register(actor):
        raise Forbidden("只有部门数据管理员或平台管理员可以登记数据资源",
                        "only data officers and platform admins may register data resources")


def _require_editable(actor: Actor, doc: dict[str, Any]) -> None:
    if doc.get("view") != "work" or not _allowed(actor, "update", doc):
        raise Forbidden("您不能修改此数据资源", "you may not change this data resource")


def _departments(db: Session, actor: Actor, lang: str) -> list[tuple[str, str]]:
    """Providers an admin may register for (a data officer registers for their own department)."""
    if not across_departments(actor, "create", service.KIND):  # the admin registers for any department
        return []
    from zhicheng.accounts import service as accounts

    return [(str(d.id), (getattr(d, "name_en", None) if lang == "en" else None) or d.name)
            for d in accounts.list_departments(db, active_only=True)]


def _form_page(request: Request, db: Session, actor: Actor, *, values: dict[str, Any],
               items: list[dict[str, Any]], error: AppError | None = None, resource: dict | None = None,
               template: str | None = None):
    lang = request_language(request)
    errors, item_errors = page_forms.field_errors(error, lang) if error else ({}, {})
    values = {k: (", ".join(v) if isinstance(v, list) and k in page_forms.LIST_FIELDS else v)
              for k, v in values.items()}
    if resource:
        crumbs = [("数据目录", "/catalog"), (resource["name"], f"/catalog/{resource['id']}"), ("编辑", None)]
    else:
        crumbs = [("数据目录", "/catalog"), ("登记数据资源", None)]
    if not values.get("department_id") and actor.department_id:
        values["department_id"] = actor.department_id
    return render(request, "catalog/form.html", {
        "f": values, "items": items or [{}], "errors": errors, "item_errors": item_errors,
        "vocab": page_forms.vocabularies(lang),
        "departments": [] if resource else _departments(db, actor, lang),
        "resource_id": resource["id"] if resource else None, "code": resource.get("code") if resource else None,
        "action": f"/catalog/{resource['id']}/edit" if resource else "/catalog/new",
        "cancel": f"/catalog/{resource['id']}" if resource else "/catalog",
        "breadcrumbs": crumbs,
        # "从模板新建" on the empty register form: the plugins' resource templates
        "templates": resource_templates.offered() if template is not None else [], "template": template,
    }, status_code=error.status if error else 200)


def nav_entries(nav) -> None:
    """This domain's entries in the app shell's navigation (`nav` is a web.navigation.Navigation)."""
    nav.register_nav("data", "数据目录", "/catalog", order=10)
    nav.register_nav("data", "登记资源", "/catalog/new", roles=(Role.ADMIN, Role.DATA_OFFICER), order=20)
    nav.register_nav("data", "审核", "/catalog/review", roles=(Role.ADMIN,), order=30)
