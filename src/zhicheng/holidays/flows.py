"""Entering and deleting a year's holiday schedule: authorised, stored in core, the due dates of other domains'
pending work counted again on it (share requests: `exchange.service.recount_pending`), audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.core.workdays import schedule
from zhicheng.core.workdays.models import HolidayYear
from zhicheng.exchange import service as exchange
from zhicheng.holidays.service import KIND, authorize_edit
from zhicheng.policy import audit


def enter_year(db: Session, *, actor: Actor, year: int, entries: list[schedule.Entry],
               source: str | None = None) -> HolidayYear:
    """Enter (or replace) the schedule of `year`: the admin only; audited; pending deadlines counted again."""
    authorize_edit(db, actor)
    row, replaced = schedule.store_year(db, year=year, entries=entries, source=source,
                                        entered_by=actor.display_name or actor.username)
    moved = exchange.recount_pending(db)
    audit.record(db, actor=actor, action=f"{KIND}.update", target_kind=KIND, target_id=str(year),
                 detail={"year": year, "replaced": replaced, "source": row.source,
                         "holidays": sum(e.kind == "holiday" for e in entries),
                         "workdays": sum(e.kind == "workday" for e in entries), "requests_recounted": moved})
    db.commit()
    return row


def delete_year(db: Session, *, actor: Actor, year: int) -> None:
    """Remove an entered schedule (the package's, or weekends only, apply again): the admin only; audited."""
    authorize_edit(db, actor)
    schedule.remove_year(db, year=year)
    moved = exchange.recount_pending(db)
    audit.record(db, actor=actor, action=f"{KIND}.delete", target_kind=KIND, target_id=str(year),
                 detail={"year": year, "requests_recounted": moved})
    db.commit()
