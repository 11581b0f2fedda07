"""Subscriptions: consumers' webhooks for new versions of granted resources, fan-out and signed, retried delivery."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.db import get_or_404
from zhicheng.core.errors import AppError, Invalid
from zhicheng.core.settings import Settings
from zhicheng.exchange.grants import check_grant, is_live
from zhicheng.exchange.models import Grant
from zhicheng.exchange.subscriptions import webhooks
from zhicheng.exchange.subscriptions.models import Subscription, WebhookAttempt, WebhookDelivery
from zhicheng.policy.audit import record
from zhicheng.policy.crypto import decrypt_field, encrypt_field
from zhicheng.policy.rules import KIND_NAMES, add_rule, admin, member_of_target_department
from zhicheng.policy.service import Target, across_departments, authorize

log = logging.getLogger(__name__)
KIND = "exchange.subscription"
EVENT = "dataset.version"
SECRET_CONTEXT = "exchange_subscription.secret"
CLAIM_LEASE = timedelta(seconds=60)  # a claimed delivery is not picked by another worker meanwhile
MAX_PER_DEPARTMENT = 50


for _action in ("read", "cancel"):
    add_rule(KIND, _action, "member of the consumer department", member_of_target_department)
    add_rule(KIND, _action, "admin", admin)
KIND_NAMES[KIND] = ("数据订阅", "subscription")


def _target(sub: Subscription) -> Target:
    return Target(KIND, sub.id, sub.consumer_department_id, {"resource_id": sub.resource_id})


def _latest_version(db: Session, resource_id: int) -> int:
    from zhicheng.catalog.datasets import service as datasets

    try:
        return datasets.get_version(db, actor=SYSTEM, resource_id=resource_id).version
    except AppError:
        return 0


@dataclass
class Created:
    """A new subscription and its signing secret, which is shown this once and never again."""

    subscription: Subscription
    secret: str


def create(db: Session, *, actor: Actor, settings: Settings, resource_id: int, target_url: str) -> Created:
    """Register a webhook for new versions of `resource_id`; the actor must pass the one grant check (a live grant of
    their department that policy lets them use)."""
    if not isinstance(resource_id, int) or not 0 < resource_id < 2**31:
        raise Invalid("资源编号无效", "invalid resource id", field="resource_id")
    url = webhooks.check_target(target_url, settings)
    grant = check_grant(db, actor=actor, resource_id=resource_id, field="resource_id")  # a live grant, `use` allowed
    count = db.scalar(select(func.count(Subscription.id)).where(
        Subscription.consumer_department_id == grant.consumer_department_id, Subscription.active.is_(True)))
    if (count or 0) >= MAX_PER_DEPARTMENT:
        raise Invalid(f"每个部门最多 {MAX_PER_DEPARTMENT} 个有效订阅", f"at most {MAX_PER_DEPARTMENT} active "
                      "subscriptions per department", code="too_many_subscriptions", field="resource_id")
    secret = secrets.token_urlsafe(32)
    sub = Subscription(grant_id=grant.id, resource_id=resource_id, consumer_department_id=grant.consumer_department_id,
                       target_url=url, secret=encrypt_field(settings, secret, context=SECRET_CONTEXT),
                       last_version=_latest_version(db, resource_id), created_by=actor.user_id,
                       created_by_name=actor.display_name or actor.username)
    db.add(sub)
    db.flush()
    record(db, actor=actor, action="exchange.subscription.create", target_kind=KIND, target_id=sub.id,
           detail={"resource_id": resource_id, "grant_id": grant.id, "target_url": url})
    db.commit()
    return Created(sub, secret)


def get(db: Session, *, actor: Actor, subscription_id: int) -> Subscription:
    """One subscription the actor may see (its consumer department's, or any for the admin)."""
    sub = get_or_404(db, Subscription, subscription_id, "订阅", "subscription")
    authorize(actor, "read", _target(sub))
    return sub


def list_for(db: Session, *, actor: Actor) -> list[Subscription]:
    """The subscriptions of the actor's department (every one for the admin), newest first."""
    q = select(Subscription).order_by(Subscription.id.desc())
    if not across_departments(actor, "read", KIND):
        if actor.department_id is None:
            return []
        q = q.where(Subscription.consumer_department_id == actor.department_id)
    return list(db.scalars(q.limit(500)))


def cancel(db: Session, *, actor: Actor, subscription_id: int) -> Subscription:
    """Stop a subscription; its pending deliveries are given up."""
    sub = get_or_404(db, Subscription, subscription_id, "订阅", "subscription")
    authorize(actor, "cancel", _target(sub))
    if sub.active:
        sub.active, sub.cancelled_at = False, clock.now()
        _give_up_pending(db, sub.id, "订阅已取消 / subscription cancelled")
        record(db, actor=actor, action="exchange.subscription.cancel", target_kind=KIND, target_id=sub.id)
        db.commit()
    return sub


def rotate_secret(db: Session, *, actor: Actor, settings: Settings, subscription_id: int) -> str:
    """Give an active subscription a new signing secret (shown this once); the old one stops at once."""
    sub = get_or_404(db, Subscription, subscription_id, "订阅", "subscription")
    authorize(actor, "cancel", _target(sub))
    if not sub.active:
        raise Invalid("订阅已取消，不能更换密钥", "the subscription was cancelled; its secret cannot change",
                      field="subscription_id")
    secret = secrets.token_urlsafe(32)
    sub.secret = encrypt_field(settings, secret, context=SECRET_CONTEXT)
    record(db, actor=actor, action="exchange.subscription.rotate_secret", target_kind=KIND, target_id=sub.id)
    db.commit()
    return secret


def deliveries(db: Session, *, actor: Actor, subscription_id: int, limit: int = 50) -> list[WebhookDelivery]:
    """The latest deliveries of a subscription, newest first (what the consumer sees of outcomes)."""
    get(db, actor=actor, subscription_id=subscription_id)
    if not 1 <= limit <= 500:
        raise Invalid("limit 须在 1 至 500 之间", "limit must be between 1 and 500", field="limit")
    return list(db.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
                           .order_by(WebhookDelivery.id.desc()).limit(limit)))


