"""Conflicts between sources: when two values differ, how they are kept, and the tasks sent to their owners."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhicheng.basedb.matching import normalise_text
from zhicheng.basedb.models import Conflict, ConflictTask
from zhicheng.core import clock
from zhicheng.core.workdays import service as deadlines

ANSWER_WORKING_DAYS = 10  # the owner checks its disagreeing values within ten working days
BATCH = 5000


def comparable(value: Any) -> Any:
    """A value as compared between sources: half-width, trimmed, spaces collapsed; numbers and dates as such."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date | bool | int):
        return value
    if isinstance(value, Decimal | float):
        return Decimal(str(value)).normalize()
    text = str(value)
    if text.isascii():
        return " ".join(text.split()).upper() or None
    return normalise_text(text) or None  # width, spaces, dots, traditional characters


def differs(a: Any, b: Any) -> bool:
    """True when two non-empty values of one field really disagree (not just in width, case or spacing)."""
    if a == b:
        return False
    return comparable(a) != comparable(b)


def text_of(value: Any) -> str | None:
    """A value as stored in a conflict (and written to the assembled file)."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class ConflictWriter:
    """Buffers the conflicts of a run and inserts them in batches inside the run's transaction."""

    def __init__(self, db: Session, run_id: int, sources: list[dict[str, Any]]) -> None:
        self.db, self.run_id, self.sources = db, run_id, sources
        self.buffer: list[tuple] = []
        self.staged: sa.Table | None = None
        # every column but the id (the database numbers the conflicts)
        self.table = sa.Table(
            Conflict.__tablename__,
            sa.MetaData(),
            *[sa.Column(c.name, c.type) for c in Conflict.__table__.columns if c.name != "id"],
        )
        self.count = 0
        self.by_field: dict[str, int] = {}

    def add(
        self,
        *,
        row: int,
        key: str | None,
        field: str,
        value: Any,
        kept: tuple[int, int],
        other_value: Any,
        other: tuple[int, int],
    ) -> None:
        self.buffer.append(
            (
                self.run_id,
                None,
                row,
                key or None,
                field,
                text_of(value),
                kept[0],
                kept[1],
                text_of(other_value),
                other[0],
                other[1],
                self.sources[other[0]]["resource_id"],
            )
        )
        self.count += 1
        self.by_field[field] = self.by_field.get(field, 0) + 1
        if len(self.buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        from zhicheng.basedb.assembly import insert_many, staging

        if self.staged is None:
            self.staged = staging(self.db.connection(), self.table, self.run_id)
        insert_many(self.db.connection(), self.staged, self.buffer)
        self.buffer = []

    def publish(self) -> None:
        from zhicheng.basedb.assembly import unstage

        self.flush()
        if self.staged is not self.table:  # SQLite: staged in a temporary table
            unstage(self.db.connection(), self.staged, Conflict.__table__)


def open_tasks(
    db: Session, *, run_id: int, assembly_id: int, sources: list[dict[str, Any]]
) -> list[ConflictTask]:
    """One task per disagreeing source of the run, for its department, due in ANSWER_WORKING_DAYS working days;
    the open tasks of earlier runs of the assembly are superseded."""
    now = clock.now()
    db.execute(
        update(ConflictTask)
        .where(
            ConflictTask.assembly_id == assembly_id,
            ConflictTask.state == "open",
            ConflictTask.run_id != run_id,
        )
        .values(state="superseded")
    )
    counts = db.execute(
        select(Conflict.other_resource_id, func.count())
        .where(Conflict.run_id == run_id)
        .group_by(Conflict.other_resource_id)
    ).all()
    department = {s["resource_id"]: s["department_id"] for s in sources}
    due = deadlines.add_working_days(deadlines.china_today(now), ANSWER_WORKING_DAYS, db=db)
    tasks = []
    for resource_id, count in counts:
        task = ConflictTask(
            run_id=run_id,
            assembly_id=assembly_id,
            department_id=department[resource_id],
            resource_id=resource_id,
            conflict_count=count,
            state="open",
            due_date=due,
            created_at=now,
        )
        db.add(task)
        db.flush()
        db.execute(
            update(Conflict)
            .where(Conflict.run_id == run_id, Conflict.other_resource_id == resource_id)
            .values(task_id=task.id)
        )
        tasks.append(task)
    return tasks
