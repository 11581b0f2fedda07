"""Alarm rules as data: their shape (validated with Pydantic when saved, an error naming the field), who may manage
them, their CRUD and the templates scenario plugins bring through `zhicheng_rules`."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhicheng.core import changes, clock
from zhicheng.core.actor import Actor
from zhicheng.core.errors import Invalid, NotFound
from zhicheng.core.events import bus, database_of
from zhicheng.iot import device_types
from zhicheng.iot.models import Datastream, Rule, Thing
from zhicheng.policy import audit
from zhicheng.policy.rules import (
    ACTION_NAMES,
    KIND_NAMES,
    add_rule,
    admin,
    member_of_target_department,
    officer_of_target_department,
)
from zhicheng.policy.service import Target, across_departments, authorize_audited

RULE = "iot.rule"
COUNTER = "iot_rules"  # the change counter the compiled-rule caches key on (core.changes)
CHANGED = "iot.rules.changed"  # broadcast: every process drops its compiled rules
KINDS = ("threshold", "rate", "no_data", "composite")
SEVERITIES = ("info", "minor", "major", "critical")
SEVERITY_NAMES = {"info": ("提示", "info"), "minor": ("一般", "minor"), "major": ("重要", "major"),
                  "critical": ("紧急", "critical")}
KIND_LABELS = {"threshold": ("阈值", "threshold"), "rate": ("变化率", "rate of change"),
               "no_data": ("无数据/离线", "no data / offline"), "composite": ("组合条件", "composite")}
SCOPES = ("datastream", "device", "device_type")
OPS = (">", ">=", "<", "<=", "==", "!=")
MAX_SECONDS = 31 * 86400
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _global(actor: Actor, target: Target, _ctx) -> bool:
    return target.department_id is None and actor.is_authenticated


# staff read their department's rules and the city-wide ones; the admin and the department's data officer manage
add_rule(RULE, "read", "admin", admin)
add_rule(RULE, "read", "member of the department", member_of_target_department)
add_rule(RULE, "read", "city-wide rule", _global)
for _action in ("create", "update", "delete"):
    add_rule(RULE, _action, "admin", admin)
    add_rule(RULE, _action, "data_officer of the department", officer_of_target_department)
KIND_NAMES[RULE] = ("告警规则", "alarm rule")
ACTION_NAMES.setdefault("delete", ("删除", "delete"))

Key = Annotated[str, Field(pattern=device_types.KEY.pattern)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Seconds = Annotated[int, Field(ge=0, le=MAX_SECONDS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Window(_Strict):
    """When a rule is active, in Beijing time: [start, end) on the given ISO weekdays (1 Monday … 7 Sunday); a
    window whose end is before its start runs past midnight (22:00–06:00), its days naming the evening's day."""

    start: str = Field(pattern=HHMM.pattern)
    end: str = Field(pattern=HHMM.pattern)
    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(default=[1, 2, 3, 4, 5, 6, 7], min_length=1, max_length=7)


class Threshold(_Strict):
    """value `op` limit for at least `for_seconds`; once raised it clears only when the value passes `clear`
    (hysteresis; default the limit itself)."""

    datastream: Key | None = None  # the device type's datastream name; taken from the datastream for that scope
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: Finite
    clear: Finite | None = None
    for_seconds: Seconds = 0

    @field_validator("clear")
    @classmethod
    def _hysteresis(cls, clear: float | None, info: ValidationInfo) -> float | None:
        op, value = info.data.get("op"), info.data.get("value")
        if clear is None or op is None or value is None:
            return clear
        if op in ("==", "!="):
            raise ValueError("clear applies to >, >=, < and <= only")
        if op in (">", ">=") and clear > value:
            raise ValueError("clear must not be above value for > and >=")
        if op in ("<", "<=") and clear < value:
            raise ValueError("clear must not be below value for < and <=")
        return clear


class Rate(_Strict):
    """The change between two consecutive observations, per `per` seconds: a rise, a fall or either of at least
    `amount`."""

    datastream: Key | None = None
    direction: Literal["rise", "fall", "either"]
    amount: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    per: Annotated[int, Field(gt=0, le=MAX_SECONDS)] = 3600


class NoData(_Strict):
    """No observation of the datastream (or, without one, nothing from the device: offline) for `after` seconds."""

    datastream: Key | None = None
    after: Annotated[int, Field(ge=60, le=MAX_SECONDS)]


class Condition(_Strict):
    datastream: Key
    op: Literal[">", ">=", "<", "<=", "==", "!="]
    value: Finite


class Composite(_Strict):
    """All (or any) of several datastreams' latest values meet their conditions, for at least `for_seconds`."""

    mode: Literal["all", "any"]
    conditions: list[Condition] = Field(min_length=2, max_length=10)
    for_seconds: Seconds = 0


