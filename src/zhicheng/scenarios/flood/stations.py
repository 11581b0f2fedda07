"""The flood scenario's stations as an actor may see them: the readable devices of one type, with position and
datastreams (read through the IoT domain's service, never its tables), and the instant a report is for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid
from zhicheng.iot import rollups, service

REACH = timedelta(days=2)  # how far before (24 h windows) and after (charts) an instant the reports look
MAX_STATIONS = 2_000  # a report names at most this many stations of a type (the rest: ask by department)


@dataclass
class Station:
    """One readable device of a flood device type."""

    thing: Any  # the device (iot.service's Thing)
    position: list[float] | None  # [lon, lat], CGCS2000
    streams: dict[str, Any]  # its datastreams by key

    def head(self) -> dict:
        """What every report says of a station."""
        t = self.thing
        interval = min((d.sampling_interval for d in self.streams.values()), default=None)
        return {"id": t.id, "code": t.code, "name": t.name, "department_id": t.department_id,
                "description": t.description or "", "open": t.open, "position": self.position,
                "online": service.is_online(t.last_seen, interval),
                "last_seen": clock.local(t.last_seen) if t.last_seen else None}


def stations(db: Session, *, actor: Actor, device_type: str, department_id: int | None = None) -> list[Station]:
    """The devices of `device_type` the actor may read (the IoT domain's visibility rule), by code."""
    page, _total = service.find_devices(db, actor=actor, department_id=department_id, device_type=device_type,
                                        limit=MAX_STATIONS)
    things = [t for t, _interval in page]
    ids = [t.id for t in things]
    positions, streams = service.positions_of(db, ids), service.datastreams_by_thing(db, ids)
    return [Station(t, positions.get(t.id), {d.key: d for d in streams[t.id]}) for t in things]


def latest_and_recent(db: Session, *, actor: Actor, datastream_ids: list[int], end: datetime, recent: timedelta,
                      latest_within: timedelta) -> dict[int, list[tuple[datetime, float]]]:
    """Each datastream's observations of the last `recent` before `end` (for a trend), or, when it has none there,
    its one latest observation within `latest_within` (for the current value); oldest first."""
    found = rollups.recent(db, actor=actor, datastream_ids=datastream_ids, start=end - recent, end=end)
    quiet = [i for i in datastream_ids if not found.get(i)]
    if quiet:
        found.update(rollups.recent(db, actor=actor, datastream_ids=quiet, start=end - latest_within, end=end,
                                    limit=1))
    return found


def instant(value: str | datetime | None) -> datetime:
    """The report's instant: now, or an ISO 8601 time (without offset: Beijing time), as UTC; Invalid naming `at`."""
    if value is None or value == "":
        return clock.now()
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(value.strip().replace(" ", "+") if "T" in value else value.strip())
        except ValueError:
            raise Invalid("at 须为 ISO 8601 时间，如 2026-07-01T08:00", "at must be an ISO 8601 time such as "
                          "2026-07-01T08:00", field="at") from None
    try:
        at = (at if at.tzinfo else at.replace(tzinfo=clock.LOCAL_TZ)).astimezone(UTC)
        at - REACH, at + REACH  # noqa: B018 — the windows around it must be representable too
        return at
    except OverflowError:
        raise Invalid("at 超出范围", "at is out of range", field="at") from None
