"""Scheduled quality runs: a resource's rules every N hours, each due run claimed in the database so that of
several processes (workers, cron) one runs it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import SYSTEM, Actor
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.policy import audit
from zhicheng.policy.service import authorize_audited
from zhicheng.quality.access import RUN, resource_of, target_of
from zhicheng.quality.models import QualitySchedule
from zhicheng.quality.service import run


def set_schedule(
    db: Session, *, actor: Actor, resource_id: int, interval_hours: int
) -> QualitySchedule | None:
    """Run the resource's rules every `interval_hours` (1 to 8760); 0 removes the schedule."""
    res = resource_of(db, resource_id)
    authorize_audited(db, actor, "run", target_of(RUN, res))
    if not 0 <= int(interval_hours) <= 8760:
        raise Invalid(
            "间隔应在 1 至 8760 小时之间（0 表示取消）",
            "the interval is 1 to 8760 hours (0: none)",
            field="interval_hours",
        )
    found = db.get(QualitySchedule, res.id)
    if int(interval_hours) == 0:
        if found is not None:
            db.delete(found)
        found = None
    else:
        if found is None:
            found = QualitySchedule(resource_id=res.id, interval_hours=1, next_run_at=clock.now())
            db.add(found)
        found.interval_hours = int(interval_hours)
        found.next_run_at = clock.now() + timedelta(hours=int(interval_hours))
    audit.record(
        db,
        actor=actor,
        action=f"{RUN}.schedule",
        target_kind=RUN,
        target_id=res.id,
        detail={"interval_hours": int(interval_hours)},
    )
    db.commit()
    return found


def run_due(db: Session) -> list[int]:
    """Run every scheduled resource whose time has come; return the run ids (a resource without data is skipped).
    Each due schedule is claimed before it runs, as webhook deliveries are: its next time is moved on by an UPDATE
    that matches only the time this process read, so of several processes (workers, cron) one runs it."""
    now = clock.now()
    made = []
    due = list(db.execute(select(QualitySchedule.resource_id, QualitySchedule.interval_hours,
                                 QualitySchedule.next_run_at).order_by(QualitySchedule.resource_id)))
    db.rollback()
    for resource_id, hours, seen in due:
        if clock.aware(seen) > now:
            continue
        claimed = db.execute(
            update(QualitySchedule)
            .where(QualitySchedule.resource_id == resource_id, QualitySchedule.next_run_at == seen)
            .values(last_run_at=now, next_run_at=now + timedelta(hours=hours))
        ).rowcount
        db.commit()
        if claimed != 1:  # another process claimed it first
            continue
        try:
            made.append(run(db, actor=SYSTEM, resource_id=resource_id, trigger="schedule").id)
        except NotFound:
            db.rollback()
    return made

