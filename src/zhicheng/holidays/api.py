"""Holiday schedule API (放假安排): the years entered and missing, one year's days, enter or remove a year."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from fastapi import Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from zhicheng.accounts.deps import csrf_protect, require_user
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid
from zhicheng.core.workdays import schedule
from zhicheng.holidays import flows, service
from zhicheng.web.deps import get_db
from zhicheng.web.routing import APIRouter

router = APIRouter(prefix="/api/v1/exchange/holidays", tags=["exchange holidays 放假安排"])
YEAR = Path(ge=schedule.MIN_YEAR, le=schedule.MAX_YEAR)


class DayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: date
    kind: Literal["holiday", "workday"] = Field(description="holiday 休（放假）或 workday 班（调休上班）")
    name: str = Field(min_length=1, max_length=schedule.MAX_NAME, description="如 元旦、春节、春节调休")


class YearIn(BaseModel):
    """A year's schedule: the days as data, or the lines the page accepts (`2027-01-01 元旦 休`), not both."""

    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(default=None, max_length=200, description="依据，如 国办发明电〔2026〕N号")
    days: list[DayIn] | None = Field(default=None, max_length=schedule.MAX_LINES)
    lines: str | None = Field(default=None, max_length=schedule.MAX_BYTES)


class DayOut(BaseModel):
    date: date
    kind: str
    name: str


class YearOut(BaseModel):
    year: int
    source: str | None
    entered_by_name: str | None
    entered_at: datetime
    days: list[DayOut]


class YearSummary(BaseModel):
    year: int
    source: str | None
    entered_by_name: str | None
    entered_at: datetime
    holidays: int
    workdays: int


class Overview(BaseModel):
    entered: list[YearSummary]
    package_years: list[int] = Field(description="chinesecalendar 软件包自带放假安排的年份")
    missing_years: list[int] = Field(description="当前需要而平台没有放假安排的年份：期限按周末计算，标为暂定")


@router.get("", response_model=Overview)
def overview(db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """已录入的放假安排、软件包自带的年份、缺少安排的年份 / entered schedules and the years missing."""
    return service.overview(db, actor=actor)


@router.get("/{year}", response_model=YearOut)
def read_year(year: int = YEAR, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """一年的放假安排（逐日）/ one year's schedule, date by date."""
    return service.read_year(db, actor=actor, year=year)


@router.put("/{year}", response_model=YearOut, dependencies=[Depends(csrf_protect)])
def enter_year(body: YearIn, year: int = YEAR, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """录入或替换一年的放假安排（平台管理员，记入审计）/ enter or replace a year's schedule (admin, audited)."""
    if (body.days is None) == (body.lines is None):
        raise Invalid("请给出 days 或 lines 之一", "give either days or lines", field="days")
    if body.days is not None:
        entries = [schedule.Entry(d.date, d.kind, d.name.strip()) for d in body.days]
        if len({e.day for e in entries}) != len(entries):
            raise Invalid("同一日期出现了两次", "a date is given twice", field="days")
    else:
        entries = schedule.parse_lines(body.lines or "")
    flows.enter_year(db, actor=actor, year=year, entries=entries, source=body.source)
    return service.read_year(db, actor=actor, year=year)


@router.delete("/{year}", status_code=204, dependencies=[Depends(csrf_protect)])
def delete_year(year: int = YEAR, db: Session = Depends(get_db), actor: Actor = Depends(require_user)):
    """删除一年已录入的放假安排（平台管理员，记入审计）/ remove a year's entered schedule (admin, audited)."""
    flows.delete_year(db, actor=actor, year=year)
    return Response(status_code=204)
