"""Who may see and change quality: the policy rules of the quality kinds, and the checks every quality door asks
(a refusal audited before it propagates)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhicheng.catalog import service as catalog
from zhicheng.core.actor import Actor
from zhicheng.core.errors import NotFound
from zhicheng.policy.rules import (
    ACTION_NAMES,
    KIND_NAMES,
    add_rule,
    admin,
    member_of_target_department,
    officer_of_target_department,
)
from zhicheng.policy.service import Target

RULE, REPORT, RUN, TASK = "quality.rule", "quality.report", "quality.run", "quality.task"

# -- policy: the providing department sees its own resources' quality, the data bureau (admin) sees all ---------
for _kind in (RULE, REPORT, TASK):
    add_rule(_kind, "read", "admin", admin)
    add_rule(_kind, "read", "member of the providing department", member_of_target_department)
for _kind, _action in ((RULE, "define"), (RUN, "run")):
    add_rule(_kind, _action, "admin", admin)
    add_rule(_kind, _action, "data_officer of the providing department", officer_of_target_department)
KIND_NAMES.update(
    {
        RULE: ("质量规则", "quality rule"),
        REPORT: ("质量报告", "quality report"),
        RUN: ("质量检测", "quality run"),
        TASK: ("整改任务", "correction task"),
    }
)
ACTION_NAMES.setdefault("define", ("定义", "define"))
ACTION_NAMES.setdefault("run", ("运行", "run"))


def actor_name(actor: Actor) -> str | None:
    """How the actor is named in what it records."""
    return actor.display_name or actor.username


def target_of(kind: str, res: Any) -> Target:
    """What policy is asked about: the quality `kind` of a catalog resource, in its providing department."""
    return Target(kind, id=res.id, department_id=res.department_id)


def resource_of(db: Session, resource_id: int, field: str = "resource_id"):
    """The catalog resource `resource_id`, or NotFound naming `field`."""
    try:
        return catalog.get_resource(db, int(resource_id))
    except (NotFound, TypeError, ValueError):
        raise NotFound(
            f"数据资源 {resource_id} 不存在", f"data resource {resource_id} not found", field=field
        ) from None
