"""JSON API of the portal under /api/v1/open/: account, applications, keys, comments, ratings, data requests,
apps and statistics (the dataset read API under /api/v1/open/datasets is the REST module's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden
from zhicheng.opendata import access, service
from zhicheng.opendata.deps import portal_csrf, portal_session, portal_session_user, portal_user
from zhicheng.opendata.interaction import service as interaction
from zhicheng.opendata.rows import open_copy
from zhicheng.opendata.schemas import (
    AnswerIn,
    AppIn,
    ApplicationIn,
    CommentIn,
    DataRequestIn,
    DecisionIn,
    KeyIn,
    LimitIn,
    LoginIn,
    ModerationIn,
    RatingIn,
    RegisterIn,
    ReviewIn,
)
from zhicheng.opendata.stats import service as stats
from zhicheng.opendata.users import service as accounts
from zhicheng.opendata.users.models import PortalUser
from zhicheng.policy.service import across_departments
from zhicheng.web.deps import get_db
from zhicheng.web.hooks import after_event
from zhicheng.web.i18n import request_language
from zhicheng.web.one_time import no_store
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/open", tags=["open data portal / 数据开放平台"])
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]


def on_startup(app) -> None:
    stats.bind(app.state.sessionmaker)
    # the open records of each newly imported version of an open resource, built in the importing thread
    after_event(
        app,
        "catalog.dataset.imported",
        lambda factory, payload: open_copy.build(
            factory, int(payload["resource_id"]), version=int(payload["version"])
        ),
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        accounts.SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        path="/",
        secure=request.app.state.settings.secure_cookies,
        max_age=int(accounts.SESSION_TTL.total_seconds()),
    )


# ---------------------------------------------------------------- account


@router.post("/account/register", status_code=201)
def register(body: RegisterIn, request: Request, db: Session = Depends(get_db)) -> dict:
    """Register a citizen (公民身份号码) or an enterprise (统一社会信用代码)."""
    user = accounts.register(
        db, settings=request.app.state.settings, ip=access.client_ip(request), **body.model_dump()
    )
    return accounts.profile(user)


@router.post("/account/login", dependencies=[Depends(no_store)])
def login(body: LoginIn, request: Request, response: Response, db: Session = Depends(get_db)) -> dict:
    """Log in to the portal: sets the portal session cookie; send `csrf_token` as X-CSRF-Token afterwards."""
    user = accounts.authenticate(
        db,
        settings=request.app.state.settings,
        username=body.username,
        password=body.password,
        ip=access.client_ip(request),
    )
    token, sess = accounts.start_session(db, user=user)
    set_session_cookie(request, response, token)
    return {**accounts.profile(user), "csrf_token": sess.csrf_token}


@router.post("/account/logout", status_code=204, dependencies=[Depends(portal_csrf)])
def logout(request: Request, db: Session = Depends(get_db)) -> Response:
    accounts.end_session(db, request.cookies.get(accounts.SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(accounts.SESSION_COOKIE, path="/")
    return response


@router.get("/account")
def account(request: Request, user: PortalUser = Depends(portal_user), db: Session = Depends(get_db)) -> dict:
    """The logged-in portal user (identity number masked) and their CSRF token."""
    found = portal_session(request, db)
    return {**accounts.profile(user), "csrf_token": found[1].csrf_token if found else None}


# ---------------------------------------------------------------- applications


@router.get("/applications")
def my_applications(
    request: Request, user: PortalUser = Depends(portal_user), db: Session = Depends(get_db)
) -> dict:
    lang = request_language(request)
    return {"items": [service.application_out(a, lang) for a in service.my_applications(db, user_id=user.id)]}


@router.post("/applications", status_code=201, dependencies=[Depends(portal_csrf)])
def apply(
    body: ApplicationIn,
    request: Request,
    user: PortalUser = Depends(portal_user),
    db: Session = Depends(get_db),
) -> dict:
    """Apply to use a 有条件开放 dataset, with its purpose."""
    app = service.apply(
        db, user=user, resource_id=body.resource_id, purpose=body.purpose, ip=access.client_ip(request)
    )
    return service.application_out(app, request_language(request))


@router.get("/applications/inbox")
def inbox(
    request: Request,
    state: str | None = Query(None, max_length=16),
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
) -> dict:
    """Staff: applications to decide (a data officer sees their department's)."""
    lang = request_language(request)
    return {
        "items": [
            service.application_out(a, lang) for a in service.staff_applications(db, actor=actor, state=state)
        ]
    }


@router.post("/applications/{application_id}/decision", dependencies=[Depends(csrf_protect)])
def decide(
    application_id: Id,
    body: DecisionIn,
    request: Request,
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
) -> dict:
    """Staff: approve or refuse (with a reason) an application."""
    app = service.decide_application(
        db, actor=actor, application_id=application_id, decision=body.decision, reason=body.reason
    )
    return service.application_out(app, request_language(request))


# ---------------------------------------------------------------- keys


@router.get("/keys")
def keys(user: PortalUser = Depends(portal_user), db: Session = Depends(get_db)) -> dict:
    return {"items": [service.key_out(k) for k in service.list_keys(db, user_id=user.id)]}


@router.post("/keys", status_code=201, dependencies=[Depends(portal_csrf), Depends(no_store)])
def create_key(
    body: KeyIn, user: PortalUser = Depends(portal_session_user), db: Session = Depends(get_db)
) -> dict:
    """A new key: `key` is in this answer only, never again."""
    row, key = service.create_key(db, user=user, name=body.name, expires_days=body.expires_days)
    return {**service.key_out(row), "key": key}


@router.post("/keys/{key_id}/rotate", status_code=201, dependencies=[Depends(portal_csrf), Depends(no_store)])
def rotate_key(
    key_id: Id, user: PortalUser = Depends(portal_session_user), db: Session = Depends(get_db)
) -> dict:
    row, key = service.rotate_key(db, user=user, key_id=key_id)
    return {**service.key_out(row), "key": key}


@router.post("/keys/{key_id}/revoke", dependencies=[Depends(portal_csrf)])
def revoke_key(key_id: Id, user: PortalUser = Depends(portal_user), db: Session = Depends(get_db)) -> dict:
    return service.key_out(service.revoke_key(db, user=user, key_id=key_id))


@router.put("/limits/keys/{key_id}", dependencies=[Depends(csrf_protect)])
def key_limit(
    key_id: Id, body: LimitIn, actor: Actor = Depends(require_user), db: Session = Depends(get_db)
) -> dict:
    """Admin: a key's own limit per resource and minute (null: the default)."""
    return service.key_out(
        service.set_key_limit(db, actor=actor, key_id=key_id, rate_per_minute=body.rate_per_minute)
    )


@router.put("/limits/resources/{resource_id}", dependencies=[Depends(csrf_protect)])
def resource_limit(
    resource_id: Id, body: LimitIn, actor: Actor = Depends(require_user), db: Session = Depends(get_db)
) -> dict:
    """Admin: a resource's limit per client and minute (null: the default)."""
    service.set_resource_limit(db, actor=actor, resource_id=resource_id, rate_per_minute=body.rate_per_minute)
    return {"resource_id": resource_id, "rate_per_minute": body.rate_per_minute}


# ---------------------------------------------------------------- comments and ratings


@router.get("/comments")
def comments(
    request: Request, resource_id: int = Query(ge=1, le=2_147_483_647), db: Session = Depends(get_db)
) -> dict:
    """Approved comments on a dataset, newest first, with its rating."""
    service.open_document(db, resource_id)
    lang = request_language(request)
    return {
        "items": [interaction.comment_out(c, lang) for c in interaction.approved_comments(db, resource_id)],
        "rating": interaction.rating_summary(db, resource_id),
    }


@router.post("/comments", status_code=201, dependencies=[Depends(portal_csrf)])
def add_comment(
    body: CommentIn, request: Request, user: PortalUser = Depends(portal_user), db: Session = Depends(get_db)
) -> dict:
    """Comment on a dataset; shown once moderated."""
    row = interaction.add_comment(
        db, user=user, resource_id=body.resource_id, body=body.body, ip=access.client_ip(request)
    )
    return interaction.comment_out(row, request_language(request))


@router.get("/comments/pending")
def pending_comments(
    request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)
) -> dict:
    lang = request_language(request)
    return {
        "items": [interaction.comment_out(c, lang) for c in interaction.pending_comments(db, actor=actor)]
    }