PARAMS: dict[str, type[BaseModel]] = {"threshold": Threshold, "rate": Rate, "no_data": NoData, "composite": Composite}


class RuleIn(_Strict):
    """A rule as it is saved (API body, page form, CLI, an instantiated template)."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    kind: Literal["threshold", "rate", "no_data", "composite"]
    severity: Literal["info", "minor", "major", "critical"] = "major"
    scope: Literal["datastream", "device", "device_type"]
    datastream_id: int | None = None
    thing_id: int | None = None
    device_type: str | None = None
    department_id: int | None = None
    params: dict[str, Any]
    windows: list[Window] | None = Field(default=None, max_length=10)
    enabled: bool = True
    template: str | None = Field(default=None, max_length=100)

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("name must not be blank")
        return value.strip()


class Template(_Strict):
    """A rule template a scenario brings (`zhicheng_rules`): a rule for a device type, without scope."""

    key: Key
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    description: str = ""
    device_type: Key
    kind: Literal["threshold", "rate", "no_data", "composite"]
    severity: Literal["info", "minor", "major", "critical"] = "major"
    params: dict[str, Any]
    windows: list[Window] | None = None


def _loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def _invalid(exc: ValidationError, prefix: str = "") -> Invalid:
    errors = [{"field": prefix + _loc(e["loc"]), "message": e["msg"], "type": e["type"]} for e in exc.errors()]
    first = errors[0]
    first["field"] = first["field"].rstrip(".")
    return Invalid(f"规则无效：{first['field']} {first['message']}", f"invalid rule: {first['field']} {first['message']}",
                   code="invalid_rule", field=first["field"], errors=errors)


def _field(field: str, zh: str, en: str) -> Invalid:
    return Invalid(zh, en, code="invalid_rule", field=field)


def parse_params(kind: str, params: dict[str, Any]) -> BaseModel:
    """The params of a rule of `kind` as their model (Invalid naming `params.<field>`)."""
    try:
        return PARAMS[kind].model_validate(params)
    except ValidationError as exc:
        raise _invalid(exc, "params.") from None


def datastream_keys(kind: str, params: BaseModel) -> list[str]:
    """The datastream names a rule's params refer to."""
    if kind == "composite":
        return [c.datastream for c in params.conditions]
    return [params.datastream] if params.datastream else []


def _check_keys(kind: str, params: BaseModel, known: set[str], where: str) -> None:
    if kind == "composite":
        for i, cond in enumerate(params.conditions):
            if cond.datastream not in known:
                raise _field(f"params.conditions.{i}.datastream", f"{where}没有数据流 {cond.datastream}",
                             f"{where} has no datastream {cond.datastream}")
    elif params.datastream and params.datastream not in known:
        raise _field("params.datastream", f"{where}没有数据流 {params.datastream}",
                     f"{where} has no datastream {params.datastream}")
    elif not params.datastream and kind in ("threshold", "rate"):
        raise _field("params.datastream", "须指明数据流", "params.datastream is required")


def validate(db: Session, given: dict[str, Any] | RuleIn) -> dict[str, Any]:
    """`given` checked as a whole (shape, params of its kind, scope, the datastreams it names): the column values
    of the rule, or Invalid naming the field at fault."""
    try:
        rule = given if isinstance(given, RuleIn) else RuleIn.model_validate(given)
    except ValidationError as exc:
        raise _invalid(exc) from None
    params = parse_params(rule.kind, rule.params)
    values = rule.model_dump(exclude={"params", "windows"})
    values["windows"] = [w.model_dump() for w in rule.windows] if rule.windows else None
    if rule.scope == "datastream":
        if rule.kind == "composite":
            raise _field("scope", "组合条件规则的范围须为设备或设备类型",
                         "a composite rule's scope must be a device or a device type")
        ds = db.get(Datastream, rule.datastream_id) if rule.datastream_id is not None else None
        if ds is None:
            raise _field("datastream_id", f"数据流 {rule.datastream_id} 不存在",
                         f"datastream {rule.datastream_id} not found")
        if params.datastream not in (None, ds.key):
            raise _field("params.datastream", f"数据流 {ds.id} 的名称是 {ds.key}",
                         f"datastream {ds.id} is named {ds.key}")
        params.datastream = ds.key
        thing = db.get(Thing, ds.thing_id)
        values.update(thing_id=thing.id, device_type=thing.device_type, department_id=thing.department_id)
    elif rule.scope == "device":
        thing = db.get(Thing, rule.thing_id) if rule.thing_id is not None else None
        if thing is None:
            raise _field("thing_id", f"设备 {rule.thing_id} 不存在", f"device {rule.thing_id} not found")
        known = set(db.scalars(select(Datastream.key).where(Datastream.thing_id == thing.id)))
        _check_keys(rule.kind, params, known, f"设备 {thing.code} ")
        values.update(datastream_id=None, device_type=thing.device_type, department_id=thing.department_id)
    else:
        if not rule.device_type:
            raise _field("device_type", "须指明设备类型", "device_type is required")
        try:
            dtype = device_types.get(rule.device_type)
        except NotFound:
            raise _field("device_type", f"设备类型 {rule.device_type} 不存在",
                         f"device type {rule.device_type} not found") from None
        _check_keys(rule.kind, params, {d.name for d in dtype.datastreams}, f"设备类型 {dtype.key} ")
        values.update(datastream_id=None, thing_id=None)
    if values.get("department_id") is not None:
        from zhicheng.accounts import service as accounts

        try:
            accounts.get_department(db, values["department_id"])
        except NotFound:
            raise _field("department_id", f"部门 {values['department_id']} 不存在",
                         f"department {values['department_id']} not found") from None
    values["params"] = params.model_dump()
    return values