def attempts_of(db: Session, delivery_ids: list[int]) -> dict[int, list[WebhookAttempt]]:
    """Every attempt of the given deliveries, oldest first, by delivery id."""
    out: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        for a in db.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
                            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)):
            out[a.delivery_id].append(a)
    return out


def _give_up_pending(db: Session, subscription_id: int, why: str) -> None:
    db.execute(update(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id,
                                             WebhookDelivery.state == "pending")
               .values(state="cancelled", last_error=why, finished_at=clock.now())
               .execution_options(synchronize_session=False))


# -- the worker's side: fan-out of new versions, then sending what is due ----------------------------------

def fan_out(db: Session) -> int:
    """Queue one delivery per active subscription whose resource has a newer version; returns how many."""
    queued = 0
    for sub in list(db.scalars(select(Subscription).where(Subscription.active.is_(True)))):
        latest = _latest_version(db, sub.resource_id)
        if latest <= sub.last_version:
            continue
        # claim the announcement: only one worker moves last_version on, and only it queues the delivery
        moved = db.execute(update(Subscription).where(Subscription.id == sub.id,
                                                      Subscription.last_version == sub.last_version)
                           .values(last_version=latest)
                           .execution_options(synchronize_session=False)).rowcount
        if moved != 1:
            db.rollback()
            continue
        payload = {"event": EVENT, "subscription_id": sub.id, "resource_id": sub.resource_id, "version": latest,
                   "previous_version": sub.last_version, "at": clock.now().isoformat()}
        db.add(WebhookDelivery(subscription_id=sub.id, event=EVENT, payload=payload, next_attempt_at=clock.now()))
        db.commit()
        queued += 1
    return queued


def _claim(db: Session, delivery: WebhookDelivery) -> bool:
    at = clock.now()
    won = db.execute(update(WebhookDelivery).where(
        WebhookDelivery.id == delivery.id, WebhookDelivery.state == "pending",
        WebhookDelivery.next_attempt_at <= at).values(next_attempt_at=at + CLAIM_LEASE)
        .execution_options(synchronize_session=False)).rowcount
    db.commit()
    return won == 1


def _finish(db: Session, d: WebhookDelivery, sub: Subscription, outcome: webhooks.Outcome) -> None:
    d.attempts += 1
    db.add(WebhookAttempt(delivery_id=d.id, number=d.attempts, status=outcome.status, error=outcome.error,
                          duration_ms=outcome.duration_ms))
    d.last_status, d.last_error = outcome.status, outcome.error
    if outcome.ok:
        d.state, d.finished_at = "delivered", clock.now()
    elif d.attempts >= webhooks.MAX_ATTEMPTS:
        d.state, d.finished_at = "failed", clock.now()
    else:
        d.next_attempt_at = clock.now() + webhooks.backoff(d.attempts)
    record(db, actor=SYSTEM, action="exchange.subscription.deliver", target_kind=KIND, target_id=sub.id,
           outcome="ok" if outcome.ok else "failed",
           detail={"delivery_id": d.id, "attempt": d.attempts, "status": outcome.status, "grant_id": sub.grant_id,
                   "resource_id": sub.resource_id, "version": d.payload.get("version")})
    db.commit()


