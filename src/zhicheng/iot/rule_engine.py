"""The rule engine: compiled rules cached per process (kept by the `iot_rules` change counter, dropped on the bus),
evaluated on each ingested batch (threshold with hysteresis and minimum duration, rate, composite, time windows)
and by a periodic sweep (no data / offline)."""

from __future__ import annotations

import logging
import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import null, select
from sqlalchemy.orm import Session

from zhicheng.core import changes, clock
from zhicheng.core.db import dialect_insert
from zhicheng.iot import alarms, rules
from zhicheng.iot.models import Datastream, Rule, RuleState, Thing

log = logging.getLogger(__name__)


@dataclass
class Compiled:
    """One enabled rule, ready to evaluate."""

    id: int
    name: str
    severity: str
    kind: str
    scope: str
    datastream_id: int | None
    thing_id: int | None
    device_type: str | None
    department_id: int | None
    params: BaseModel
    windows: list[rules.Window]
    keys: frozenset[str]  # the datastream names it reads

    def applies_to(self, thing_id: int, device_type: str, department_id: int) -> bool:
        if self.scope == "device_type":
            return self.device_type == device_type and self.department_id in (None, department_id)
        return self.thing_id == thing_id

    def active_at(self, at: datetime) -> bool:
        """Whether `at` falls in one of the rule's windows (Beijing time); no windows: always."""
        if not self.windows:
            return True
        local = clock.local(at)
        hhmm, day = local.strftime("%H:%M"), local.isoweekday()
        for w in self.windows:
            if w.start == w.end:
                if day in w.days:
                    return True
            elif w.start < w.end:
                if day in w.days and w.start <= hhmm < w.end:
                    return True
            elif (hhmm >= w.start and day in w.days) or (hhmm < w.end and (day - 2) % 7 + 1 in w.days):
                return True
        return False


@dataclass
class RuleSet:
    """The compiled rules of one database, indexed by what their scope names."""

    by_datastream: dict[int, list[Compiled]] = field(default_factory=lambda: defaultdict(list))
    by_thing: dict[int, list[Compiled]] = field(default_factory=lambda: defaultdict(list))
    by_type: dict[str, list[Compiled]] = field(default_factory=lambda: defaultdict(list))
    no_data: list[Compiled] = field(default_factory=list)

    def touching(self, thing: Thing, datastream_ids: set[int]) -> list[Compiled]:
        found = {id(r): r for ds in datastream_ids for r in self.by_datastream.get(ds, ())}
        for r in (*self.by_thing.get(thing.id, ()), *self.by_type.get(thing.device_type, ())):
            if r.applies_to(thing.id, thing.device_type, thing.department_id):
                found[id(r)] = r
        return list(found.values())


# by engine (weakly: a disposed app's engine takes its rules with it), then checked against the change counter
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _compile(rule: Rule) -> Compiled:
    params = rules.PARAMS[rule.kind].model_validate(rule.params)
    return Compiled(rule.id, rule.name, rule.severity, rule.kind, rule.scope, rule.datastream_id, rule.thing_id,
                    rule.device_type, rule.department_id, params,
                    [rules.Window.model_validate(w) for w in rule.windows or ()],
                    frozenset(rules.datastream_keys(rule.kind, params)))


def ruleset(db: Session) -> RuleSet:
    """The enabled rules of `db`'s database, compiled once per change (one counter SELECT per call)."""
    engine = db.get_bind().engine
    version = changes.value(db, rules.COUNTER)
    with _lock:
        cached = _cache.get(engine)
        if cached is not None and cached[0] == version:
            return cached[1]
    found = RuleSet()
    for rule in db.scalars(select(Rule).where(Rule.enabled.is_(True))):
        try:
            compiled = _compile(rule)
        except Exception:  # noqa: BLE001 - a rule saved before a stricter check must not stop the others
            log.warning("iot rule %s cannot be compiled; skipped", rule.id, exc_info=True)
            continue
        if compiled.kind == "no_data":
            found.no_data.append(compiled)
        if compiled.scope == "datastream":
            found.by_datastream[compiled.datastream_id].append(compiled)
        elif compiled.scope == "device":
            found.by_thing[compiled.thing_id].append(compiled)
        else:
            found.by_type[compiled.device_type].append(compiled)
    with _lock:
        _cache[engine] = (version, found)
    return found


def forget(_name: str = "", payload: dict[str, Any] | None = None) -> None:
    """Drop the compiled rules (of the payload's database, or all): a bus handler for `iot.rules.changed`."""
    with _lock:
        named = (payload or {}).get("database")
        for engine in list(_cache.keys()):
            if named is None or engine.url.render_as_string(hide_password=True) == named:
                _cache.pop(engine, None)


# -- the conditions ---------------------------------------------------------------------------------------------------

def compare(value: float, op: str, limit: float) -> bool:
    return {">": value > limit, ">=": value >= limit, "<": value < limit, "<=": value <= limit,
            "==": value == limit, "!=": value != limit}[op]