# -- templates -----------------------------------------------------------------------------------------------------


def templates(plugins=None) -> dict[str, Template]:
    """Every rule template the plugins bring, by key, validated (an error names the plugin, template and field)."""
    from zhicheng.hookspecs import by_plugin, installed

    pm = plugins if plugins is not None else installed()
    found: dict[str, Template] = {}
    for plugin, given in by_plugin(pm.hook.zhicheng_rules):
        for item in given or ():
            key = item.get("key") if isinstance(item, dict) else None
            try:
                tpl = Template.model_validate(item)
                parse_params(tpl.kind, tpl.params)
            except (ValidationError, Invalid) as exc:
                where = _loc(exc.errors()[0]["loc"]) if isinstance(exc, ValidationError) else exc.field
                raise Invalid(f"插件 {plugin} 的规则模板 {key} 无效：{where}",
                              f"plugin {plugin}: rule template {key} is invalid: {where}",
                              code="invalid_rule_template", field=where) from None
            if tpl.key in found:
                raise Invalid(f"规则模板 {tpl.key} 重复定义", f"rule template {tpl.key} is defined twice",
                              code="invalid_rule_template", field="key")
            found[tpl.key] = tpl
    return found


def from_template(key: str, *, thing_id: int | None = None, department_id: int | None = None,
                  name: str | None = None, severity: str | None = None, enabled: bool = True) -> dict[str, Any]:
    """A rule body made from template `key`: for one device (`thing_id`) or for every device of the template's
    type (in `department_id`, or every department)."""
    tpl = templates().get(key)
    if tpl is None:
        raise NotFound(f"规则模板 {key} 不存在", f"rule template {key} not found", field="template")
    body = {"name": name or tpl.name, "description": tpl.description, "kind": tpl.kind,
            "severity": severity or tpl.severity, "params": tpl.params, "enabled": enabled, "template": tpl.key,
            "windows": [w.model_dump() for w in tpl.windows] if tpl.windows else None}
    if thing_id is not None:
        return {**body, "scope": "device", "thing_id": thing_id}
    return {**body, "scope": "device_type", "device_type": tpl.device_type, "department_id": department_id}


# -- CRUD ----------------------------------------------------------------------------------------------------------


def target(rule: Rule | dict[str, Any]) -> Target:
    """What policy is asked about a rule (saved, or the values about to be)."""
    if isinstance(rule, dict):
        return Target(RULE, id=None, department_id=rule.get("department_id"))
    return Target(RULE, id=rule.id, department_id=rule.department_id)


def as_dict(rule: Rule) -> dict[str, Any]:
    """A rule as the API shows it."""
    return {c: clock.local(v) if isinstance(v := getattr(rule, c), datetime) else v for c in (
        "id", "name", "description", "kind", "severity", "scope", "datastream_id", "thing_id", "device_type",
        "department_id", "params", "windows", "template", "enabled", "created_by", "created_at", "updated_at")}


def _changed(db: Session) -> None:
    changes.bump(db, COUNTER)


def _announce(db: Session, rule_id: int) -> None:
    bus.publish(CHANGED, {"rule_id": rule_id, "database": database_of(db)})


