"""Policy conditions of the exchange that the shared ones in `policy.rules` do not already cover."""

from __future__ import annotations

from zhicheng.core.actor import Actor
from zhicheng.policy.service import Target


def consumer_member(actor: Actor, target: Target, ctx) -> bool:
    """The actor belongs to the department that asked for (or holds) the data: target.attrs["consumer_department_id"]."""
    dept = target.attrs.get("consumer_department_id")
    return dept is not None and actor.department_id == dept


def outside_member(actor: Actor, target: Target, ctx) -> bool:
    """The actor belongs to a department other than the one that provides the data."""
    return actor.department_id is not None and actor.department_id != target.department_id
