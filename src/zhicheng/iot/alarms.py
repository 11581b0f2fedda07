"""Alarms' lifecycle: raised → acknowledged → cleared → closed, one open alarm per rule × source (repeats counted),
each transition in the history and published on the event bus (`iot.alarm.raised`, … once committed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhicheng.core import clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Conflict, Invalid, NotFound
from zhicheng.core.events import bus, database_of
from zhicheng.iot.models import Alarm, AlarmHistory, Thing
from zhicheng.policy import audit
from zhicheng.policy.rules import KIND_NAMES, add_rule, admin, member_of_target_department
from zhicheng.policy.service import Target, across_departments, authorize_audited

ALARM = "iot.alarm"
STATES = ("raised", "acknowledged", "cleared", "closed")
OPEN_STATES = ("raised", "acknowledged", "cleared")
STATE_NAMES = {"raised": ("已触发", "raised"), "acknowledged": ("已确认", "acknowledged"),
               "cleared": ("已恢复", "cleared"), "closed": ("已关闭", "closed")}
# action -> (states it may start from, state it leads to)
TRANSITIONS = {"acknowledge": (("raised",), "acknowledged"), "clear": (("raised", "acknowledged"), "cleared"),
               "close": (OPEN_STATES, "closed")}
EVENTS = ("iot.alarm.raised", "iot.alarm.repeated", "iot.alarm.acknowledged", "iot.alarm.cleared",
          "iot.alarm.closed")
ENGINE = "规则引擎"  # who the history names for a transition made by the rules
MAX_COMMENT = 2000
_PENDING = "iot_alarm_events"

# a department's staff see and handle its devices' alarms; the admin all
for _action in ("read", "update"):
    add_rule(ALARM, _action, "admin", admin)
    add_rule(ALARM, _action, "member of the department", member_of_target_department)
KIND_NAMES[ALARM] = ("告警", "alarm")


def open_key(rule_id: int, source: str) -> str:
    return f"{rule_id}:{source}"


def visible(actor: Actor) -> ColumnElement[bool]:
    """The condition on Alarm of what `actor` may see: its department's devices' alarms (the admin: all)."""
    if actor.is_authenticated and across_departments(actor, "read", ALARM):
        return true()
    if actor.is_authenticated and actor.department_id:
        return Alarm.department_id == actor.department_id
    return Alarm.id.is_(None)


def may_see(actor: Actor, department_id: int | None) -> bool:
    """Whether `actor` sees the alarms of `department_id` (for the live stream's filter)."""
    if actor.is_authenticated and across_departments(actor, "read", ALARM):
        return True
    return bool(actor.is_authenticated and actor.department_id and actor.department_id == department_id)


def _when(value: Any) -> Any:
    """A datetime in Beijing time with its offset (a naive one read back from SQLite is UTC); anything else as is."""
    return clock.local(value) if isinstance(value, datetime) else value


def as_dict(alarm: Alarm, thing: Thing | None = None) -> dict[str, Any]:
    """An alarm as the API, the pages and the bus show it."""
    out = {c: _when(getattr(alarm, c)) for c in (
        "id", "rule_id", "rule_name", "severity", "state", "source", "thing_id", "datastream_id", "department_id",
        "value", "message", "count", "raised_at", "last_raised_at", "acknowledged_at", "cleared_at", "closed_at",
        "updated_at")}
    if thing is not None:
        out.update(thing_code=thing.code, thing_name=thing.name)
    return out


def _queue(db: Session, action: str, alarm: Alarm, *, actor: str, comment: str = "") -> None:
    """Keep the fact until the commit (`publish_pending`): a rolled-back transition is never announced."""
    thing = db.get(Thing, alarm.thing_id)
    payload = {"alarm_id": alarm.id, "rule_id": alarm.rule_id, "rule": alarm.rule_name, "severity": alarm.severity,
               "state": alarm.state, "thing_id": alarm.thing_id, "thing": thing.code if thing else None,
               "thing_name": thing.name if thing else None, "datastream_id": alarm.datastream_id,
               "department_id": alarm.department_id, "value": alarm.value, "count": alarm.count,
               "message": alarm.message, "actor": actor, "comment": comment,
               "at": clock.local(alarm.updated_at).isoformat(), "database": database_of(db)}
    db.info.setdefault(_PENDING, []).append((f"iot.alarm.{action}", payload))


def publish_pending(db: Session) -> None:
    """Publish the transitions of the transaction just committed."""
    for name, payload in db.info.pop(_PENDING, []):
        bus.publish(name, payload)


def discard_pending(db: Session) -> None:
    """Forget the transitions of a transaction rolled back."""
    db.info.pop(_PENDING, None)


def _history(db: Session, alarm: Alarm, action: str, before: str | None, *, actor: Actor | None, comment: str = "",
             at: datetime) -> None:
    db.add(AlarmHistory(alarm_id=alarm.id, action=action, from_state=before, to_state=alarm.state,
                        actor_id=actor.user_id if actor else None,
                        actor_name=(actor.display_name or actor.username or actor.kind) if actor else ENGINE,
                        comment=comment, value=alarm.value, at=at))


def _open(db: Session, key: str) -> Alarm | None:
    return db.scalar(select(Alarm).where(Alarm.open_key == key).with_for_update())


def trigger(db: Session, *, rule: Any, source: str, thing_id: int, datastream_id: int | None, department_id: int,
            value: float | None, message: str) -> Alarm:
    """The rule's condition began on `source`: raise an alarm, or count a repeat on the one open (a cleared one is
    raised again). In the caller's transaction; announced after its commit."""
    now = clock.now()
    key = open_key(rule.id, source)
    alarm = _open(db, key)
    if alarm is None:
        try:
            with db.begin_nested():  # another process may raise the same alarm at this moment: one wins
                alarm = Alarm(rule_id=rule.id, rule_name=rule.name, severity=rule.severity, state="raised",
                              source=source, open_key=key, thing_id=thing_id, datastream_id=datastream_id,
                              department_id=department_id, value=value, message=message, count=1, raised_at=now,
                              last_raised_at=now, updated_at=now)
                db.add(alarm)
                db.flush()
            _history(db, alarm, "raised", None, actor=None, at=now)
            _queue(db, "raised", alarm, actor=ENGINE)
            return alarm
        except IntegrityError:
            alarm = _open(db, key)
            if alarm is None:
                raise
    before = alarm.state
    alarm.count += 1
    alarm.value, alarm.message, alarm.last_raised_at, alarm.updated_at = value, message, now, now
    alarm.severity = rule.severity
    if before == "cleared":
        alarm.state, alarm.cleared_at = "raised", None
        _history(db, alarm, "raised", before, actor=None, at=now)
        _queue(db, "raised", alarm, actor=ENGINE)
    else:
        _queue(db, "repeated", alarm, actor=ENGINE)
    return alarm


def auto_clear(db: Session, *, rule_id: int, source: str, value: float | None) -> Alarm | None:
    """The rule's condition ended on `source`: its raised or acknowledged alarm is cleared (by the rule engine)."""
    alarm = _open(db, open_key(rule_id, source))
    if alarm is None or alarm.state not in ("raised", "acknowledged"):
        return None
    now = clock.now()
    before = alarm.state
    alarm.state, alarm.cleared_at, alarm.updated_at = "cleared", now, now
    if value is not None:
        alarm.value = value
    _history(db, alarm, "cleared", before, actor=None, at=now)
    _queue(db, "cleared", alarm, actor=ENGINE)
    return alarm


def _target(alarm: Alarm) -> Target:
    return Target(ALARM, id=alarm.id, department_id=alarm.department_id)


def get(db: Session, *, actor: Actor, alarm_id: int) -> Alarm:
    """One alarm the actor may see (another department's is 404, as if absent)."""
    alarm = db.scalar(select(Alarm).where(Alarm.id == alarm_id, visible(actor)))
    if alarm is None:
        raise NotFound(f"告警 {alarm_id} 不存在", f"alarm {alarm_id} not found", field="alarm_id")
    return alarm


def act(db: Session, *, actor: Actor, alarm_id: int, action: str, comment: str = "") -> Alarm:
    """An operator's acknowledge, clear or close, with a comment; refused (409, field `state`) from a state it
    does not start from. Audited and announced."""
    if action not in TRANSITIONS:
        raise Invalid(f"操作须为 {' | '.join(TRANSITIONS)}", f"action must be one of {', '.join(TRANSITIONS)}",
                      code="bad_parameter", field="action")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid(f"说明最多 {MAX_COMMENT} 字", f"the comment takes at most {MAX_COMMENT} characters",
                      field="comment")
    alarm = get(db, actor=actor, alarm_id=alarm_id)
    authorize_audited(db, actor, "update", _target(alarm), audit_action=f"iot.alarm.{action}")
    alarm = db.scalar(select(Alarm).where(Alarm.id == alarm.id).with_for_update().execution_options(
        populate_existing=True))
    starts, to = TRANSITIONS[action]
    if alarm.state not in starts:
        db.rollback()
        zh, en = STATE_NAMES[alarm.state]
        raise Conflict(f"告警 {alarm_id} {zh}，不能{ACTION_ZH[action]}",
                       f"alarm {alarm_id} is {en}: it cannot be {TRANSITIONS[action][1]}", code="bad_state",
                       field="state")
    now = clock.now()
    before = alarm.state
    alarm.state, alarm.updated_at = to, now
    if to == "acknowledged":
        alarm.acknowledged_at = now
    elif to == "cleared":
        alarm.cleared_at = now
    else:
        alarm.closed_at, alarm.open_key = now, None
    _history(db, alarm, to, before, actor=actor, comment=comment, at=now)
    audit.record(db, actor=actor, action=f"iot.alarm.{action}", target_kind=ALARM, target_id=alarm.id,
                 detail={"from": before, "to": to, "comment": comment[:200]})
    _queue(db, to, alarm, actor=actor.display_name or actor.username or actor.kind, comment=comment)
    db.commit()
    publish_pending(db)
    return alarm


ACTION_ZH = {"acknowledge": "确认", "clear": "恢复", "close": "关闭"}


def list_alarms(db: Session, *, actor: Actor, state: str | None = "open", severity: str | None = None,
                thing_id: int | None = None, rule_id: int | None = None, before_id: int | None = None,
                limit: int = 100) -> list[tuple[Alarm, Thing]]:
    """The alarms the actor sees, newest first: `state` one of STATES or `open` (not closed) or None (all)."""
    stmt = (select(Alarm, Thing).join(Thing, Thing.id == Alarm.thing_id).where(visible(actor))
            .order_by(Alarm.id.desc()).limit(limit))
    if state == "open":
        stmt = stmt.where(Alarm.state.in_(OPEN_STATES))
    elif state is not None:
        if state not in STATES:
            raise Invalid(f"state 须为 open | {' | '.join(STATES)}", f"state must be open or one of {', '.join(STATES)}",
                          code="bad_parameter", field="state")
        stmt = stmt.where(Alarm.state == state)
    if severity is not None:
        from zhicheng.iot.rules import SEVERITIES

        if severity not in SEVERITIES:
            raise Invalid(f"severity 须为 {' | '.join(SEVERITIES)}", f"severity must be one of {', '.join(SEVERITIES)}",
                          code="bad_parameter", field="severity")
        stmt = stmt.where(Alarm.severity == severity)
    if thing_id is not None:
        stmt = stmt.where(Alarm.thing_id == thing_id)
    if rule_id is not None:
        stmt = stmt.where(Alarm.rule_id == rule_id)
    if before_id is not None:
        stmt = stmt.where(Alarm.id < before_id)
    found = [(a, t) for a, t in db.execute(stmt)]
    # every path that shows alarms (API, console, CLI) is one audit entry a read
    audit.record(db, actor=actor, action="iot.alarms.read", target_kind=ALARM, detail={"state": state, "count": len(found)})
    db.commit()
    return found


def history(db: Session, *, actor: Actor, alarm_id: int) -> list[AlarmHistory]:
    """Every transition of an alarm the actor sees, oldest first; the read is audited."""
    alarm = get(db, actor=actor, alarm_id=alarm_id)
    found = list(db.scalars(select(AlarmHistory).where(AlarmHistory.alarm_id == alarm.id).order_by(AlarmHistory.id)))
    audit.record(db, actor=actor, action="iot.alarms.read", target_kind=ALARM, target_id=alarm.id,
                 detail={"history": len(found)})
    db.commit()
    return found


def history_dict(entry: AlarmHistory) -> dict[str, Any]:
    return {c: _when(getattr(entry, c)) for c in ("id", "alarm_id", "action", "from_state", "to_state", "actor_id",
                                            "actor_name", "comment", "value", "at")}

