"""Interaction on the portal: ratings, moderated comments, public data requests, the app showcase.

Text is stored as typed and escaped where it is shown (Jinja autoescape); length limits and per-user and
per-IP limits (counted in the database, so they hold across processes) keep spam out.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Conflict, Forbidden, Invalid, NotFound, TooMany
from zhicheng.core.events import bus
from zhicheng.opendata.interaction.models import Comment, DataRequest, Rating, ShowcaseApp
from zhicheng.opendata.service import check_id, open_document
from zhicheng.opendata.users.models import PortalUser
from zhicheng.opendata.users.service import audit_actor
from zhicheng.policy.audit import record
from zhicheng.policy.service import Target, authorize, decide

COMMENT_MIN, COMMENT_MAX = 2, 1000
COMMENT_WINDOW = timedelta(minutes=10)
COMMENTS_PER_USER = 3  # per window
COMMENTS_PER_IP = 10  # per window
REQUESTS_PER_DAY = 5
APPS_PER_DAY = 5
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
COMMENT_STATES = {
    "pending": ("待审核", "Pending"),
    "approved": ("已通过", "Approved"),
    "rejected": ("未通过", "Rejected"),
}
REQUEST_STATES = {
    "open": ("待答复", "Open"),
    "answered": ("已答复", "Answered"),
    "declined": ("暂不开放", "Declined"),
}
APP_STATES = {
    "submitted": ("待审核", "Submitted"),
    "shown": ("已展示", "Shown"),
    "rejected": ("未通过", "Rejected"),
}


def _text(value: str | None, *, field: str, lo: int, hi: int, zh: str, en: str) -> str:
    text = (value or "").strip()
    if CONTROL.search(text):
        raise Invalid(f"{zh}含有不可见的控制字符", f"the {en} contains control characters", field=field)
    if not lo <= len(text) <= hi:
        raise Invalid(f"{zh}须为 {lo}–{hi} 个字", f"the {en} must have {lo}–{hi} characters", field=field)
    return text


def _label(states: dict, state: str, lang: str) -> str:
    names = states.get(state, (state, state))
    return names[1] if lang == "en" else names[0]


def _iso(dt) -> str | None:
    return clock.aware(dt).isoformat() if dt else None


# ---------------------------------------------------------------- ratings


def rate(db: Session, *, user: PortalUser, resource_id: int, stars: int) -> Rating:
    """Rate a dataset 1–5 (a second rating replaces the first)."""
    open_document(db, resource_id)
    if not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        raise Invalid("评分须为 1–5 星", "the rating must be 1–5 stars", field="stars")
    row = db.scalar(select(Rating).where(Rating.resource_id == resource_id, Rating.user_id == user.id))
    if row is None:
        row = Rating(resource_id=resource_id, user_id=user.id, stars=stars, created_at=clock.now())
        db.add(row)
    else:
        row.stars, row.created_at = stars, clock.now()
    db.commit()
    return row


def rating_summary(db: Session, resource_id: int) -> dict[str, Any]:
    avg, n = db.execute(
        select(func.avg(Rating.stars), func.count(Rating.id)).where(Rating.resource_id == resource_id)
    ).one()
    return {"average": round(float(avg), 2) if avg is not None else None, "count": int(n or 0)}


# ---------------------------------------------------------------- comments


def add_comment(
    db: Session, *, user: PortalUser, resource_id: int, body: str, ip: str | None = None
) -> Comment:
    """A comment, pending until moderated; limited per user and per IP address."""
    doc = open_document(db, resource_id)
    body = _text(body, field="body", lo=COMMENT_MIN, hi=COMMENT_MAX, zh="评论", en="comment")
    since = clock.now() - COMMENT_WINDOW
    by_user = db.scalar(
        select(func.count(Comment.id)).where(Comment.user_id == user.id, Comment.created_at >= since)
    )
    by_ip = (
        db.scalar(select(func.count(Comment.id)).where(Comment.ip == ip, Comment.created_at >= since))
        if ip
        else 0
    )
    if (by_user or 0) >= COMMENTS_PER_USER or (by_ip or 0) >= COMMENTS_PER_IP:
        wait = int(COMMENT_WINDOW.total_seconds())
        raise TooMany(
            "评论过于频繁，请稍后再试",
            "too many comments; please wait a while",
            field="body",
            headers={"Retry-After": str(wait)},
        )
    same = db.scalar(
        select(Comment.id)
        .where(Comment.user_id == user.id, Comment.resource_id == resource_id, Comment.body == body)
        .limit(1)
    )
    if same is not None:
        raise Conflict("请勿重复发表相同的评论", "you already posted this comment", field="body")
    row = Comment(
        resource_id=resource_id,
        department_id=doc["department"]["id"],
        user_id=user.id,
        author_name=user.display_name[:100],
        body=body,
        state="pending",
        ip=(ip or None) and ip[:64],
        created_at=clock.now(),
    )
    db.add(row)
    db.flush()
    record(
        db,
        actor=audit_actor(user),
        action="open.comment.create",
        target_kind="open.comment",
        target_id=row.id,
        detail={"resource_id": resource_id, "length": len(body)},
        ip=ip,
    )
    db.commit()
    return row


def approved_comments(db: Session, resource_id: int, limit: int = 100) -> list[Comment]:
    return list(
        db.scalars(
            select(Comment)
            .where(Comment.resource_id == resource_id, Comment.state == "approved")
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(limit)
        )
    )


def _staff_scope(actor: Actor, kind: str, action: str):
    """None for an admin (everything), else the actor's department id (after checking they may act there)."""
    if not actor.is_authenticated:
        raise Forbidden("请先登录", "please log in first")
    if decide(actor, action, Target(kind, department_id=-1)).allowed:
        return None
    authorize(actor, action, Target(kind, department_id=actor.department_id))
    return actor.department_id