def still_met(p: rules.Threshold, value: float) -> bool:
    """Whether an episode in progress goes on: past the clear level (hysteresis) rather than the raise level."""
    if p.clear is None or p.op in ("==", "!="):
        return compare(value, p.op, p.value)
    return value > p.clear if p.op in (">", ">=") else value < p.clear


def _message(rule: Compiled, value: float | None) -> str:
    p = rule.params
    if rule.kind == "threshold":
        return f"{p.datastream} = {value:g} {p.op} {p.value:g}"
    if rule.kind == "rate":
        return f"{p.datastream} {p.direction} {value:g} / {p.per} s (≥ {p.amount:g})"
    if rule.kind == "composite":
        return f" {p.mode} ".join(f"{c.datastream} {c.op} {c.value:g}" for c in p.conditions)
    return f"{p.datastream or 'device'}: no data for {value:g} s"


# -- on ingest --------------------------------------------------------------------------------------------------------


def _locked_states(db: Session, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], RuleState]:
    rule_ids, sources = sorted({r for r, _s in pairs}), sorted({s for _r, s in pairs})
    stmt = (select(RuleState).where(RuleState.rule_id.in_(rule_ids), RuleState.source.in_(sources))
            .order_by(RuleState.rule_id, RuleState.source).with_for_update()
            .execution_options(populate_existing=True))
    return {(st.rule_id, st.source): st for st in db.scalars(stmt) if (st.rule_id, st.source) in pairs}


def _states(db: Session, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], RuleState]:
    """The states of (rule, source) pairs, locked (PostgreSQL) for this transaction in (rule, source) order; the
    missing ones are made first (INSERT … ON CONFLICT DO NOTHING: another process may make them too)."""
    if not pairs:
        return {}
    found = _locked_states(db, pairs)
    missing = pairs - found.keys()
    if missing:
        now = clock.now()
        db.execute(dialect_insert(db)(RuleState).values([{"rule_id": r, "source": s, "active": False, "updated_at": now}
                                                  for r, s in sorted(missing)]).on_conflict_do_nothing())
        found = _locked_states(db, pairs)
    return found


@dataclass
class _Source:
    thing: Thing
    datastream_id: int | None


def _step(db: Session, rule: Compiled, st: RuleState, src: _Source, at: datetime, met: bool, keep: bool,
          value: float | None, for_seconds: int) -> None:
    """One evaluation of a rule's condition on a source at phenomenon time `at`: `met` starts an episode (after
    `for_seconds`), `keep` says whether an episode in progress goes on."""
    if not rule.active_at(at):
        met = keep = False
    if st.active:
        if not keep:
            st.active, st.since = False, None
            alarms.auto_clear(db, rule_id=rule.id, source=st.source, value=value)
        return
    if not met:
        st.since = None
        return
    since = clock.aware(st.since) or at
    st.since = since
    if at - since >= timedelta(seconds=for_seconds):
        st.active = True
        alarms.trigger(db, rule=rule, source=st.source, thing_id=src.thing.id, datastream_id=src.datastream_id,
                       department_id=src.thing.department_id, value=value, message=_message(rule, value))


def _newer(st: RuleState, at: datetime) -> bool:
    last = clock.aware(st.last_time)
    return last is None or at > last


def evaluate(db: Session, thing: Thing, stored: list[dict[str, Any]],
             touching: list[Compiled] | None = None) -> None:
    """Evaluate the rules whose scope touches the batch just stored (rows as ingest stored them); in the caller's
    transaction. Observations not newer than a source's last evaluated one are ignored (late or repeated data)."""
    ds_ids = {row["datastream_id"] for row in stored}
    if not ds_ids:
        return
    touching = ruleset(db).touching(thing, ds_ids) if touching is None else touching
    if not touching:
        return
    keys = dict(db.execute(select(Datastream.id, Datastream.key).where(Datastream.thing_id == thing.id)).all())
    series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for row in stored:
        value = row.get("result_number")
        value = rules.finite(row.get("result_json")) if value is None else value
        if value is not None:
            series[keys.get(row["datastream_id"], "")].append((clock.aware(row["phenomenon_time"]), value))
    for points in series.values():
        points.sort()
    by_key = {k: i for i, k in keys.items()}
    pairs: set[tuple[int, str]] = set()
    plan: list[tuple[Compiled, str, int | None]] = []
    for rule in touching:
        if rule.kind == "composite" or (rule.kind == "no_data" and not rule.keys):
            source, ds = f"thing:{thing.id}", None
        else:
            key = next(iter(rule.keys))
            ds = rule.datastream_id if rule.scope == "datastream" else by_key.get(key)
            if ds is None or ds not in ds_ids:
                continue
            source = f"ds:{ds}"
        if rule.kind == "composite" and not rule.keys & series.keys():
            continue
        pairs.add((rule.id, source))
        plan.append((rule, source, ds))
    states = _states(db, pairs)
    now = clock.now()
    for rule, source, ds in plan:
        st = states.get((rule.id, source))
        if st is None:
            continue
        src = _Source(thing, ds)
        p = rule.params
        if rule.kind == "no_data":  # data came: a silence is over
            if st.active:
                st.active = False
                alarms.auto_clear(db, rule_id=rule.id, source=source, value=None)
        elif rule.kind == "threshold":
            for at, v in series.get(p.datastream, ()):
                if _newer(st, at):
                    _step(db, rule, st, src, at, compare(v, p.op, p.value), still_met(p, v), v, p.for_seconds)
                    st.last_time, st.last_value = at, v
        elif rule.kind == "rate":
            for at, v in series.get(p.datastream, ()):
                if not _newer(st, at):
                    continue
                last = clock.aware(st.last_time)
                if last is not None and st.last_value is not None and at > last:
                    rate = (v - st.last_value) / (at - last).total_seconds() * p.per
                    met = {"rise": rate >= p.amount, "fall": -rate >= p.amount, "either": abs(rate) >= p.amount}
                    _step(db, rule, st, src, at, met[p.direction], met[p.direction], round(rate, 6), 0)
                st.last_time, st.last_value = at, v
        else:
            _composite(db, rule, st, src, series)
        st.updated_at = now


