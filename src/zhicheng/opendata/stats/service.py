"""Usage statistics: views, downloads and API calls per resource per day, and the open-data KPIs.

Counts arrive as bus events "opendata.used" {resource_id, department_id, kind: api|download|view, rows}
(the portal publishes views and downloads, the APIs their calls) and are upserted into open_usage_daily.
"""

from __future__ import annotations

import contextvars
import logging
import weakref
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.errors import Invalid
from zhicheng.core.events import bus
from zhicheng.core.prepared import Prepared
from zhicheng.opendata.stats.models import UsageDaily

log = logging.getLogger(__name__)
EVENT = "opendata.used"
COLUMNS = {"view": "views", "download": "downloads", "api": "api_calls"}
CHINA = clock.LOCAL_TZ
TARGET_OPEN_RATE = 0.50
TARGET_COVERAGE = 0.90
MAX_DAYS = 366

# the session of the request being served (set by access.check_open_access), so an event counts in its database
current_db: contextvars.ContextVar[Session | None] = contextvars.ContextVar("opendata_db", default=None)
_latest_factory: weakref.ref | None = None


def today() -> date:
    return clock.now().astimezone(CHINA).date()


_BUMPS: dict[str, Prepared] = {}


def _bump(column: str) -> Prepared:
    """The counter's UPDATE for one kind, built once (every API call runs it); the values are bound."""
    stmt = _BUMPS.get(column)
    if stmt is None:
        t = UsageDaily.__table__
        stmt = _BUMPS[column] = Prepared(
            update(t)
            .where(t.c.resource_id == bindparam("b_resource"), t.c.day == bindparam("b_day"))
            .values({column: t.c[column] + bindparam("b_times"), "rows": t.c.rows + bindparam("b_rows")})
        )
    return stmt


def count(
    db: Session,
    *,
    resource_id: int,
    department_id: int,
    kind: str,
    rows: int = 0,
    day: date | None = None,
    times: int = 1,
) -> None:
    """Add `times` uses of `kind` (and `rows` rows) to the resource's counters of the day; commits."""
    column = COLUMNS.get(kind)
    if column is None:
        raise Invalid(f"未知的使用类型 {kind}", f"unknown usage kind {kind}", field="kind")
    day = day or today()
    rows = max(int(rows or 0), 0)
    times = max(int(times), 1)
    conn = db.connection()
    params = {"b_resource": resource_id, "b_day": day, "b_times": times, "b_rows": rows}
    if _bump(column).run(conn, params) == 0:
        try:
            with db.begin_nested():
                values = {c: 0 for c in COLUMNS.values()}
                values[column] = times
                db.add(
                    UsageDaily(
                        resource_id=resource_id, day=day, department_id=department_id, rows=rows, **values
                    )
                )
        except IntegrityError:  # another request made the row first
            _bump(column).run(db.connection(), params)
    db.commit()


def _on_used(_name: str, payload: dict[str, Any]) -> None:
    db = payload.get("db") or current_db.get()
    args = {
        "resource_id": int(payload["resource_id"]),
        "department_id": int(payload.get("department_id") or 0),
        "kind": payload.get("kind", "api"),
        "rows": int(payload.get("rows") or 0),
    }
    if db is not None:
        count(db, **args)
        return
    factory = _latest_factory() if _latest_factory else None
    if factory is None:
        log.warning("opendata.used without a database to count in: %s", args)
        return
    with factory() as session:
        count(session, **args)


def subscribe() -> None:
    """Listen to "opendata.used" (once, however often it is called)."""
    if _on_used not in bus._handlers.get(EVENT, []):
        bus.subscribe(EVENT, _on_used)


subscribe()  # at import, for the process: not an app's start-up handler, so an app's shutdown keeps it


def bind(factory) -> None:
    """The sessionmaker events are counted with when no request session is known (the app's, at start-up)."""
    global _latest_factory
    _latest_factory = weakref.ref(factory)
    subscribe()


def publish(db: Session, *, resource_id: int, department_id: int, kind: str, rows: int = 0) -> None:
    """Publish a use (the portal's views and downloads), counted in `db`."""
    token = current_db.set(db)
    try:
        bus.publish(
            EVENT, {"resource_id": resource_id, "department_id": department_id, "kind": kind, "rows": rows}
        )
    finally:
        current_db.reset(token)


subscribe()


# ---------------------------------------------------------------- reading


def _since(days: int) -> date:
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"天数须为 1–{MAX_DAYS}", f"days must be 1–{MAX_DAYS}", field="days")
    return today() - timedelta(days=days - 1)


def open_resource_ids(db: Session) -> list[int]:
    """The live published resources that are open (无条件/有条件开放): the only ones public statistics count."""
    from zhicheng.catalog import service as catalog

    return [rid for rid, _dept, snap in catalog.live_attributes(db)
            if (snap or {}).get("open_type") in ("unconditional", "conditional")]


