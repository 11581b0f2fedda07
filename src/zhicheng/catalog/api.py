"""The catalog API (/api/v1/catalog): search with facets, register, read, edit, lifecycle, revisions, codes."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.catalog import codes, identifiers, resource_templates, search, service
from zhicheng.catalog.schemas import (
    IdentifierOut,
    ResourceCreate,
    ResourceOut,
    ResourceUpdate,
    ReviewIn,
    ReviewOut,
    RevisionOut,
    SearchOut,
    SubmitIn,
    WithdrawIn,
)
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.pagination import MAX_PAGE_SIZE
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog 数据目录"])
WRITE = [Depends(csrf_protect)]


def search_filters(
    department: list[int] | None = Query(None, description="提供部门 id / provider department ids"),
    catalog_class: list[str] | None = Query(None, description="base theme department"),
    share_type: list[str] | None = Query(None, description="unconditional conditional none"),
    open_type: list[str] | None = Query(None, description="unconditional conditional none"),
    format: list[str] | None = Query(None, description="database spreadsheet file image stream self_describing"),
    update_cycle: list[str] | None = Query(None, description="realtime daily weekly monthly quarterly yearly irregular"),
    state: list[str] | None = Query(None, description="draft submitted returned published withdrawn"),
) -> dict[str, Any]:
    """The facet filters of a search request (each may repeat: values of one facet are OR-ed)."""
    given = {"department": department, "catalog_class": catalog_class, "share_type": share_type,
             "open_type": open_type, "format": format, "update_cycle": update_cycle, "state": state}
    return {k: v for k, v in given.items() if v}


def _revision(r) -> RevisionOut:
    return RevisionOut(revision=r.revision, published_at=clock.aware(r.published_at), published_by=r.published_by,
                       published_by_name=r.published_by_name, snapshot=r.snapshot)


def _out(doc: dict[str, Any]) -> ResourceOut:
    return ResourceOut.model_validate(doc)


@router.get("/resources", response_model=SearchOut, summary="检索数据资源 / search resources")
def search_resources(
    q: str | None = Query(None, max_length=200, description="中文检索词 / words to search, e.g. 人口"),
    filters: dict[str, Any] = Depends(search_filters),
    page: int = Query(1, ge=1, le=1_000_000),
    size: int = Query(20, ge=1, le=MAX_PAGE_SIZE),
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
) -> SearchOut:
    """Full-text search in Chinese with facet counts; without `q`, the newest first."""
    result = search.search(db, actor=actor, q=q, filters=filters, page=page, size=size)
    return SearchOut(items=[_out(d) for d in result.items], total=result.total, page=page, size=size,
                     facets=result.facets)


@router.get("/facets", summary="分面统计 / facet counts")
def facets(
    q: str | None = Query(None, max_length=200),
    filters: dict[str, Any] = Depends(search_filters),
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
) -> dict[str, Any]:
    """Counts by department, class, share/open attribute, format, update cycle and state."""
    result = search.search(db, actor=actor, q=q, filters=filters, page=1, size=1)
    return {"total": result.total, "facets": result.facets}


@router.get("/vocabularies", summary="代码表 / vocabularies")
def vocabularies(actor: Actor = Depends(require_user)) -> dict[str, Any]:
    """Every enumeration of a resource with its Chinese and English names (for forms)."""
    out = {name: [{"value": k, "label": zh, "label_en": en} for k, (zh, en) in vocab.items()]
           for name, vocab in codes.VOCABULARIES.items()}
    out["subclass.base"] = [{"value": k, "label": zh, "label_en": en} for k, (zh, en) in codes.BASE_SUBCLASSES.items()]
    out["subclass.theme"] = [{"value": k, "label": zh, "label_en": en} for k, (zh, en) in codes.THEME_SUBJECTS.items()]
    out["file_formats"] = [{"value": f, "label": f, "label_en": f} for f in sorted(codes.FILE_FORMATS)]
    return out


@router.get("/templates", summary="资源模板 / resource templates (from the plugins)")
def templates(actor: Actor = Depends(require_user)) -> dict[str, Any]:
    """The templates a registrar may start from (each plugin's zhicheng_resource_templates; "从模板新建")."""
    found = resource_templates.offered()
    return {"total": len(found), "templates": found}


@router.post("/resources", response_model=ResourceOut, status_code=201, dependencies=WRITE,
             summary="登记数据资源 / register a resource")
def create_resource(body: ResourceCreate, actor: Actor = Depends(require_user),
                    db: Session = Depends(get_db)) -> ResourceOut:
    """Register a new resource (draft) of the actor's department, or of the named one for an admin."""
    res = service.create_resource(db, actor=actor, data=body)
    return _out(service.document(db, res))


@router.get("/review-queue", response_model=list[ResourceOut], summary="待审核 / review queue")
def review_queue(actor: Actor = Depends(require_user), db: Session = Depends(get_db)) -> list[ResourceOut]:
    """Submitted resources waiting for the admin, oldest first."""
    return [_out(d) for d in service.review_queue(db, actor=actor)]


@router.get("/by-code/{code:path}", response_model=ResourceOut, summary="按资源代码查询 / look up by code")
def by_code(code: str, actor: Actor = Depends(require_user), db: Session = Depends(get_db)) -> ResourceOut:
    """The resource with this resource code (e.g. 101015001/000001)."""
    codes.parse_code(code)
    return _out(service.read_by_code(db, actor=actor, code=code))


@router.get("/resources/{resource_id}", response_model=ResourceOut, summary="资源详情 / read a resource")
def read_resource(resource_id: int, actor: Actor = Depends(require_user),
                  db: Session = Depends(get_db)) -> ResourceOut:
    """The working copy for its department and admins; the live published revision for everyone else."""
    return _out(service.read_resource(db, actor=actor, resource_id=resource_id))


@router.patch("/resources/{resource_id}", response_model=ResourceOut, dependencies=WRITE,
              summary="修改数据资源 / update a draft")
def update_resource(resource_id: int, body: ResourceUpdate, actor: Actor = Depends(require_user),
                    db: Session = Depends(get_db)) -> ResourceOut:
    """Change a draft or returned resource; `items`, when given, replaces the whole list."""
    res = service.update_resource(db, actor=actor, resource_id=resource_id, data=body)
    return _out(service.document(db, res))


@router.post("/resources/{resource_id}/submit", response_model=ResourceOut, dependencies=WRITE,
             summary="提交审核 / submit for review")
def submit(resource_id: int, body: SubmitIn | None = None, actor: Actor = Depends(require_user),
           db: Session = Depends(get_db)) -> ResourceOut:
    res = service.submit(db, actor=actor, resource_id=resource_id, comment=body.comment if body else None)
    return _out(service.document(db, res))


@router.post("/resources/{resource_id}/review", response_model=ResourceOut, dependencies=WRITE,
             summary="审核：发布或退回 / publish or return")
def review(resource_id: int, body: ReviewIn, actor: Actor = Depends(require_user),
           db: Session = Depends(get_db)) -> ResourceOut:
    res = service.review(db, actor=actor, resource_id=resource_id, decision=body.decision, comment=body.comment)
    return _out(service.document(db, res))


@router.post("/resources/{resource_id}/withdraw", response_model=ResourceOut, dependencies=WRITE,
             summary="撤销发布 / withdraw")
def withdraw(resource_id: int, body: WithdrawIn, actor: Actor = Depends(require_user),
             db: Session = Depends(get_db)) -> ResourceOut:
    res = service.withdraw(db, actor=actor, resource_id=resource_id, reason=body.reason)
    return _out(service.document(db, res))


@router.post("/resources/{resource_id}/revise", response_model=ResourceOut, dependencies=WRITE,
             summary="发起修订 / open a new revision")
def revise(resource_id: int, actor: Actor = Depends(require_user), db: Session = Depends(get_db)) -> ResourceOut:
    res = service.revise(db, actor=actor, resource_id=resource_id)
    return _out(service.document(db, res))


@router.get("/resources/{resource_id}/revisions", response_model=list[RevisionOut],
            summary="已发布的修订版本 / published revisions")
def revisions(resource_id: int, actor: Actor = Depends(require_user),
              db: Session = Depends(get_db)) -> list[RevisionOut]:
    return [_revision(r) for r in service.list_revisions(db, actor=actor, resource_id=resource_id)]


@router.get("/resources/{resource_id}/revisions/{number}", response_model=RevisionOut,
            summary="某一修订版本 / one revision")
def revision(resource_id: int, number: int, actor: Actor = Depends(require_user),
             db: Session = Depends(get_db)) -> RevisionOut:
    return _revision(service.get_revision(db, actor=actor, resource_id=resource_id, revision=number))


@router.get("/resources/{resource_id}/history", response_model=list[ReviewOut],
            summary="流转记录与审核意见 / lifecycle history and review comments")
def history(resource_id: int, actor: Actor = Depends(require_user),
            db: Session = Depends(get_db)) -> list[ReviewOut]:
    return [ReviewOut.model_validate(r) for r in service.list_reviews(db, actor=actor, resource_id=resource_id)]


@router.get("/identifier", response_model=IdentifierOut,
            summary="由中文名称生成信息项标识 / propose a data item identifier from its Chinese name")
def propose_identifier(
    name: str = Query(..., max_length=100, description="信息项中文名称 / the item's Chinese name, e.g. 身份证号"),
    style: str = Query("initials", description="initials: 拼音首字母 sfzh; full: 全拼 shen_fen_zheng_hao"),
    taken: str = Query("", max_length=8000, description="已用的标识，逗号分隔 / identifiers already used, comma-separated"),
    actor: Actor = Depends(require_user),
) -> IdentifierOut:
    """Pinyin of the name, unique among `taken` (the other items of the resource being registered)."""
    ident = identifiers.identifier_for(name, style=style, taken=taken.split(","))
    return IdentifierOut(name=name, identifier=ident, style=style)