def create(db: Session, *, actor: Actor, body: dict[str, Any]) -> Rule:
    """Save a new rule (validated; the admin, or the data officer of its department)."""
    values = validate(db, body)
    if values["department_id"] is None and not across_departments(actor, "create", RULE):
        values["department_id"] = actor.department_id  # a department's officer writes its department's rules
    authorize_audited(db, actor, "create", target(values), audit_action="iot.rule.create")
    now = clock.now()
    rule = Rule(**values, created_by=actor.user_id, created_at=now, updated_at=now)
    db.add(rule)
    db.flush()
    audit.record(db, actor=actor, action="iot.rule.create", target_kind=RULE, target_id=rule.id,
                 detail={"name": rule.name, "kind": rule.kind, "scope": rule.scope})
    _changed(db)
    db.commit()
    _announce(db, rule.id)
    return rule


def get(db: Session, *, actor: Actor, rule_id: int) -> Rule:
    """One rule the actor may read (another department's is 404, as if absent)."""
    rule = db.get(Rule, rule_id)
    if rule is None or not _readable(actor, rule):
        raise NotFound(f"规则 {rule_id} 不存在", f"rule {rule_id} not found", field="rule_id")
    return rule


def _readable(actor: Actor, rule: Rule) -> bool:
    from zhicheng.policy.service import decide

    return decide(actor, "read", target(rule)).allowed


def update(db: Session, *, actor: Actor, rule_id: int, body: dict[str, Any]) -> Rule:
    """Replace a rule by `body` (validated); its state starts afresh."""
    rule = get(db, actor=actor, rule_id=rule_id)
    authorize_audited(db, actor, "update", target(rule), audit_action="iot.rule.update")
    values = validate(db, body)
    authorize_audited(db, actor, "update", target(values), audit_action="iot.rule.update")
    for name, value in values.items():
        setattr(rule, name, value)
    rule.updated_at = clock.now()
    from zhicheng.iot.models import RuleState

    db.query(RuleState).filter(RuleState.rule_id == rule.id).delete()
    audit.record(db, actor=actor, action="iot.rule.update", target_kind=RULE, target_id=rule.id,
                 detail={"name": rule.name, "enabled": rule.enabled})
    _changed(db)
    db.commit()
    _announce(db, rule.id)
    return rule


def set_enabled(db: Session, *, actor: Actor, rule_id: int, enabled: bool) -> Rule:
    """Turn a rule on or off."""
    rule = get(db, actor=actor, rule_id=rule_id)
    return update(db, actor=actor, rule_id=rule.id, body={**_body(rule), "enabled": enabled})


def _body(rule: Rule) -> dict[str, Any]:
    out = {k: v for k, v in as_dict(rule).items() if k in RuleIn.model_fields}
    return {k: v for k, v in out.items() if v is not None}


def delete(db: Session, *, actor: Actor, rule_id: int) -> None:
    """Delete a rule (its alarms stay, with its name)."""
    rule = get(db, actor=actor, rule_id=rule_id)
    authorize_audited(db, actor, "delete", target(rule), audit_action="iot.rule.delete")
    audit.record(db, actor=actor, action="iot.rule.delete", target_kind=RULE, target_id=rule.id,
                 detail={"name": rule.name})
    db.delete(rule)
    _changed(db)
    db.commit()
    _announce(db, rule_id)


def list_rules(db: Session, *, actor: Actor, kind: str | None = None, enabled: bool | None = None,
               thing_id: int | None = None, limit: int = 500) -> list[Rule]:
    """The rules the actor may read: its department's and the city-wide ones (the admin: all)."""
    stmt = select(Rule).order_by(Rule.id)
    if not (actor.is_authenticated and across_departments(actor, "read", RULE)):
        mine = Rule.department_id == actor.department_id if actor.department_id else Rule.id.is_(None)
        stmt = stmt.where(or_(Rule.department_id.is_(None), mine))
    if kind is not None:
        if kind not in KINDS:
            raise Invalid(f"kind 须为 {' | '.join(KINDS)}", f"kind must be one of {', '.join(KINDS)}",
                          code="bad_parameter", field="kind")
        stmt = stmt.where(Rule.kind == kind)
    if enabled is not None:
        stmt = stmt.where(Rule.enabled.is_(enabled))
    if thing_id is not None:
        stmt = stmt.where(Rule.thing_id == thing_id)
    return list(db.scalars(stmt.limit(limit)))


def finite(value: Any) -> float | None:
    """`value` as a finite float (truth as 1/0), else None: what rules compare."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None



def made_from_template(db: Session, *, template: str, department_id: int, thing_id: int | None = None) -> bool:
    """Whether a rule from `template` already covers the department's devices of its type (`thing_id` None) or
    that one device."""
    taken = select(Rule.id).where(Rule.template == template, Rule.department_id == department_id)
    taken = taken.where(Rule.thing_id == thing_id) if thing_id else taken.where(Rule.scope == "device_type")
    return db.scalar(taken.limit(1)) is not None
