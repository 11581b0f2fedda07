"""Tables of the holiday schedule the admin enters (放假安排): each year entered, and its days off and 调休 working days
(table names from when the schedule lived in exchange)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhicheng.core.clock import now
from zhicheng.core.db import Base


class HolidayYear(Base):
    """A year whose State Council schedule the platform holds: who entered it, when, from what source."""

    __tablename__ = "exchange_holiday_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str | None] = mapped_column(String(200))  # e.g. 国办发明电〔2026〕N号
    entered_by_name: Mapped[str | None] = mapped_column(String(100))
    entered_at: Mapped[datetime] = mapped_column(default=now)


class HolidayDay(Base):
    """One date of a year's schedule: a day off (holiday, 休) or an adjusted working day (workday, 班), named."""

    __tablename__ = "exchange_holiday_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)  # the schedule the day belongs to
    kind: Mapped[str] = mapped_column(String(8))  # holiday | workday
    name: Mapped[str] = mapped_column(String(50))  # 元旦, 春节, 春节调休 ...