def pending_comments(db: Session, *, actor: Actor) -> list[Comment]:
    dept = _staff_scope(actor, "open.comment", "moderate")
    q = select(Comment).where(Comment.state == "pending").order_by(Comment.created_at, Comment.id)
    if dept is not None:
        q = q.where(Comment.department_id == dept)
    return list(db.scalars(q.limit(500)))


def moderate(db: Session, *, actor: Actor, comment_id: int, decision: str) -> Comment:
    """An admin or the provider's data officer approves or rejects a pending comment."""
    check_id(comment_id)
    row = db.get(Comment, comment_id)
    if row is None:
        raise NotFound(f"评论 {comment_id} 不存在", f"comment {comment_id} not found", field="id")
    authorize(actor, "moderate", Target("open.comment", id=row.id, department_id=row.department_id))
    if decision not in ("approve", "reject"):
        raise Invalid("审核结果须为通过或不通过", "the decision must be approve or reject", field="decision")
    if row.state != "pending":
        raise Conflict("该评论已审核", "this comment has already been moderated", field="id")
    row.state = "approved" if decision == "approve" else "rejected"
    row.moderated_at = clock.now()
    row.moderated_by_name = (actor.display_name or actor.username or "")[:100] or None
    record(
        db,
        actor=actor,
        action=f"open.comment.{decision}",
        target_kind="open.comment",
        target_id=row.id,
        detail={"resource_id": row.resource_id},
    )
    db.commit()
    return row


def comment_out(row: Comment, lang: str = "zh-CN") -> dict[str, Any]:
    return {
        "id": row.id,
        "resource_id": row.resource_id,
        "author_name": row.author_name,
        "body": row.body,
        "state": row.state,
        "state_label": _label(COMMENT_STATES, row.state, lang),
        "created_at": _iso(row.created_at),
    }


# ---------------------------------------------------------------- data requests


def _per_day(db: Session, model, user_id: int, limit: int, what_zh: str, what_en: str) -> None:
    n = db.scalar(
        select(func.count(model.id)).where(
            model.user_id == user_id, model.created_at >= clock.now() - timedelta(days=1)
        )
    )
    if (n or 0) >= limit:
        raise TooMany(
            f"每天最多提交 {limit} 个{what_zh}",
            f"at most {limit} {what_en} a day",
            headers={"Retry-After": "3600"},
        )


def create_request(
    db: Session, *, user: PortalUser, title: str, description: str, department_id: int | None = None
) -> DataRequest:
    """A citizen asks for a dataset; the department (or the platform) answers publicly."""
    title = _text(title, field="title", lo=4, hi=200, zh="标题", en="title")
    description = _text(description, field="description", lo=10, hi=2000, zh="需求说明", en="description")
    if department_id is not None:
        from zhicheng.accounts import service as accounts

        check_id(department_id, "department_id")
        try:
            accounts.get_department(db, department_id)
        except NotFound:
            raise NotFound(
                f"部门 {department_id} 不存在", f"department {department_id} not found", field="department_id"
            ) from None
    _per_day(db, DataRequest, user.id, REQUESTS_PER_DAY, "数据需求", "data requests")
    row = DataRequest(
        user_id=user.id,
        author_name=user.display_name[:100],
        department_id=department_id,
        title=title,
        description=description,
        state="open",
        created_at=clock.now(),
    )
    db.add(row)
    db.flush()
    record(
        db,
        actor=audit_actor(user),
        action="open.request.create",
        target_kind="open.request",
        target_id=row.id,
        detail={"department_id": department_id},
    )
    db.commit()
    bus.publish("open.request.created", {"id": row.id, "department_id": department_id})
    return row


