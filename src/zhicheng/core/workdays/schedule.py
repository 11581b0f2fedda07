"""The holiday schedule entered each year (国务院办公厅放假安排): parse, check, store, read, delete; no HTTP, no policy.

A year's schedule is its days off (休) and its adjusted working days (调休上班, 班), each with a name. Once entered it
is used before the chinesecalendar package's (`core.workdays.service`). Who may enter it, the audit and the
recounting of other domains' deadlines are the holidays domain's doors (`zhicheng.holidays`)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.text import decode_upload
from zhicheng.core.workdays import service as workdays
from zhicheng.core.workdays.models import HolidayDay, HolidayYear

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_LINES = 400
MAX_BYTES = 64 * 1024
MAX_RANGE_DAYS = 31
MAX_NAME = 50
# 休 / 班 as the State Council writes them; the English words for scripts
KINDS = {"休": "holiday", "假": "holiday", "holiday": "holiday", "off": "holiday",
         "班": "workday", "上班": "workday", "workday": "workday", "work": "workday"}
_SPLIT = re.compile(r"[\s,，\t]+")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:(?:~|～|\.\.)(\d{4}-\d{2}-\d{2}))?$")


@dataclass(frozen=True)
class Entry:
    """One date of a schedule: holiday (休) or workday (调休 班), with its name."""

    day: date
    kind: str
    name: str


# -- reading what the admin typed or uploaded ----------------------------------------------------------------

def _bad(line_no: int, zh: str, en: str) -> Invalid:
    return Invalid(f"第 {line_no} 行：{zh}", f"line {line_no}: {en}", field="lines")


def _dates(text: str, line_no: int) -> list[date]:
    m = _RANGE.match(text)
    if not m:
        raise _bad(line_no, f"日期 {text[:30]!r} 应写作 YYYY-MM-DD 或 YYYY-MM-DD~YYYY-MM-DD",
                   f"the date {text[:30]!r} is written YYYY-MM-DD or YYYY-MM-DD~YYYY-MM-DD")
    try:
        first = date.fromisoformat(m[1])
        last = date.fromisoformat(m[2]) if m[2] else first
    except ValueError as exc:
        raise _bad(line_no, f"没有这一天：{text[:30]}", f"no such day: {text[:30]}") from exc
    if not 0 <= (last - first).days < MAX_RANGE_DAYS:
        raise _bad(line_no, f"日期范围须向后且不超过 {MAX_RANGE_DAYS} 天", f"a range runs forward, {MAX_RANGE_DAYS} days at most")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def parse_lines(text: str) -> list[Entry]:
    """Lines `2027-01-01 元旦 休` / `2027-02-07 春节调休 班` (also `2027-02-10~2027-02-16 春节 休`, commas, or
    CSV `date,name,kind` with or without that header) as entries; Invalid naming the first bad line."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise Invalid(f"放假安排最多 {MAX_BYTES // 1024} KB", f"a schedule is {MAX_BYTES // 1024} KB at most",
                      field="lines")
    text = text.lstrip("\ufeff")
    out: list[Entry] = []
    seen: dict[date, int] = {}
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, line) for n, line in lines if line and not line.startswith("#")]
    if len(lines) > MAX_LINES:
        raise Invalid(f"放假安排最多 {MAX_LINES} 行", f"a schedule has {MAX_LINES} lines at most", field="lines")
    for n, line in lines:
        parts = [p for p in _SPLIT.split(line) if p]
        if n == lines[0][0] and parts and parts[0].lower() in ("date", "日期"):
            continue  # a CSV header
        if len(parts) != 3:
            raise _bad(n, "每行写：日期 名称 休/班（如 2027-01-01 元旦 休）",
                       "each line is: date name 休/班 (e.g. 2027-01-01 元旦 休)")
        when, name, word = parts
        kind = KINDS.get(word.lower())
        if kind is None:
            raise _bad(n, f"{word[:10]!r} 应为 休 或 班", f"{word[:10]!r} must be 休 (day off) or 班 (working day)")
        if len(name) > MAX_NAME:
            raise _bad(n, f"名称最多 {MAX_NAME} 字", f"a name is {MAX_NAME} characters at most")
        for day in _dates(when, n):
            if day in seen:
                raise _bad(n, f"{day.isoformat()} 已在第 {seen[day]} 行", f"{day.isoformat()} is already on line {seen[day]}")
            seen[day] = n
            out.append(Entry(day, kind, name))
    return out


def parse_upload(data: bytes) -> list[Entry]:
    """An uploaded file (UTF-8 text or CSV, GB18030 accepted) as entries."""
    text = decode_upload(data, max_bytes=MAX_BYTES)
    rows = csv.reader(io.StringIO(text))
    return parse_lines("\n".join(" ".join(c.strip() for c in row) for row in rows))


# -- storing -------------------------------------------------------------------------------------------------