def _composite(db: Session, rule: Compiled, st: RuleState, src: _Source,
               series: dict[str, list[tuple[datetime, float]]]) -> None:
    p: rules.Composite = rule.params
    latest = dict(st.values or {})
    merged = sorted((at, key, v) for key in rule.keys for at, v in series.get(key, ()))
    for at, key, v in merged:
        previous = latest.get(key)
        if previous and at.isoformat() <= previous[0]:
            continue  # late or repeated for this datastream
        latest[key] = [at.isoformat(), v]
        checks = [c.datastream in latest and compare(latest[c.datastream][1], c.op, c.value) for c in p.conditions]
        met = all(checks) if p.mode == "all" else any(checks)
        _step(db, rule, st, src, at, met, met, v, p.for_seconds)
        if _newer(st, at):
            st.last_time = at
    st.values = latest


def evaluate_batch(db: Session, thing: Thing, stored: list[dict[str, Any]]) -> None:
    """Evaluate the rules on a batch ingest is storing, in its transaction under a savepoint: a failure here is
    logged and rolled back to the savepoint, and the observations are stored whatever the rules do."""
    if not stored:
        return
    try:
        touching = ruleset(db).touching(thing, {row["datastream_id"] for row in stored})
        if touching:  # a batch no rule touches costs the counter SELECT only
            with db.begin_nested():
                evaluate(db, thing, stored, touching)
    except Exception:  # noqa: BLE001 - rules must never cost a device its data
        alarms.discard_pending(db)
        log.exception("iot rules failed on a batch of device %s", thing.id)


def announce(db: Session) -> None:
    """Publish the alarm transitions of the transaction just committed."""
    alarms.publish_pending(db)


# -- the periodic sweep: no data / offline ----------------------------------------------------------------------------

SWEEP_CHUNK = 500


def sweep(db: Session, now: datetime | None = None) -> int:
    """Raise (or clear) the no-data and offline rules by how long each source in their scope has been silent;
    returns how many sources are silent. Commits and announces."""
    now = now or clock.now()
    silent_count = 0
    for rule in ruleset(db).no_data:
        p: rules.NoData = rule.params
        limit = timedelta(seconds=p.after)
        active_now = rule.active_at(now)
        if p.datastream:
            stmt = (select(Thing, Datastream.id, Datastream.phenomenon_time_end)
                    .join(Datastream, Datastream.thing_id == Thing.id).where(Datastream.key == p.datastream))
        else:
            stmt = select(Thing, null(), Thing.last_seen)
        stmt = stmt.where(Thing.enabled.is_(True))
        if rule.scope == "datastream":
            stmt = stmt.where(Datastream.id == rule.datastream_id)
        elif rule.scope == "device":
            stmt = stmt.where(Thing.id == rule.thing_id)
        else:
            stmt = stmt.where(Thing.device_type == rule.device_type)
            if rule.department_id is not None:
                stmt = stmt.where(Thing.department_id == rule.department_id)
        rows = db.execute(stmt.order_by(Thing.id)).all()
        for start in range(0, len(rows), SWEEP_CHUNK):
            chunk = rows[start:start + SWEEP_CHUNK]
            sources = {}
            for thing, ds, last in chunk:
                ds = ds if p.datastream else None
                source = f"ds:{ds}" if ds else f"thing:{thing.id}"
                quiet = now - (clock.aware(last) or clock.aware(thing.created_at))
                sources[source] = (thing, ds, quiet)
            states = _states(db, {(rule.id, s) for s in sources})
            for source, (thing, ds, quiet) in sources.items():
                st = states[(rule.id, source)]
                silent = active_now and quiet >= limit
                silent_count += silent
                seconds = round(quiet.total_seconds())
                if silent and not st.active:
                    st.active = True
                    alarms.trigger(db, rule=rule, source=source, thing_id=thing.id, datastream_id=ds,
                                   department_id=thing.department_id, value=seconds,
                                   message=_message(rule, seconds))
                elif not silent and st.active:
                    st.active = False
                    alarms.auto_clear(db, rule_id=rule.id, source=source, value=None)
                st.updated_at = now
            db.commit()
            alarms.publish_pending(db)
    return silent_count

