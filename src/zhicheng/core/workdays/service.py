"""Working days on the State Council's holiday schedule, the one place every domain asks (deadlines of share
requests, quality tasks, base-database conflicts): day 0 is the day something arrives, not counted.

Which days are working days: for a year whose schedule the admin entered (`core.workdays.schedule`, table
`exchange_holiday_day`), that schedule; else the `chinesecalendar` package's; else (a year nobody knows yet,
the schedule is published each November or December) Monday to Friday, and a deadline that runs through such a
year is provisional (暂定): `unscheduled_years` names the years. Pass `db` to every call so that the entered
schedule is used; without it only the package is asked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.workdays.models import HolidayDay, HolidayYear

WARN_AHEAD_DAYS = 45  # the admin is warned of next year's missing schedule this many days before it starts
_KEY = "zhicheng.workdays.schedule"


@dataclass(frozen=True)
class Schedule:
    """The schedules the admin entered: the years held, and for each listed date whether it is worked (调休 班)."""

    years: frozenset[int] = frozenset()
    days: dict[date, bool] = field(default_factory=dict)


PACKAGE_ONLY = Schedule()


def _load(db: Session) -> Schedule:
    years = frozenset(db.scalars(sa.select(HolidayYear.year)))
    days = {d: kind == "workday" for d, kind in db.execute(sa.select(HolidayDay.day, HolidayDay.kind))}
    return Schedule(years, days)


def schedule(db: Session | None) -> Schedule:
    """The entered schedules, read once per transaction of `db` (none without a session)."""
    if db is None:
        return PACKAGE_ONLY
    found = db.info.get(_KEY)
    if found is None:
        found = db.info[_KEY] = _load(db)
    return found


def forget(db: Session) -> None:
    """Drop the schedule read by `db` (after the admin changed it)."""
    db.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # a new transaction sees what the admin entered meanwhile
        session.info.pop(_KEY, None)


@lru_cache(maxsize=256)
def package_knows(year: int) -> bool:
    """Whether the installed chinesecalendar holds the State Council schedule of `year`."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def has_schedule(year: int, *, db: Session | None = None) -> bool:
    """Whether the platform knows the holidays of `year` (entered by the admin, or in the package)."""
    return year in schedule(db).years or package_knows(year)


def is_working_day(day: date, *, db: Session | None = None) -> bool:
    """A working day by the schedule in force (adjusted weekend working days included); Monday to Friday in a
    year without a schedule."""
    entered = schedule(db)
    if day.year in entered.years or day in entered.days:
        return entered.days.get(day, day.weekday() < 5)
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, days: int, *, db: Session | None = None) -> date:
    """The `days`-th working day after `start` (`start` itself is day 0, not counted)."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, db=db):
            left -= 1
    return day


def china_today(at: datetime | None = None) -> date:
    """Today's date in Beijing time."""
    return (at or clock.now()).astimezone(clock.LOCAL_TZ).date()


def working_days_between(start: date, end: date, *, db: Session | None = None) -> int:
    """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
    return sum(1 for i in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=i), db=db))


def working_days_left(due: date, at: datetime | None = None, *, db: Session | None = None) -> int:
    """Working days after today up to `due` (today is day 0: 0 on the due day itself); negative when overdue."""
    today = china_today(at)
    if today > due:
        return -working_days_between(due, today, db=db)
    return working_days_between(today, due, db=db)


def is_overdue(due: date, at: datetime | None = None) -> bool:
    """True once the due day has passed in Beijing time."""
    return china_today(at) > due


def unscheduled_years(start: date, end: date, *, db: Session | None = None) -> list[int]:
    """The years from `start` to `end` whose holidays nobody knows: a deadline counted through them is provisional."""
    return [y for y in range(start.year, end.year + 1) if not has_schedule(y, db=db)]


def missing_years(db: Session, at: datetime | None = None) -> list[int]:
    """Years the admin should enter now: this year, and next year within WARN_AHEAD_DAYS of its start."""
    today = china_today(at)
    return unscheduled_years(today, today + timedelta(days=WARN_AHEAD_DAYS), db=db)
