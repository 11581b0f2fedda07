"""Base database pages: the list (/basedb), one base database with provenance lookup, the conflicts inbox."""

from __future__ import annotations

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from zhicheng.accounts import service as accounts
from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.basedb import flows, service
from zhicheng.basedb.models import ConflictTask
from zhicheng.basedb.templates import TEMPLATES
from zhicheng.catalog import service as catalog
from zhicheng.core.actor import Actor
from zhicheng.core.db import get_or_404
from zhicheng.core.errors import AppError
from zhicheng.policy.service import decide
from zhicheng.web.deps import get_db
from zhicheng.web.flash import flash
from zhicheng.web.i18n import request_language
from zhicheng.web.routing import APIRouter
from zhicheng.web.templating import render

router = APIRouter(include_in_schema=False)
TASK_STATES = {"open": "待核查", "resolved": "已办结", "superseded": "已被新运行取代"}
METHODS = {"key": "主键匹配", "er": "实体匹配", "pool": "无主键"}
RUN_STATES = {"running": "运行中", "succeeded": "成功", "failed": "失败"}


def _departments(db: Session) -> dict[int, str]:
    return {d.id: d.name for d in accounts.list_departments(db)}


@router.get("/basedb")
def basedb_list(request: Request, actor: Actor = Depends(require_user), db: Session = Depends(get_db)):
    rows = service.list_assemblies(db, actor=actor)
    return render(
        request,
        "basedb/list.html",
        {
            "rows": rows,
            "departments": _departments(db),
            "templates": TEMPLATES.values(),
            "breadcrumbs": [("基础库", None)],
        },
    )


@router.get("/basedb/conflicts")
def conflicts_inbox(
    request: Request, all: bool = False, actor: Actor = Depends(require_user), db: Session = Depends(get_db)
):
    tasks = service.list_tasks(db, actor=actor, state=None if all else "open")
    return render(
        request,
        "basedb/conflicts.html",
        {
            "tasks": tasks,
            "departments": _departments(db),
            "states": TASK_STATES,
            "all": all,
            "breadcrumbs": [("基础库", "/basedb"), ("数据冲突核查", None)],
        },
    )


@router.get("/basedb/conflicts/{task_id}")
def conflict_task(
    request: Request,
    task_id: int,
    offset: int = 0,
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
):
    task = service.read_task(db, actor=actor, task_id=task_id, limit=100, offset=max(offset, 0))
    can_resolve = (
        task["state"] == "open"
        and decide(
            actor,
            "resolve",
            service.task_target(get_or_404(db, ConflictTask, task_id, "冲突核查任务", "conflict task")),
        ).allowed
    )
    return render(
        request,
        "basedb/task.html",
        {
            "t": task,
            "departments": _departments(db),
            "states": TASK_STATES,
            "can_resolve": can_resolve,
            "offset": max(offset, 0),
            "breadcrumbs": [
                ("基础库", "/basedb"),
                ("数据冲突核查", "/basedb/conflicts"),
                (f"#{task_id}", None),
            ],
        },
    )


@router.post("/basedb/conflicts/{task_id}/resolve", dependencies=[Depends(csrf_protect)])
def resolve(
    request: Request,
    task_id: int,
    note: str = Form(""),
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
):
    service.resolve_task(db, actor=actor, task_id=task_id, note=note)
    return flash(request, RedirectResponse("/basedb/conflicts", status_code=303), "已办结。")


@router.get("/basedb/{assembly_id}")
def basedb_detail(
    request: Request,
    assembly_id: int,
    row: str | None = None,
    key: str | None = None,
    actor: Actor = Depends(require_user),
    db: Session = Depends(get_db),
):
    row = int(row) if row and row.strip().isdigit() and len(row.strip()) < 10 else None  # an empty box: none
    key = (key or "").strip()[:64] or None
    view = service.read_assembly(db, actor=actor, assembly_id=assembly_id)
    template = TEMPLATES[view["template"]]
    columns, rows, prov, error = [], [], None, None
    if view["last_run"]:
        columns, rows = service.read_records(db, actor=actor, assembly_id=assembly_id, limit=20)
        if row or key:
            try:
                prov = service.provenance(db, actor=actor, assembly_id=assembly_id, row=row, key=key)
            except AppError as exc:
                if exc.status in (401, 403):
                    raise
                db.rollback()
                error = exc.message(request_language(request))
    runs = service.list_runs(db, actor=actor, assembly_id=assembly_id)
    source_names = {}
    for entry in view["definition"]:  # catalog metadata: the names of the source resources
        for src in entry["sources"]:
            rid = src["resource_id"]
            if rid not in source_names:
                source_names[rid] = catalog.get_resource(db, rid).name
    can_run = decide(actor, "run", service._target(service.get_assembly(db, assembly_id))).allowed
    return render(
        request,
        "basedb/detail.html",
        {
            "a": view,
            "tpl": template,
            "columns": columns,
            "rows": rows,
            "prov": prov,
            "error": error,
            "runs": runs[:10],
            "can_run": can_run,
            "departments": _departments(db),
            "methods": METHODS,
            "run_states": RUN_STATES,
            "source_names": source_names,
            "query_row": row or "",
            "query_key": key or "",
            "breadcrumbs": [("基础库", "/basedb"), (view["name"], None)],
        },
    )


@router.post("/basedb/{assembly_id}/run", dependencies=[Depends(csrf_protect)])
def run(
    request: Request, assembly_id: int, actor: Actor = Depends(require_user), db: Session = Depends(get_db)
):
    result = flows.run_assembly(db, actor=actor, assembly_id=assembly_id)
    message = f"已生成第 {result.version} 版：{result.record_count} 条记录，{result.conflict_count} 处冲突。"
    return flash(request, RedirectResponse(f"/basedb/{assembly_id}", status_code=303), message)


def nav_entries(nav) -> None:
    """This domain's entries in the app shell's navigation (`nav` is a web.navigation.Navigation)."""
    nav.register_nav("data", "基础库", "/basedb", roles=("admin", "leader"), order=90)
