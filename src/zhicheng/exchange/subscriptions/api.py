"""Subscriptions API and the webhook worker thread started with the app."""

from __future__ import annotations

import logging
import threading
import weakref

from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.core.actor import Actor
from zhicheng.core.db import MAX_ID
from zhicheng.core.events import bus
from zhicheng.core.settings import Settings
from zhicheng.exchange.subscriptions import service as subscriptions
from zhicheng.web.deps import get_db, get_settings
from zhicheng.web.routing import APIRouter

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])
WRITE = [Depends(csrf_protect)]
POLL_SECONDS = 15.0


class SubscriptionIn(BaseModel):
    """A webhook to register: the granted resource and the http(s) URL to call."""

    model_config = ConfigDict(extra="forbid")
    resource_id: int = Field(..., ge=1, le=MAX_ID)
    target_url: str = Field(..., min_length=1, max_length=2000)


@router.post("/subscriptions", status_code=201, dependencies=WRITE)
def create_subscription(body: SubscriptionIn, request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db),
                        settings: Settings = Depends(get_settings)) -> dict:
    """订阅资源的新版本（回调）；签名密钥只显示这一次 / subscribe a webhook; the secret is shown only once."""
    created = subscriptions.create(db, actor=actor, settings=settings, resource_id=body.resource_id,
                                   target_url=body.target_url)
    wake_worker(request.app)
    return {**subscriptions.subscription_dict(created.subscription), "secret": created.secret,
            "signature_header": "X-Zhicheng-Signature"}


@router.get("/subscriptions")
def list_subscriptions(actor: Actor = Depends(require_user), db: Session = Depends(get_db)) -> dict:
    """本部门的订阅 / the subscriptions of my department (all for the admin)."""
    return {"items": [subscriptions.subscription_dict(s) for s in subscriptions.list_for(db, actor=actor)]}


@router.get("/subscriptions/{subscription_id}")
def read_subscription(subscription_id: int = Path(..., ge=1, le=MAX_ID), actor: Actor = Depends(require_user),
                      db: Session = Depends(get_db)) -> dict:
    """一个订阅 / one subscription."""
    return subscriptions.subscription_dict(subscriptions.get(db, actor=actor, subscription_id=subscription_id))


@router.delete("/subscriptions/{subscription_id}", dependencies=WRITE)
def cancel_subscription(subscription_id: int = Path(..., ge=1, le=MAX_ID), actor: Actor = Depends(require_user),
                        db: Session = Depends(get_db)) -> dict:
    """取消订阅 / cancel a subscription (pending deliveries are given up)."""
    return subscriptions.subscription_dict(subscriptions.cancel(db, actor=actor, subscription_id=subscription_id))


@router.post("/subscriptions/{subscription_id}/secret", dependencies=WRITE)
def rotate_secret(subscription_id: int = Path(..., ge=1, le=MAX_ID), actor: Actor = Depends(require_user),
                  db: Session = Depends(get_db), settings: Settings = Depends(get_settings)) -> dict:
    """更换签名密钥（只显示这一次）/ rotate the signing secret; the new one is shown only once."""
    secret = subscriptions.rotate_secret(db, actor=actor, settings=settings, subscription_id=subscription_id)
    return {"id": subscription_id, "secret": secret}


@router.get("/subscriptions/{subscription_id}/deliveries")
def list_deliveries(subscription_id: int = Path(..., ge=1, le=MAX_ID), limit: int = Query(50, ge=1, le=500),
                    actor: Actor = Depends(require_user), db: Session = Depends(get_db)) -> dict:
    """推送记录及每次尝试的结果 / deliveries of a subscription with every attempt and its outcome."""
    items = subscriptions.deliveries(db, actor=actor, subscription_id=subscription_id, limit=limit)
    attempts = subscriptions.attempts_of(db, [d.id for d in items])
    return {"items": [subscriptions.delivery_dict(d, attempts[d.id]) for d in items]}


# -- the worker: one daemon thread per app, woken by new dataset versions, polling for retries ------------------

def wake_worker(app) -> None:
    """Wake the app's worker now (a version was imported, or a subscription made)."""
    wake = getattr(app.state, "webhook_wake", None)
    if wake is not None:
        wake.set()


def _work(app_ref: weakref.ReferenceType, wake: threading.Event) -> None:
    app = app_ref()
    if app is None:
        return
    pool = app.state.engine.pool
    del app
    timeout = 0.0
    while True:
        wake.wait(timeout)
        wake.clear()
        app = app_ref()
        # the app is gone or its engine was disposed (shut down): stop
        if app is None or app.state.engine.pool is not pool:
            return
        settings, factory = app.state.settings, app.state.sessionmaker
        del app
        timeout = POLL_SECONDS
        try:
            with factory() as db:
                subscriptions.run_once(db, settings=settings)
                due = subscriptions.next_due_in(db)
            if due is not None:
                timeout = min(POLL_SECONDS, max(due, 0.05))
        except Exception:  # noqa: BLE001 - the worker must outlive a bad pass; it is retried on the next one
            log.exception("webhook worker pass failed")


def on_startup(app) -> None:
    """Start the webhook worker for this app (called by the app factory's lifespan)."""
    wake = threading.Event()
    app.state.webhook_wake = wake
    # subscribed per app (not at import) so that the hook survives a bus that was cleared meanwhile
    bus.subscribe("catalog.dataset.imported", lambda _name, _payload: wake.set())
    thread = threading.Thread(target=_work, args=(weakref.ref(app), wake), name="zhicheng-webhooks", daemon=True)
    thread.start()
