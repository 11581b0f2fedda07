"""The clock: one place to ask for 'now' (UTC, aware), so tests can move time; and the one time zone people see
(Asia/Shanghai): pages and API datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator

_offset = timedelta(0)


def now() -> datetime:
    """The current time, UTC, timezone-aware."""
    return datetime.now(UTC) + _offset


def advance(delta: timedelta) -> None:
    """Move the clock forward (tests only: expiry, lock-out, deadlines)."""
    global _offset
    _offset += delta


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def aware(dt: datetime | None) -> datetime | None:
    """Treat a naive datetime read back from SQLite as UTC."""
    if dt is None or dt.tzinfo is not None:
        return dt
    return dt.replace(tzinfo=UTC)


# -- the one time zone people see ---------------------------------------------------------------------------------

LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # 北京时间: every page shows it, every API datetime carries its offset


def local(dt: datetime) -> datetime:
    """`dt` in Beijing time (a naive value read back from SQLite is UTC)."""
    return aware(dt).astimezone(LOCAL_TZ)


# An API datetime: naive values are UTC; written in Beijing time with its offset (2026-12-07T10:00:00+08:00)
ApiDatetime = Annotated[datetime, AfterValidator(local)]