def check_year(year: int) -> int:
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise Invalid(f"年份须在 {MIN_YEAR} 至 {MAX_YEAR} 之间", f"the year must be {MIN_YEAR} to {MAX_YEAR}",
                      field="year")
    return year


def _check_days(db: Session, year: int, entries: list[Entry]) -> None:
    first, last = date(year - 1, 12, 1), date(year, 12, 31)  # a New Year arrangement may begin in December
    for e in entries:
        if not e.name or len(e.name) > MAX_NAME or not e.name.isprintable():
            raise Invalid(f"{e.day.isoformat()} 的名称须为 1 至 {MAX_NAME} 个可见字符",
                          f"the name of {e.day.isoformat()} must be 1 to {MAX_NAME} visible characters", field="lines")
        if not first <= e.day <= last:
            raise Invalid(f"{e.day.isoformat()} 不属于 {year} 年的放假安排", f"{e.day.isoformat()} is not in the "
                          f"{year} schedule", field="lines")
    taken = {d: y for d, y in db.execute(select(HolidayDay.day, HolidayDay.year)
                                         .where(HolidayDay.day.in_([e.day for e in entries]),
                                                HolidayDay.year != year))}
    if taken:
        day = min(taken)
        raise Invalid(f"{day.isoformat()} 已在 {taken[day]} 年的放假安排中", f"{day.isoformat()} is already in the "
                      f"{taken[day]} schedule", field="lines")


def store_year(db: Session, *, year: int, entries: list[Entry], source: str | None = None,
               entered_by: str | None = None) -> tuple[HolidayYear, bool]:
    """Check and store (or replace) the schedule of `year` in the caller's transaction (flushed, not committed);
    the row and whether it replaced one. The schedule `db` read is dropped, so the next question sees the new one."""
    year = check_year(year)
    if not entries:
        raise Invalid("放假安排为空：至少写一行（如 2027-01-01 元旦 休）",
                      "the schedule is empty: write at least one line (e.g. 2027-01-01 元旦 休)", field="lines")
    _check_days(db, year, entries)
    source = (source or "").strip()[:200] or None
    if source is not None and not source.isprintable():
        raise Invalid("依据不能含控制字符", "the source must not hold control characters", field="source")
    replaced = db.get(HolidayYear, year) is not None
    db.execute(delete(HolidayDay).where(HolidayDay.year == year))
    row = db.get(HolidayYear, year) or HolidayYear(year=year)
    row.source, row.entered_by_name, row.entered_at = source, entered_by, clock.now()
    db.add(row)
    db.add_all(HolidayDay(day=e.day, year=year, kind=e.kind, name=e.name) for e in entries)
    db.flush()
    workdays.forget(db)
    return row, replaced


def remove_year(db: Session, *, year: int) -> None:
    """Remove an entered schedule (the package's, or weekends only, apply again) in the caller's transaction."""
    row = db.get(HolidayYear, check_year(year))
    if row is None:
        raise NotFound(f"没有 {year} 年的放假安排", f"no schedule for {year}", field="year")
    db.execute(delete(HolidayDay).where(HolidayDay.year == year))
    db.delete(row)
    db.flush()
    workdays.forget(db)


# -- reading -------------------------------------------------------------------------------------------------

def overview(db: Session) -> dict[str, Any]:
    """The entered years, the years the package knows, and the years missing now (the admin's warning)."""
    entered = []
    for row in db.scalars(select(HolidayYear).order_by(HolidayYear.year.desc())):
        counts = {"holiday": 0, "workday": 0}
        for kind in db.scalars(select(HolidayDay.kind).where(HolidayDay.year == row.year)):
            counts[kind] = counts.get(kind, 0) + 1
        entered.append({"year": row.year, "source": row.source, "entered_by_name": row.entered_by_name,
                        "entered_at": clock.aware(row.entered_at), "holidays": counts["holiday"],
                        "workdays": counts["workday"]})
    this_year = workdays.china_today().year
    package = [y for y in range(this_year - 5, this_year + 3) if workdays.package_knows(y)]
    return {"entered": entered, "package_years": package, "missing_years": workdays.missing_years(db)}


def read_year(db: Session, *, year: int) -> dict[str, Any]:
    """One entered year's schedule, date by date."""
    row = db.get(HolidayYear, check_year(year))
    if row is None:
        raise NotFound(f"没有 {year} 年的放假安排", f"no schedule for {year}", field="year")
    days = db.scalars(select(HolidayDay).where(HolidayDay.year == year).order_by(HolidayDay.day))
    return {"year": row.year, "source": row.source, "entered_by_name": row.entered_by_name,
            "entered_at": clock.aware(row.entered_at),
            "days": [{"date": d.day, "kind": d.kind, "name": d.name} for d in days]}


def as_lines(view: dict[str, Any]) -> str:
    """A year's days in the form the admin pastes (to edit and enter again)."""
    word = {"holiday": "休", "workday": "班"}
    return "\n".join(f"{d['date'].isoformat()} {d['name']} {word[d['kind']]}" for d in view["days"])
