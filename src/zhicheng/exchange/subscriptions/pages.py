"""Pages of subscriptions (数据订阅): my department's webhooks with their deliveries, subscribe and cancel."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.catalog import service as catalog
from zhicheng.core.actor import Actor
from zhicheng.core.errors import AppError
from zhicheng.core.settings import Settings
from zhicheng.exchange.subscriptions import service as subscriptions
from zhicheng.web.deps import get_db, get_settings, posted_form
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
STATE_BADGES = {"pending": "badge-amber", "delivered": "badge-green", "failed": "badge-red",
                "cancelled": "badge-state-draft"}
STATE_LABELS = {"pending": "待推送", "delivered": "已送达", "failed": "失败", "cancelled": "已取消"}


def _subscriptions_ctx(db: Session, actor: Actor) -> dict[str, Any]:
    subs = subscriptions.list_for(db, actor=actor)
    recent = {s.id: subscriptions.deliveries(db, actor=actor, subscription_id=s.id, limit=5) for s in subs}
    names = {s.resource_id: catalog.get_resource(db, s.resource_id).name for s in subs}  # names, not ids
    return {"subs": subs, "recent": recent, "resource_names": names, "state_badges": STATE_BADGES, "state_labels": STATE_LABELS,
            "breadcrumbs": [("数据订阅", None)]}


@router.get("/exchange/subscriptions")
def subscriptions_page(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    """本部门的数据订阅及推送结果 / my department's subscriptions and how their deliveries went."""
    return render(request, "subscriptions/list.html", {**_subscriptions_ctx(db, actor), "form": {},
                                                           "error": None, "created": None})


@router.post("/exchange/subscriptions", dependencies=[Depends(csrf_protect)])
def subscribe_from_page(request: Request, form: FormData = Depends(posted_form), actor: Actor = Depends(require_user),
                        db: Session = Depends(get_db), settings: Settings = Depends(get_settings)):
    """Register a webhook from the form (the target's name is resolved: a worker thread, never the event loop); the
    secret is shown on the answer page, once."""
    raw = {k: str(form.get(k) or "").strip()[:2000] for k in ("resource_id", "target_url")}
    error, created = None, None
    try:
        if not raw["resource_id"].isdigit() or len(raw["resource_id"]) > 10:
            raise AppError("请填写资源编号（数字）", "enter the resource id (digits)", field="resource_id")
        created = subscriptions.create(db, actor=actor, settings=settings, resource_id=int(raw["resource_id"]),
                                       target_url=raw["target_url"])
    except AppError as err:
        db.rollback()
        error = {"field": err.field, "message": err.message(request_language(request))}
    ctx = {**_subscriptions_ctx(db, actor), "form": raw if error else {}, "error": error, "created": created}
    return render(request, "subscriptions/list.html", ctx, status_code=422 if error else 201)


@router.post("/exchange/subscriptions/{subscription_id}/cancel", dependencies=[Depends(csrf_protect)])
def cancel_from_page(request: Request, subscription_id: int, actor: Actor = Depends(require_user),
                     db: Session = Depends(get_db)):
    """Cancel a subscription and go back to the list."""
    subscriptions.cancel(db, actor=actor, subscription_id=subscription_id)
    return flash(request, RedirectResponse("/exchange/subscriptions", status_code=303), "订阅已取消。")
