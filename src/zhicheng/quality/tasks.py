"""Correction tasks (整改任务): opened for a failing rule with a deadline in working days, closed when it passes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from zhicheng.core import clock
from zhicheng.core.events import bus
from zhicheng.core.workdays import service as deadlines
from zhicheng.quality.models import QualityFinding, QualityRun, QualityTask

WORKING_DAYS = 5


def sync(
    db: Session, *, run: QualityRun, findings: list[QualityFinding], working_days: int = WORKING_DAYS
) -> dict[str, int]:
    """Open a task for each newly failing rule, update the open ones, close those whose rule now passes.

    Called for a run over the newest version only (an old version's run says nothing about today's data)."""
    open_tasks = {
        t.rule_id: t
        for t in db.scalars(
            select(QualityTask).where(QualityTask.resource_id == run.resource_id, QualityTask.state == "open")
        )
    }
    counts = {"opened": 0, "closed": 0, "open": 0}
    for finding in findings:
        task = open_tasks.get(finding.rule_id)
        if finding.checked == 0:
            continue
        if finding.failed:
            if task is None:
                task = QualityTask(
                    resource_id=run.resource_id,
                    department_id=run.department_id,
                    rule_id=finding.rule_id,
                    state="open",
                    failed=finding.failed,
                    opened_run_id=run.id,
                    opened_at=clock.now(),
                    due_date=deadlines.add_working_days(deadlines.china_today(), working_days, db=db),
                )
                db.add(task)
                counts["opened"] += 1
            task.failed = finding.failed
            counts["open"] += 1
        elif task is not None:
            task.state, task.closed_run_id, task.closed_at, task.failed = "closed", run.id, clock.now(), 0
            counts["closed"] += 1
    db.flush()
    return counts


def announce(run: QualityRun, counts: dict[str, int]) -> None:
    """Tell the bus (after commit) that tasks were opened or closed."""
    if counts.get("opened") or counts.get("closed"):
        bus.publish("quality.tasks.changed", {"resource_id": run.resource_id, "run_id": run.id, **counts})


def view(task: QualityTask) -> dict[str, Any]:
    """A task as plain data with its deadline facts (working days left, overdue)."""
    is_open = task.state == "open"
    return {
        "id": task.id,
        "resource_id": task.resource_id,
        "department_id": task.department_id,
        "rule_id": task.rule_id,
        "state": task.state,
        "failed": task.failed,
        "due_date": task.due_date,
        "opened_at": clock.aware(task.opened_at),
        "closed_at": clock.aware(task.closed_at),
        "opened_run_id": task.opened_run_id,
        "closed_run_id": task.closed_run_id,
        "overdue": is_open and deadlines.is_overdue(task.due_date),
        "working_days_left": deadlines.working_days_left(task.due_date, db=object_session(task)) if is_open else None,
    }
