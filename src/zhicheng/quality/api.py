"""Quality API under /api/v1/quality: rules and proposals, runs and reports, tasks, schedules, the dashboard;
and on_startup(app): quality runs after each import, and the scheduler thread."""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.core.actor import Actor
from zhicheng.core.events import bus, same_database
from zhicheng.quality import schedules, service
from zhicheng.quality.schemas import RuleIn, RunIn, ScheduleIn
from zhicheng.web.deps import get_db
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/quality", tags=["quality 数据质量"])
log = logging.getLogger(__name__)
SCHEDULER_SECONDS = 60.0


def _json(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(jsonable_encoder(body), status_code=status)


@router.get("/resources/{resource_id}/rules")
def rules(
    request: Request,
    resource_id: int,
    state: list[str] = Query(["active", "proposed"]),
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> JSONResponse:
    """资源的质量规则与建议 / a resource's rules and proposals."""
    lang = request_language(request)
    return _json(
        [
            service.rule_view(r, lang)
            for r in service.list_rules(db, actor=actor, resource_id=resource_id, states=tuple(state))
        ]
    )


@router.post("/resources/{resource_id}/rules", status_code=201, dependencies=[Depends(csrf_protect)])
def define(
    request: Request,
    resource_id: int,
    body: RuleIn,
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> JSONResponse:
    """定义一条质量规则 / define a rule (errors name the field at fault)."""
    rule = service.define_rule(db, actor=actor, resource_id=resource_id, data=body.model_dump())
    return _json(service.rule_view(rule, request_language(request)), 201)


@router.post("/resources/{resource_id}/proposals", dependencies=[Depends(csrf_protect)])
def propose(
    request: Request, resource_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> JSONResponse:
    """根据信息项和数据画像生成规则建议 / propose rules from the items and a profile of the data."""
    lang = request_language(request)
    return _json(
        [service.rule_view(r, lang) for r in service.propose(db, actor=actor, resource_id=resource_id)]
    )


@router.post("/rules/{rule_id}/accept", dependencies=[Depends(csrf_protect)])
def accept(
    request: Request, rule_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> JSONResponse:
    """采纳规则建议 / accept a proposal."""
    rule = service.set_rule_state(db, actor=actor, rule_id=rule_id, state="active")
    return _json(service.rule_view(rule, request_language(request)))


@router.post("/rules/{rule_id}/dismiss", dependencies=[Depends(csrf_protect)])
def dismiss(
    request: Request, rule_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> JSONResponse:
    """忽略建议或停用规则 / dismiss a proposal or retire a rule."""
    rule = service.set_rule_state(db, actor=actor, rule_id=rule_id, state="dismissed")
    return _json(service.rule_view(rule, request_language(request)))


@router.get("/resources/{resource_id}/profile")
def profile(
    resource_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> JSONResponse:
    """最新版本数据的画像 / a profile of the newest version's data."""
    return _json(service.profile(db, actor=actor, resource_id=resource_id))


@router.post("/resources/{resource_id}/runs", status_code=201, dependencies=[Depends(csrf_protect)])
def run(
    resource_id: int,
    body: RunIn | None = None,
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> JSONResponse:
    """立即运行质量检测 / run the rules now (over the newest version unless one is given)."""
    done = service.run(db, actor=actor, resource_id=resource_id, version=body.version if body else None)
    return _json(service.run_view(done), 201)


@router.get("/resources/{resource_id}/runs")
def runs(
    resource_id: int, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> JSONResponse:
    """历次检测（新的在前）/ the resource's runs, newest first."""
    return _json(service.history(db, actor=actor, resource_id=resource_id))


@router.get("/resources/{resource_id}/report")
def report(
    request: Request,
    resource_id: int,
    run_id: int | None = None,
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> JSONResponse:
    """质量报告（默认最近一次）/ a run's report, the newest by default (null when never run)."""
    return _json(
        service.report(
            db, actor=actor, resource_id=resource_id, run_id=run_id, lang=request_language(request)
        )
    )


@router.put("/resources/{resource_id}/schedule", dependencies=[Depends(csrf_protect)])
def schedule(
    resource_id: int, body: ScheduleIn, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> JSONResponse:
    """定时检测 / run every N hours (0 removes the schedule)."""
    found = schedules.set_schedule(db, actor=actor, resource_id=resource_id, interval_hours=body.interval_hours)
    return _json(
        None
        if found is None
        else {
            "resource_id": found.resource_id,
            "interval_hours": found.interval_hours,
            "next_run_at": found.next_run_at,
        }
    )


@router.get("/dashboard")
def dashboard(
    request: Request, db: Session = Depends(get_db), actor: Actor = Depends(require_user)
) -> JSONResponse:
    """质量看板 / the quality dashboard's data."""
    return _json(service.dashboard(db, actor=actor, lang=request_language(request)))


@router.get("/tasks")
def tasks(
    request: Request,
    state: str | None = Query("open", pattern="^(open|closed)$"),
    db: Session = Depends(get_db),
    actor: Actor = Depends(require_user),
) -> JSONResponse:
    """整改任务（本部门；数据资源局看全部）/ correction tasks of the actor's department."""
    return _json(service.inbox(db, actor=actor, state=state, lang=request_language(request)))


# -- background: after each import, and on schedule ------------------------------------------------------------


def _alive(app_ref: weakref.ReferenceType, pool: Any):
    """The app while it is alive and its engine not disposed (a test's app outlived by the bus), else None."""
    app = app_ref()
    if app is None or app.state.engine.pool is not pool:
        return None
    return app


def _scheduler(app_ref: weakref.ReferenceType, pool: Any, stop: threading.Event) -> None:
    while not stop.wait(SCHEDULER_SECONDS):
        app = _alive(app_ref, pool)
        if app is None:
            return
        factory = app.state.sessionmaker
        del app
        try:
            with factory() as db:
                schedules.run_due(db)
        except Exception:  # noqa: BLE001 - the scheduler must outlive a bad pass
            log.exception("scheduled quality runs failed")


def on_startup(app) -> None:
    """Run the rules after each import (synchronously, in the importing thread) and start the scheduler."""
    app_ref, pool = weakref.ref(app), app.state.engine.pool

    def after_import(_name: str, payload: dict[str, Any]) -> None:
        live = _alive(app_ref, pool)
        if live is not None and same_database(payload, live.state.engine):
            service.run_after_import(live.state.sessionmaker, payload)

    bus.subscribe("catalog.dataset.imported", after_import)
    stop = threading.Event()
    app.state.quality_scheduler_stop = stop
    threading.Thread(
        target=_scheduler, args=(app_ref, pool, stop), name="zhicheng-quality-scheduler", daemon=True
    ).start()