def totals(db: Session, *, resource_id: int | None = None) -> dict[str, int]:
    """Views, downloads and API calls of one open resource, or of all of them."""
    q = select(
        func.coalesce(func.sum(UsageDaily.views), 0),
        func.coalesce(func.sum(UsageDaily.downloads), 0),
        func.coalesce(func.sum(UsageDaily.api_calls), 0),
    )
    q = q.where(UsageDaily.resource_id.in_(open_resource_ids(db)))
    if resource_id is not None:
        q = q.where(UsageDaily.resource_id == resource_id)
    v, d, a = db.execute(q).one()
    return {"views": int(v), "downloads": int(d), "api_calls": int(a)}


def daily(
    db: Session, *, days: int = 30, resource_id: int | None = None, department_id: int | None = None
) -> list[dict[str, Any]]:
    """Per-day sums over the last `days` days (every day present, zeros included)."""
    start = _since(days)
    q = (
        select(
            UsageDaily.day,
            func.sum(UsageDaily.views),
            func.sum(UsageDaily.downloads),
            func.sum(UsageDaily.api_calls),
        )
        .where(UsageDaily.day >= start, UsageDaily.resource_id.in_(open_resource_ids(db)))
        .group_by(UsageDaily.day)
    )
    if resource_id is not None:
        q = q.where(UsageDaily.resource_id == resource_id)
    if department_id is not None:
        q = q.where(UsageDaily.department_id == department_id)
    found = {d: (int(v or 0), int(dl or 0), int(a or 0)) for d, v, dl, a in db.execute(q).all()}
    out = []
    for i in range(days):
        day = start + timedelta(days=i)
        v, dl, a = found.get(day, (0, 0, 0))
        out.append({"day": day.isoformat(), "views": v, "downloads": dl, "api_calls": a})
    return out


def by_resource(db: Session, *, days: int = 30, limit: int = 20) -> list[dict[str, Any]]:
    """The most used resources over the last `days` days (views + downloads + API calls)."""
    from zhicheng.catalog import service as catalog

    start = _since(days)
    total = func.sum(UsageDaily.views + UsageDaily.downloads + UsageDaily.api_calls)
    q = (
        select(
            UsageDaily.resource_id,
            UsageDaily.department_id,
            func.sum(UsageDaily.views),
            func.sum(UsageDaily.downloads),
            func.sum(UsageDaily.api_calls),
            total.label("total"),
        )
        .where(UsageDaily.day >= start, UsageDaily.resource_id.in_(open_resource_ids(db)))
        .group_by(UsageDaily.resource_id, UsageDaily.department_id)
        .order_by(total.desc(), UsageDaily.resource_id)
    )
    rows = db.execute(q).all()
    names = catalog.names_of(db, [r[0] for r in rows])
    return [
        {
            "resource_id": rid,
            "name": names[rid],
            "department_id": dept,
            "views": int(v or 0),
            "downloads": int(d or 0),
            "api_calls": int(a or 0),
        }
        for rid, dept, v, d, a, _t in rows
        if rid in names
    ][:limit]


def by_department(db: Session, *, days: int = 30) -> list[dict[str, Any]]:
    from zhicheng.accounts import service as accounts

    start = _since(days)
    total = func.sum(UsageDaily.views + UsageDaily.downloads + UsageDaily.api_calls)
    q = (
        select(
            UsageDaily.department_id,
            func.sum(UsageDaily.views),
            func.sum(UsageDaily.downloads),
            func.sum(UsageDaily.api_calls),
            total.label("total"),
        )
        .where(UsageDaily.day >= start, UsageDaily.resource_id.in_(open_resource_ids(db)))
        .group_by(UsageDaily.department_id)
        .order_by(total.desc(), UsageDaily.department_id)
    )
    names = {d.id: d.name for d in accounts.list_departments(db)}
    return [
        {
            "department_id": dept,
            "name": names[dept],
            "views": int(v or 0),
            "downloads": int(d or 0),
            "api_calls": int(a or 0),
        }
        for dept, v, d, a, _t in db.execute(q)
        if dept in names
    ]


def kpis(db: Session) -> dict[str, Any]:
    """Open rate (open resources / catalogued) and open-unit coverage (departments with an open resource /
    departments with resources), over live published resources, with their targets."""
    from zhicheng.catalog import service as catalog

    catalogued = opened = 0
    depts: set[int] = set()
    open_depts: set[int] = set()
    for _rid, dept, snap in catalog.live_attributes(db):
        catalogued += 1
        depts.add(dept)
        if (snap or {}).get("open_type") in ("unconditional", "conditional"):
            opened += 1
            open_depts.add(dept)
    rate = opened / catalogued if catalogued else 0.0
    coverage = len(open_depts) / len(depts) if depts else 0.0
    return {
        "catalogued": catalogued,
        "open": opened,
        "open_rate": round(rate, 4),
        "open_rate_target": TARGET_OPEN_RATE,
        "open_rate_met": rate >= TARGET_OPEN_RATE,
        "departments": len(depts),
        "open_departments": len(open_depts),
        "coverage": round(coverage, 4),
        "coverage_target": TARGET_COVERAGE,
        "coverage_met": coverage >= TARGET_COVERAGE,
    }
