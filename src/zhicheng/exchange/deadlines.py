"""Answer deadlines in working days on the Chinese holiday calendar (chinesecalendar), and overdue checks.

The providing department must answer a 有条件共享 request within a time limit: 10 working days in
国发〔2016〕51号《政务信息资源共享管理暂行办法》 and in most local rules (贵州 10; some cities ask 5 for data
already on the platform). Check it against 《政务数据共享条例》 (in force 2025-08-01) and the local rule;
ANSWER_WORKING_DAYS holds the figure. The day the request arrives is not counted; the answer is due by the end of the last working day,
Beijing time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from zhicheng.core import clock

ANSWER_WORKING_DAYS = 10
CHINA = ZoneInfo("Asia/Shanghai")


def is_working_day(day: date) -> bool:
    """A working day by the State Council's holiday arrangement (adjusted weekend working days included).

    For a year the package has no data for yet (the arrangement is published each November), Monday to
    Friday count as working days."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (`start` itself not counted)."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def china_today(at: datetime | None = None) -> date:
    """Today's date in Beijing time."""
    return (at or clock.now()).astimezone(CHINA).date()


def due_date(submitted_at: datetime) -> date:
    """The last day on which a request submitted at `submitted_at` may be answered."""
    return add_working_days(china_today(submitted_at), ANSWER_WORKING_DAYS)


def working_days_left(due: date, at: datetime | None = None) -> int:
    """Working days from today up to `due` (today counted when it is a working day); negative when overdue."""
    today = china_today(at)
    if today > due:
        return -sum(1 for i in range(1, (today - due).days + 1) if is_working_day(due + timedelta(days=i)))
    return sum(1 for i in range((due - today).days + 1) if is_working_day(today + timedelta(days=i)))


def is_overdue(due: date, at: datetime | None = None) -> bool:
    """True once the due day has passed in Beijing time."""
    return china_today(at) > due
