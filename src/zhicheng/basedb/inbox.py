"""The conflicts inbox: tasks sent to the departments owning disagreeing values, read masked, resolved."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhicheng.basedb.access import value_masker
from zhicheng.basedb.models import Assembly, AssemblyRun, Conflict, ConflictTask
from zhicheng.basedb.templates import TEMPLATES
from zhicheng.catalog import service as catalog
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import get_or_404
from zhicheng.core.errors import Conflict as ConflictError
from zhicheng.core.errors import Invalid
from zhicheng.core.workdays import service as deadlines
from zhicheng.policy.audit import record
from zhicheng.policy.rules import (
    ACTION_NAMES,
    KIND_NAMES,
    add_rule,
    admin,
    member_of_target_department,
    officer_of_target_department,
)
from zhicheng.policy.service import Target, across_departments, decide
from zhicheng.policy.service import authorize_audited as _authorize

TASK_KIND = "basedb.task"
add_rule(TASK_KIND, "read", "admin", admin)
add_rule(TASK_KIND, "read", "member of the department", member_of_target_department)
add_rule(TASK_KIND, "resolve", "admin", admin)
add_rule(TASK_KIND, "resolve", "data_officer of the department", officer_of_target_department)
KIND_NAMES[TASK_KIND] = ("冲突核查任务", "conflict task")
ACTION_NAMES.setdefault("resolve", ("办结", "resolve"))
MAX_CONFLICTS_SHOWN = 500


def task_target(task: ConflictTask) -> Target:
    return Target(TASK_KIND, id=task.id, department_id=task.department_id)


def task_view(db: Session, task: ConflictTask) -> dict[str, Any]:
    asm = db.get(Assembly, task.assembly_id)
    res = catalog.get_resource(db, task.resource_id)
    return {
        "id": task.id,
        "run_id": task.run_id,
        "assembly_id": task.assembly_id,
        "assembly_name": asm.name if asm else None,
        "department_id": task.department_id,
        "resource_id": task.resource_id,
        "resource_name": res.name,
        "conflicts": task.conflict_count,
        "state": task.state,
        "due_date": task.due_date.isoformat(),
        "working_days_left": deadlines.working_days_left(task.due_date, db=db),
        "overdue": task.state == "open" and deadlines.is_overdue(task.due_date),
        "note": task.note,
        "created_at": clock.aware(task.created_at).isoformat(),
        "resolved_at": clock.aware(task.resolved_at).isoformat() if task.resolved_at else None,
    }


def list_tasks(db: Session, *, actor: Actor, state: str | None = "open") -> list[dict[str, Any]]:
    """The conflict tasks sent to the actor's department (all of them for an admin), soonest due first."""
    query = select(ConflictTask).order_by(ConflictTask.due_date, ConflictTask.id)
    if state:
        query = query.where(ConflictTask.state == state)
    if not across_departments(actor, "read", TASK_KIND) and actor.kind != "system":
        query = query.where(ConflictTask.department_id == (actor.department_id or -1))
    tasks = [t for t in db.scalars(query) if decide(actor, "read", task_target(t)).allowed]
    record(db, actor=actor, action=f"{TASK_KIND}.list", target_kind=TASK_KIND, detail={"count": len(tasks)})
    db.commit()
    return [task_view(db, t) for t in tasks]


def read_task(
    db: Session, *, actor: Actor, task_id: int, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """A conflict task with its conflicts (values masked where policy says so), audited."""
    task = get_or_404(db, ConflictTask, task_id, "冲突核查任务", "conflict task")
    _authorize(db, actor, "read", task_target(task))
    if not 1 <= limit <= MAX_CONFLICTS_SHOWN or offset < 0:
        raise Invalid(
            f"limit 须在 1 至 {MAX_CONFLICTS_SHOWN} 之间",
            f"limit must be 1 to {MAX_CONFLICTS_SHOWN}",
            field="limit",
        )
    run = db.get(AssemblyRun, task.run_id)
    asm = db.get(Assembly, task.assembly_id)
    template = TEMPLATES[asm.template]
    maskers = {
        i: value_masker(db, actor, s["resource_id"], s["department_id"], template)
        for i, s in enumerate(run.sources)
    }
    kept_mask = value_masker(db, actor, asm.resource_id, asm.department_id, template)
    rows = db.scalars(
        select(Conflict).where(Conflict.task_id == task.id).order_by(Conflict.id).limit(limit).offset(offset)
    )
    items = [
        {
            "row": c.row,
            "key": maskers[c.other_index][template.key.name](c.key),
            "field": c.field,
            "label": template.field(c.field).label,
            "value": kept_mask[c.field](c.value),
            "kept_source": run.sources[c.kept_index]["name"],
            "kept_row": c.kept_row,
            "other_value": maskers[c.other_index][c.field](c.other_value),
            "other_row": c.other_row,
        }
        for c in rows
    ]
    record(
        db,
        actor=actor,
        action=f"{TASK_KIND}.read",
        target_kind=TASK_KIND,
        target_id=task.id,
        detail={"limit": limit, "offset": offset, "rows": len(items)},
    )
    db.commit()
    return {**task_view(db, task), "items": items}


def resolve_task(db: Session, *, actor: Actor, task_id: int, note: str | None = None) -> dict[str, Any]:
    """The owner says the disagreeing values were checked (and corrected at the source where wrong)."""
    task = get_or_404(db, ConflictTask, task_id, "冲突核查任务", "conflict task")
    _authorize(db, actor, "resolve", task_target(task))
    if task.state != "open":
        raise ConflictError("该任务已办结或已被新的运行取代", "the task is no longer open", field="state")
    task.state, task.resolved_at, task.resolved_by = "resolved", clock.now(), actor.user_id
    task.note = (note or "").strip()[:2000] or None
    record(
        db,
        actor=actor,
        action=f"{TASK_KIND}.resolve",
        target_kind=TASK_KIND,
        target_id=task.id,
        detail={"note": task.note},
    )
    db.commit()
    return task_view(db, task)