def _refuse_now(db: Session, d: WebhookDelivery, why: str) -> None:
    d.state, d.last_error, d.finished_at = "cancelled", why, clock.now()
    db.commit()


def send_due(db: Session, *, settings: Settings, limit: int = 100) -> dict[str, int]:
    """Send every pending delivery whose time has come (claimed first, so two workers never both send one)."""
    counts = {"delivered": 0, "retry": 0, "failed": 0, "cancelled": 0}
    due = list(db.scalars(select(WebhookDelivery).where(WebhookDelivery.state == "pending",
                                                        WebhookDelivery.next_attempt_at <= clock.now())
                          .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)))
    for d in due:
        if not _claim(db, d):
            continue
        sub = db.get(Subscription, d.subscription_id)
        grant = db.get(Grant, sub.grant_id) if sub else None
        if sub is None or not sub.active or grant is None or not is_live(grant):
            _refuse_now(db, d, "授权已失效或订阅已取消 / the grant is no longer live or the subscription ended")
            counts["cancelled"] += 1
            continue
        try:  # the allow-list may have changed since the subscription was made
            url = webhooks.check_target(sub.target_url, settings)
        except Invalid as err:
            _refuse_now(db, d, f"{err.zh} / {err.en}")
            counts["cancelled"] += 1
            continue
        try:
            secret = decrypt_field(settings, sub.secret, context=SECRET_CONTEXT)
        except Invalid as err:  # the instance's key changed: the consumer must subscribe again
            _refuse_now(db, d, f"{err.zh} / {err.en}")
            counts["cancelled"] += 1
            continue
        outcome = webhooks.send(url, secret=secret, payload=d.payload, delivery_id=d.id, event=d.event)
        _finish(db, d, sub, outcome)
        counts["delivered" if d.state == "delivered" else ("failed" if d.state == "failed" else "retry")] += 1
    return counts


def run_once(db: Session, *, settings: Settings) -> dict[str, int]:
    """One pass of the worker: queue deliveries for new versions, then send what is due."""
    queued = fan_out(db)
    counts = send_due(db, settings=settings)
    return {"queued": queued, **counts}


def next_due_in(db: Session) -> float | None:
    """Seconds until the earliest pending delivery is due (0 if overdue), None when nothing is pending."""
    at = db.scalar(select(func.min(WebhookDelivery.next_attempt_at)).where(WebhookDelivery.state == "pending"))
    if at is None:
        return None
    return max(0.0, (clock.aware(at) - clock.now()).total_seconds())


def delivery_dict(d: WebhookDelivery, attempts: list[WebhookAttempt] | None = None) -> dict[str, Any]:
    """A delivery as the API shows it, with its attempts."""
    out: dict[str, Any] = {"id": d.id, "event": d.event, "payload": d.payload, "state": d.state,
                           "attempts": d.attempts, "next_attempt_at": clock.aware(d.next_attempt_at).isoformat(),
                           "last_status": d.last_status, "last_error": d.last_error,
                           "created_at": clock.aware(d.created_at).isoformat(),
                           "finished_at": clock.aware(d.finished_at).isoformat() if d.finished_at else None}
    if attempts is not None:
        out["attempt_log"] = [{"number": a.number, "at": clock.aware(a.at).isoformat(), "status": a.status,
                               "error": a.error, "duration_ms": a.duration_ms} for a in attempts]
    return out


def subscription_dict(sub: Subscription) -> dict[str, Any]:
    """A subscription as the API shows it (never its secret)."""
    return {"id": sub.id, "grant_id": sub.grant_id, "resource_id": sub.resource_id,
            "consumer_department_id": sub.consumer_department_id, "target_url": sub.target_url,
            "active": sub.active, "last_version": sub.last_version, "created_by_name": sub.created_by_name,
            "created_at": clock.aware(sub.created_at).isoformat(),
            "cancelled_at": clock.aware(sub.cancelled_at).isoformat() if sub.cancelled_at else None}
