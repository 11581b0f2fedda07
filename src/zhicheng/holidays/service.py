"""Reading the holiday schedule under policy (kind `exchange.holidays`: read by every signed-in user, entered by the
admin); the schedule itself and the working days are core's (`core.workdays`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhicheng.core.actor import Actor
from zhicheng.core.errors import Forbidden
from zhicheng.core.workdays import schedule
from zhicheng.policy import audit
from zhicheng.policy.rules import KIND_NAMES
from zhicheng.policy.service import Target, authorize

KIND = "exchange.holidays"  # the policy kind and audit actions keep the name they were given in exchange
KIND_NAMES[KIND] = ("放假安排", "holiday schedule")  # its rules are in policy.rules: read by all, edited by the admin


def target() -> Target:
    return Target(KIND)


def authorize_edit(db: Session, actor: Actor) -> None:
    """Forbidden unless `actor` may enter or delete a schedule; a refusal is audited (committed), then raised."""
    try:
        authorize(actor, "update", target())
    except Forbidden:
        db.rollback()
        audit.record(db, actor=actor, action=f"{KIND}.update", target_kind=KIND, outcome="denied")
        db.commit()
        raise


def overview(db: Session, *, actor: Actor) -> dict[str, Any]:
    """The entered years, the years the package knows, and the years missing now (the admin's warning)."""
    authorize(actor, "read", target())
    return schedule.overview(db)


def read_year(db: Session, *, actor: Actor, year: int) -> dict[str, Any]:
    """One entered year's schedule, date by date."""
    authorize(actor, "read", target())
    return schedule.read_year(db, year=year)
