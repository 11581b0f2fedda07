"""Who may see and manage devices: the policy rules of the iot kinds and the scope of what an actor may read."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true

from zhicheng.core.actor import Actor
from zhicheng.iot.models import Thing
from zhicheng.policy.rules import (
    ACTION_NAMES,
    KIND_NAMES,
    add_rule,
    admin,
    member_of_target_department,
    officer_of_target_department,
)
from zhicheng.policy.service import Target, across_departments, decide

DEVICE = "iot.device"


def _open(actor: Actor, target: Target, _ctx) -> bool:
    return bool(target.attrs.get("open"))


# the department's staff and the admin read its devices and their data; everyone reads a device marked open;
# the department's data officer and the admin register and manage them
add_rule(DEVICE, "read", "admin", admin)
add_rule(DEVICE, "read", "member of the department", member_of_target_department)
add_rule(DEVICE, "read", "open device", _open)
for _action in ("create", "update"):
    add_rule(DEVICE, _action, "admin", admin)
    add_rule(DEVICE, _action, "data_officer of the department", officer_of_target_department)
KIND_NAMES[DEVICE] = ("物联设备", "IoT device")
ACTION_NAMES.setdefault("rotate", ("轮换", "rotate"))


def target(thing: Thing) -> Target:
    """What policy is asked about for `thing`."""
    return Target(DEVICE, id=thing.id, department_id=thing.department_id, attrs={"open": thing.open})


def may_read(actor: Actor, thing: Thing) -> bool:
    """Whether `actor` may read `thing` and its data (anonymous callers: open things only)."""
    if thing.open:
        return True
    return decide(actor, "read", target(thing)).allowed


def readable_things(actor: Actor) -> ColumnElement[bool]:
    """The condition on Thing of what `actor` may read: all (the admin, by the rules), its department's and the
    open ones (staff), the open ones (everyone else, anonymous included)."""
    if actor.is_authenticated and across_departments(actor, "read", DEVICE):
        return true()
    mine = Thing.department_id == actor.department_id if actor.is_authenticated and actor.department_id else false()
    return or_(Thing.open.is_(True), mine)
