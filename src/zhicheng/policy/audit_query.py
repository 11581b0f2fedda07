"""Reading the audit log: filters, keyset pages newest first, and CSV export streamed in bounded memory."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid
from zhicheng.core.spreadsheet import safe_cell
from zhicheng.policy.audit import record
from zhicheng.policy.audit_labels import action_label
from zhicheng.policy.models import AuditEntry
from zhicheng.policy.service import Decision, Target, authorize, decide

CHINA_TZ = timezone(timedelta(hours=8), "北京时间")  # the platform's local time; China keeps no DST
OUTCOMES = ("ok", "denied", "failed", "error")
MAX_LIMIT = 500
MAX_SEQ = 2**63 - 1
EXPORT_BATCH = 1000


def as_utc(value: datetime | None) -> datetime | None:
    """A time the user gave: naive means Beijing time (what a Chinese clerk types); returned in UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA_TZ)
    return value.astimezone(UTC)


def local_time(value: datetime | None) -> str:
    """A stored time shown to people: Beijing time, to the second."""
    if value is None:
        return ""
    return clock.aware(value).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class AuditFilter:
    """What to look for: a time range, who, which action (or dotted prefix), which target, which outcome."""

    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None  # username, or a user id in digits
    action: str | None = None  # "catalog.resource" also matches "catalog.resource.read"
    target_kind: str | None = None
    target_id: str | None = None
    outcome: str | None = None

    def cleaned(self) -> AuditFilter:
        """Blank strings dropped, times in UTC; Invalid names the field at fault."""
        values: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, str):
                v = v.strip() or None
                if v is not None and len(v) > 128:
                    raise Invalid(f"{f.name} 过长（最多 128 个字符）", f"{f.name} is too long (at most 128 characters)",
                                  field=f.name)
            values[f.name] = v
        for name in ("since", "until"):
            try:
                values[name] = as_utc(values[name])
            except OverflowError:
                raise Invalid("时间超出可用范围", "the time is out of range", field=name) from None
        if values["since"] and values["until"] and values["since"] > values["until"]:
            raise Invalid("结束时间早于开始时间", "the end of the time range is before its start", field="until")
        if values["outcome"] and values["outcome"] not in OUTCOMES:
            raise Invalid(f"结果（outcome）只能是 {'、'.join(OUTCOMES)} 之一", f"outcome must be one of {', '.join(OUTCOMES)}",
                          field="outcome")
        return AuditFilter(**values)

    def as_params(self) -> dict[str, str]:
        """The non-empty filters as query parameters (times in ISO 8601)."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None:
                out[f.name] = v.isoformat() if isinstance(v, datetime) else str(v)
        return out


def open_log(db: Session, *, actor: Actor, action: str, ip: str | None = None,
             detail: dict[str, Any] | None = None) -> Decision:
    """Let `actor` read, export or verify the log only if policy allows; both answers are themselves audited."""
    target = Target("audit.log")
    decision = decide(actor, action, target)
    record(db, actor=actor, action=f"audit.log.{action}", target_kind="audit.log",
           outcome="ok" if decision.allowed else "denied", detail=detail, ip=ip)
    db.commit()
    return authorize(actor, action, target)


def filtered(filt: AuditFilter) -> Select:
    """The query of entries matching `filt` (already cleaned); every value is a bound parameter."""
    q = select(AuditEntry)
    if filt.since:
        q = q.where(AuditEntry.at >= filt.since)
    if filt.until:
        q = q.where(AuditEntry.at <= filt.until)
    if filt.actor:
        who = AuditEntry.actor_username == filt.actor
        if filt.actor.isdigit() and len(filt.actor) < 10:
            who = or_(who, AuditEntry.actor_user_id == int(filt.actor))
        q = q.where(who)
    if filt.action:
        q = q.where(or_(AuditEntry.action == filt.action,
                        AuditEntry.action.startswith(filt.action.rstrip(".") + ".", autoescape=True)))
    if filt.target_kind:
        q = q.where(AuditEntry.target_kind == filt.target_kind)
    if filt.target_id:
        q = q.where(AuditEntry.target_id == filt.target_id)
    if filt.outcome:
        q = q.where(AuditEntry.outcome == filt.outcome)
    return q


@dataclass
class AuditPage:
    """One page, newest first; `next_before` is the cursor of the next (older) page, None at the end."""

    items: list[AuditEntry]
    next_before: int | None


def search(db: Session, *, filt: AuditFilter, before: int | None = None, limit: int = 50) -> AuditPage:
    """Entries matching `filt`, newest first, `limit` at a time, older than seq `before` (keyset pagination)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"每页条数须在 1 到 {MAX_LIMIT} 之间", f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    q = filtered(filt.cleaned())
    if before is not None:
        q = q.where(AuditEntry.seq < before)
    rows = list(db.scalars(q.order_by(AuditEntry.seq.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(items=rows, next_before=rows[-1].seq if more and rows else None)


def get_entry(db: Session, seq: int) -> AuditEntry | None:
    """The entry at chain position `seq`, if it (still) exists."""
    return db.scalar(select(AuditEntry).where(AuditEntry.seq == seq))


def entry_dict(e: AuditEntry) -> dict[str, Any]:
    """An entry as plain JSON-able data (time in UTC ISO 8601 and in Beijing time)."""
    return {
        "seq": e.seq, "at": clock.aware(e.at).isoformat(), "at_local": local_time(e.at),
        "actor_kind": e.actor_kind, "actor_user_id": e.actor_user_id, "actor_username": e.actor_username,
        "actor_department_id": e.actor_department_id, "actor_department_code": e.actor_department_code,
        "action": e.action, "action_label": action_label(e.action, e.target_kind),
        "target_kind": e.target_kind, "target_id": e.target_id, "outcome": e.outcome,
        "detail": e.detail, "ip": e.ip, "prev_hash": e.prev_hash, "hash": e.hash,
    }


CSV_COLUMNS = [
    ("seq", "序号"), ("at", "时间（UTC）"), ("at_local", "北京时间"), ("actor_kind", "操作者类型"),
    ("actor_user_id", "用户ID"), ("actor_username", "用户名"), ("actor_department_code", "部门编码"),
    ("action", "操作"), ("target_kind", "对象类型"), ("target_id", "对象ID"), ("outcome", "结果"),
    ("detail", "详情"), ("ip", "IP 地址"), ("prev_hash", "前一哈希（SM3）"), ("hash", "哈希（SM3）"),
]


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will show, never execute (`core.spreadsheet`)."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else str(value)
    return safe_cell(text)


def export_csv(db: Session, *, filt: AuditFilter, lang: str = "zh-CN") -> Iterator[str]:
    """The matching entries as CSV text chunks, oldest first, with a BOM so that Excel reads the Chinese."""
    q = (filtered(filt.cleaned()).order_by(AuditEntry.seq)
         .execution_options(yield_per=EXPORT_BATCH))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([zh if not lang.startswith("en") else key for key, zh in CSV_COLUMNS])
    yield "\ufeff" + buf.getvalue()
    for entry in db.scalars(q):
        buf.seek(0)
        buf.truncate()
        d = entry_dict(entry)
        writer.writerow([_cell(d[key]) for key, _zh in CSV_COLUMNS])
        db.expunge(entry)
        yield buf.getvalue()