@router.post("/comments/{comment_id}/moderation", dependencies=[Depends(csrf_protect)])
def moderate(
    comment_id: Id,
    body: ModerationIn,
    request: Request,
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
) -> dict:
    row = interaction.moderate(db, actor=actor, comment_id=comment_id, decision=body.decision)
    return interaction.comment_out(row, request_language(request))


@router.post("/ratings", dependencies=[Depends(portal_csrf)])
def rate(body: RatingIn, user: PortalUser = Depends(portal_user), db: Session = Depends(get_db)) -> dict:
    interaction.rate(db, user=user, resource_id=body.resource_id, stars=body.stars)
    return interaction.rating_summary(db, body.resource_id)


# ---------------------------------------------------------------- data requests


@router.get("/requests")
def requests(
    request: Request,
    state: str | None = Query(None, max_length=16),
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
    db: Session = Depends(get_db),
) -> dict:
    """Public data requests and the departments' answers."""
    lang = request_language(request)
    rows = interaction.list_requests(db, state=state, limit=limit, offset=offset)
    return {"items": [interaction.request_out(r, lang) for r in rows]}


@router.post("/requests", status_code=201, dependencies=[Depends(portal_csrf)])
def create_request(
    body: DataRequestIn,
    request: Request,
    user: PortalUser = Depends(portal_user),
    db: Session = Depends(get_db),
) -> dict:
    row = interaction.create_request(db, user=user, **body.model_dump())
    return interaction.request_out(row, request_language(request))