def list_requests(
    db: Session,
    *,
    state: str | None = None,
    department_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[DataRequest]:
    q = select(DataRequest).order_by(DataRequest.created_at.desc(), DataRequest.id.desc())
    if state:
        if state not in REQUEST_STATES:
            raise Invalid(f"未知状态 {state[:20]}", f"unknown state {state[:20]}", field="state")
        q = q.where(DataRequest.state == state)
    if department_id is not None:
        q = q.where(DataRequest.department_id == department_id)
    return list(db.scalars(q.limit(limit).offset(offset)))


def answer_request(
    db: Session, *, actor: Actor, request_id: int, answer: str, state: str = "answered"
) -> DataRequest:
    """The department's data officer (or an admin) answers a data request publicly."""
    check_id(request_id)
    row = db.get(DataRequest, request_id)
    if row is None:
        raise NotFound(f"数据需求 {request_id} 不存在", f"data request {request_id} not found", field="id")
    authorize(actor, "answer", Target("open.request", id=row.id, department_id=row.department_id))
    if state not in ("answered", "declined"):
        raise Invalid("答复状态须为已答复或暂不开放", "the state must be answered or declined", field="state")
    row.answer = _text(answer, field="answer", lo=2, hi=2000, zh="答复", en="answer")
    row.state, row.answered_at = state, clock.now()
    row.answered_by_name = (actor.display_name or actor.username or "")[:100] or None
    record(
        db,
        actor=actor,
        action="open.request.answer",
        target_kind="open.request",
        target_id=row.id,
        detail={"state": state},
    )
    db.commit()
    return row


def request_out(row: DataRequest, lang: str = "zh-CN", department_name: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "author_name": row.author_name,
        "department_id": row.department_id,
        "department_name": department_name,
        "state": row.state,
        "state_label": _label(REQUEST_STATES, row.state, lang),
        "answer": row.answer,
        "answered_by_name": row.answered_by_name,
        "answered_at": _iso(row.answered_at),
        "created_at": _iso(row.created_at),
    }


# ---------------------------------------------------------------- app showcase


def _url(value: str | None) -> str:
    url = (value or "").strip()
    parts = urlsplit(url)
    if (
        len(url) > 500
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or CONTROL.search(url)
        or any(ch in url for ch in " <>\"'")
    ):
        raise Invalid(
            "请填写以 http:// 或 https:// 开头的有效网址",
            "give a valid http:// or https:// address",
            field="url",
        )
    return url


def submit_app(
    db: Session,
    *,
    user: PortalUser,
    name: str,
    description: str,
    url: str,
    resource_ids: list[int] | None = None,
) -> ShowcaseApp:
    """Submit an app built on open data; shown once an admin has reviewed it."""
    name = _text(name, field="name", lo=2, hi=100, zh="应用名称", en="app name")
    description = _text(description, field="description", lo=10, hi=2000, zh="应用介绍", en="description")
    url = _url(url)
    ids = []
    for rid in list(dict.fromkeys(resource_ids or []))[:20]:
        open_document(db, rid)
        ids.append(rid)
    _per_day(db, ShowcaseApp, user.id, APPS_PER_DAY, "应用", "apps")
    row = ShowcaseApp(
        user_id=user.id,
        author_name=user.display_name[:100],
        name=name,
        description=description,
        url=url,
        resource_ids=ids,
        state="submitted",
        created_at=clock.now(),
    )
    db.add(row)
    db.flush()
    record(db, actor=audit_actor(user), action="open.app.submit", target_kind="open.app", target_id=row.id)
    db.commit()
    return row


def list_apps(db: Session, *, state: str = "shown", limit: int = 100) -> list[ShowcaseApp]:
    if state not in APP_STATES:
        raise Invalid(f"未知状态 {state[:20]}", f"unknown state {state[:20]}", field="state")
    return list(
        db.scalars(
            select(ShowcaseApp)
            .where(ShowcaseApp.state == state)
            .order_by(ShowcaseApp.created_at.desc(), ShowcaseApp.id.desc())
            .limit(limit)
        )
    )


def review_app(
    db: Session, *, actor: Actor, app_id: int, decision: str, note: str | None = None
) -> ShowcaseApp:
    """An admin shows or rejects a submitted app."""
    check_id(app_id)
    row = db.get(ShowcaseApp, app_id)
    if row is None:
        raise NotFound(f"应用 {app_id} 不存在", f"app {app_id} not found", field="id")
    authorize(actor, "review", Target("open.app", id=row.id))
    if decision not in ("show", "reject"):
        raise Invalid("审核结果须为展示或不通过", "the decision must be show or reject", field="decision")
    if row.state != "submitted":
        raise Conflict("该应用已审核", "this app has already been reviewed", field="id")
    note = (note or "").strip() or None
    if note and len(note) > 1000:
        raise Invalid("审核意见不超过 1000 个字", "the note may have at most 1000 characters", field="note")
    row.state = "shown" if decision == "show" else "rejected"
    row.review_note, row.reviewed_at = note, clock.now()
    row.reviewed_by_name = (actor.display_name or actor.username or "")[:100] or None
    record(db, actor=actor, action=f"open.app.{decision}", target_kind="open.app", target_id=row.id)
    db.commit()
    return row


def app_out(row: ShowcaseApp, lang: str = "zh-CN") -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "url": row.url,
        "author_name": row.author_name,
        "resource_ids": list(row.resource_ids or []),
        "state": row.state,
        "state_label": _label(APP_STATES, row.state, lang),
        "review_note": row.review_note,
        "created_at": _iso(row.created_at),
    }
