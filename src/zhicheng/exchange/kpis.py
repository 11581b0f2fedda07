"""The sharing KPIs (共享考核指标) and usage metering per grant (calls and rows per day, from the audit log)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhicheng.catalog import search as catalog_search
from zhicheng.catalog import service as catalog
from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.db import get_or_404
from zhicheng.core.errors import AppError, Invalid
from zhicheng.core.workdays.service import china_today, working_days_between
from zhicheng.exchange.grants import grant_target
from zhicheng.exchange.models import Grant, ShareRequest
from zhicheng.policy.audit_query import AuditFilter, filtered
from zhicheng.policy.rules import KIND_NAMES, add_rule, admin, leader
from zhicheng.policy.service import Target, authorize

KIND = "exchange.kpi"
SHARING_TARGET = 0.70  # the plans: more than 70 % of catalogued resources shared
SHARED_TYPES = ("unconditional", "conditional")
TOP = 5
DELIVERY_ACTIONS = ("exchange.delivery", "exchange.export")  # what the delivery part audits per call
MAX_USAGE_DAYS = 366

add_rule(KIND, "read", "admin", admin)
add_rule(KIND, "read", "leader", leader)
KIND_NAMES[KIND] = ("共享考核指标", "sharing KPIs")


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def sharing(db: Session, *, actor: Actor) -> dict[str, Any]:
    """Published resources, how many are shared (无条件/有条件), the rate, and the departments sharing least."""
    # count the live catalog (what every department sees), not an admin's working copies under revision
    actor = replace(actor, roles=frozenset(), department_id=None, department_code=None)
    published = catalog_search.search(db, actor=actor, filters={"state": ["published"]}, size=1)
    shared = catalog_search.search(db, actor=actor, filters={"state": ["published"],
                                                               "share_type": list(SHARED_TYPES)}, size=1)
    by_type = {f["value"]: f["count"] for f in published.facets.get("share_type", [])}
    shared_by_dept = {f["value"]: f["count"] for f in shared.facets.get("department", [])}
    departments = []
    for f in published.facets.get("department", []):
        n_shared = shared_by_dept.get(f["value"], 0)
        departments.append({"department_id": f["value"], "name": f["label"], "name_en": f["label_en"],
                            "resources": f["count"], "shared": n_shared, "rate": _ratio(n_shared, f["count"])})
    departments.sort(key=lambda d: (d["rate"] if d["rate"] is not None else 1.0, d["shared"], -d["resources"],
                                    d["department_id"]))
    total, n_shared = published.total, shared.total
    rate = _ratio(n_shared, total)
    return {"catalogued": total, "shared": n_shared, "by_share_type": {t: by_type.get(t, 0) for t in
                                                                       (*SHARED_TYPES, "none")},
            "rate": rate, "target": SHARING_TARGET, "meets_target": rate is not None and rate > SHARING_TARGET,
            "least_sharing_departments": departments[:TOP]}


def requests(db: Session) -> dict[str, Any]:
    """Requests answered, answered on time, overdue without answer, and mean turnaround in working days."""
    today = china_today()
    answered = on_time = 0
    turnaround: list[int] = []
    rows = db.execute(select(ShareRequest.submitted_at, ShareRequest.decided_at, ShareRequest.due_date,
                             ShareRequest.state)).all()
    overdue = sum(1 for r in rows if r.decided_at is None and r.state == "pending" and today > r.due_date)
    for r in rows:
        if r.decided_at is None:
            continue
        answered += 1
        decided = china_today(clock.aware(r.decided_at))
        on_time += decided <= r.due_date
        turnaround.append(working_days_between(china_today(clock.aware(r.submitted_at)), decided, db=db))
    due = answered + overdue
    return {"total": len(rows), "answered": answered, "answered_on_time": on_time, "overdue_unanswered": overdue,
            "on_time_rate": _ratio(on_time, due),
            "mean_turnaround_working_days": round(sum(turnaround) / len(turnaround), 2) if turnaround else None}


def most_used(db: Session) -> list[dict[str, Any]]:
    """The resources delivered most (calls, then rows) over all grants."""
    rows = db.execute(select(Grant.resource_id, func.sum(Grant.use_count).label("calls"),
                             func.sum(Grant.rows_delivered).label("rows"), func.count(Grant.id).label("grants"))
                      .group_by(Grant.resource_id)
                      .order_by(func.sum(Grant.use_count).desc(), func.sum(Grant.rows_delivered).desc(),
                                Grant.resource_id)
                      .limit(TOP)).all()
    out = []
    for r in rows:
        if not r.calls:
            continue
        try:
            res = catalog.get_resource(db, r.resource_id)
            name, code = res.name, res.code
        except AppError:
            name, code = str(r.resource_id), None
        out.append({"resource_id": r.resource_id, "name": name, "code": code, "calls": int(r.calls),
                    "rows": int(r.rows or 0), "grants": int(r.grants)})
    return out


def compute(db: Session, *, actor: Actor) -> dict[str, Any]:
    """Every sharing KPI, for the platform admin (or a leader)."""
    authorize(actor, "read", Target(KIND))
    return {"as_of": china_today().isoformat(), "sharing": sharing(db, actor=actor), "requests": requests(db),
            "most_used_resources": most_used(db)}


def grant_usage(db: Session, *, actor: Actor, grant_id: int, days: int = 30) -> dict[str, Any]:
    """Calls and rows delivered under a grant, per Beijing day over the last `days`, metered from the audit log."""
    grant = get_or_404(db, Grant, grant_id, "共享授权", "grant")
    authorize(actor, "read", grant_target(grant))
    if not 1 <= days <= MAX_USAGE_DAYS:
        raise Invalid(f"days 须在 1 至 {MAX_USAGE_DAYS} 之间", f"days must be between 1 and {MAX_USAGE_DAYS}",
                      field="days")
    first = china_today() - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, clock.LOCAL_TZ)
    per_day: dict[str, dict[str, int]] = {}
    totals = {"calls": 0, "rows": 0, "masked_calls": 0}
    for action in DELIVERY_ACTIONS:
        query = filtered(AuditFilter(since=since, action=action, target_kind="exchange.grant",
                                     target_id=str(grant.id), outcome="ok").cleaned())
        for entry in db.scalars(query.execution_options(yield_per=1000)):
            day = clock.aware(entry.at).astimezone(clock.LOCAL_TZ).date().isoformat()
            rows = int((entry.detail or {}).get("rows") or 0)
            bucket = per_day.setdefault(day, {"calls": 0, "rows": 0})
            bucket["calls"] += 1
            bucket["rows"] += rows
            totals["calls"] += 1
            totals["rows"] += rows
            totals["masked_calls"] += bool((entry.detail or {}).get("masked"))
    return {"grant_id": grant.id, "resource_id": grant.resource_id, "since": first.isoformat(), **totals,
            "all_time": {"calls": grant.use_count or 0, "rows": int(grant.rows_delivered or 0)},
            "days": [{"day": d, **v} for d, v in sorted(per_day.items())]}