@router.post("/requests/{request_id}/answer", dependencies=[Depends(csrf_protect)])
def answer_request(
    request_id: Id,
    body: AnswerIn,
    request: Request,
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
) -> dict:
    row = interaction.answer_request(
        db, actor=actor, request_id=request_id, answer=body.answer, state=body.state
    )
    return interaction.request_out(row, request_language(request))


# ---------------------------------------------------------------- app showcase


@router.get("/apps")
def apps(request: Request, db: Session = Depends(get_db)) -> dict:
    lang = request_language(request)
    return {"items": [interaction.app_out(a, lang) for a in interaction.list_apps(db)]}


@router.post("/apps", status_code=201, dependencies=[Depends(portal_csrf)])
def submit_app(
    body: AppIn, request: Request, user: PortalUser = Depends(portal_user), db: Session = Depends(get_db)
) -> dict:
    row = interaction.submit_app(db, user=user, **body.model_dump())
    return interaction.app_out(row, request_language(request))


@router.get("/apps/submitted")
def submitted_apps(
    request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)
) -> dict:
    if not across_departments(actor, "review", "open.app"):
        raise Forbidden("只有管理员可以审核应用", "only an admin reviews apps")
    lang = request_language(request)
    return {"items": [interaction.app_out(a, lang) for a in interaction.list_apps(db, state="submitted")]}


@router.post("/apps/{app_id}/review", dependencies=[Depends(csrf_protect)])
def review_app(
    app_id: Id,
    body: ReviewIn,
    request: Request,
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
) -> dict:
    row = interaction.review_app(db, actor=actor, app_id=app_id, decision=body.decision, note=body.note)
    return interaction.app_out(row, request_language(request))


# ---------------------------------------------------------------- statistics


@router.get("/stats")
def usage_stats(
    days: int = Query(30, ge=1, le=stats.MAX_DAYS),
    department_id: int | None = Query(None, ge=1, le=2_147_483_647, description="只看该部门的每日数据"),
    db: Session = Depends(get_db),
) -> dict:
    """Views, downloads and API calls per day (optionally of one department), per dataset and per department;
    the KPIs open rate and open-unit coverage with their targets."""
    return {
        "days": days,
        "totals": stats.totals(db),
        "daily": stats.daily(db, days=days, department_id=department_id),
        "datasets": stats.by_resource(db, days=days),
        "departments": stats.by_department(db, days=days),
        "kpis": stats.kpis(db),
    }


@router.get("/stats/datasets/{resource_id}")
def dataset_stats(
    resource_id: Id, days: int = Query(30, ge=1, le=stats.MAX_DAYS), db: Session = Depends(get_db)
) -> dict:
    service.open_document(db, resource_id)
    return {
        "resource_id": resource_id,
        "totals": stats.totals(db, resource_id=resource_id),
        "daily": stats.daily(db, days=days, resource_id=resource_id),
    }
