"""The rules as data: (kind, action) -> conditions, each giving an effect; anything not listed is denied."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zhicheng.core.actor import Actor

if TYPE_CHECKING:
    from zhicheng.policy.service import Target


@dataclass(frozen=True)
class Context:
    """What a condition may look at besides actor and target: the field asked for and the purpose."""

    field: str | None = None
    purpose: str | None = None


Condition = Callable[[Actor, "Target", Context], bool]


@dataclass(frozen=True)
class Rule:
    """When `condition` holds, the answer is `effect` ("allow" or "mask"); `name` says which rule it was."""

    name: str
    condition: Condition
    effect: str = "allow"


# -- conditions: small named predicates, combined by the table below ----------------------------------------

def authenticated(actor: Actor, target: Target, ctx: Context) -> bool:
    return actor.is_authenticated


def admin(actor: Actor, target: Target, ctx: Context) -> bool:
    return actor.has("admin")


def auditor(actor: Actor, target: Target, ctx: Context) -> bool:
    return actor.has("auditor")


def _same_department(actor: Actor, target: Target) -> bool:
    return target.department_id is not None and target.department_id == actor.department_id


def member_of_target_department(actor: Actor, target: Target, ctx: Context) -> bool:
    return _same_department(actor, target)


def officer_of_target_department(actor: Actor, target: Target, ctx: Context) -> bool:
    return actor.has("data_officer") and _same_department(actor, target)


def the_user_themself(actor: Actor, target: Target, ctx: Context) -> bool:
    return actor.user_id is not None and target.id is not None and str(target.id) == str(actor.user_id)


def owner(actor: Actor, target: Target, ctx: Context) -> bool:
    owner_id = target.attrs.get("owner_user_id")
    return actor.user_id is not None and owner_id is not None and str(owner_id) == str(actor.user_id)


def published(actor: Actor, target: Target, ctx: Context) -> bool:
    return target.attrs.get("state") == "published" and actor.is_authenticated


def _rules(*pairs: tuple[str, Condition]) -> tuple[Rule, ...]:
    return tuple(Rule(name, cond) for name, cond in pairs)


ADMIN = ("admin", admin)
AUDITOR = ("auditor", auditor)
AUTHENTICATED = ("authenticated", authenticated)
OFFICER = ("data_officer of the department", officer_of_target_department)
MEMBER = ("member of the department", member_of_target_department)
OWNER = ("owner", owner)

RULES: dict[tuple[str, str], tuple[Rule, ...]] = {
    ("accounts.department", "read"): _rules(AUTHENTICATED),
    ("accounts.department", "create"): _rules(ADMIN),
    ("accounts.department", "update"): _rules(ADMIN),
    ("accounts.department", "delete"): _rules(ADMIN),
    ("accounts.user", "read"): _rules(ADMIN, ("the user themself", the_user_themself), OFFICER),
    ("accounts.user", "create"): _rules(ADMIN),
    ("accounts.user", "update"): _rules(ADMIN),
    ("accounts.user", "delete"): _rules(ADMIN),
    ("accounts.apikey", "create"): _rules(OWNER, ADMIN),
    ("accounts.apikey", "read"): _rules(OWNER, ADMIN),
    ("accounts.apikey", "revoke"): _rules(OWNER, ADMIN),
    # the audit log belongs to the auditor alone (separation of duties: an admin cannot read it)
    ("audit.log", "read"): _rules(AUDITOR),
    ("audit.log", "export"): _rules(AUDITOR),
    ("audit.log", "verify"): _rules(AUDITOR),
    ("catalog.resource", "read"): _rules(("published", published), ADMIN, MEMBER),
    ("catalog.resource", "create"): _rules(ADMIN, OFFICER),
    ("catalog.resource", "update"): _rules(ADMIN, OFFICER),
    ("catalog.resource", "submit"): _rules(ADMIN, OFFICER),
    ("catalog.resource", "withdraw"): _rules(ADMIN, OFFICER),
    ("catalog.resource", "revise"): _rules(ADMIN, OFFICER),
    ("catalog.resource", "review"): _rules(ADMIN),
    ("catalog.dataset", "read"): _rules(ADMIN, MEMBER),
    ("catalog.dataset", "import"): _rules(ADMIN, OFFICER),
    # a personal or graded field: plain for the department that provides it, masked for every other reader
    # (the sharing issue's grants may say "plain")
    ("catalog.dataset", "read_field"): (
        Rule("member of the providing department", member_of_target_department),
        Rule("outside the providing department: masked", authenticated, effect="mask"),
    ),
    # the State Council's holiday schedule that deadlines count on: everyone reads it, the admin alone enters it
    ("exchange.holidays", "read"): _rules(AUTHENTICATED),
    ("exchange.holidays", "update"): _rules(ADMIN),
}


# names people read in refusals: (Chinese, English)
KIND_NAMES: dict[str, tuple[str, str]] = {
    "accounts.department": ("部门", "department"),
    "accounts.user": ("用户", "user"),
    "accounts.apikey": ("API 密钥", "API key"),
    "audit.log": ("审计日志", "audit log"),
    "catalog.resource": ("数据资源", "data resource"),
    "catalog.dataset": ("数据集", "dataset"),
}
ACTION_NAMES: dict[str, tuple[str, str]] = {
    "read": ("查看", "read"), "create": ("创建", "create"), "update": ("修改", "update"),
    "delete": ("删除", "delete"), "revoke": ("吊销", "revoke"), "export": ("导出", "export"),
    "verify": ("校验", "verify"), "submit": ("提交", "submit"), "review": ("审核", "review"),
    "withdraw": ("撤回", "withdraw"), "revise": ("修订", "revise"), "import": ("导入", "import"),
    "read_field": ("查看字段", "read the field of"),
}


def add_rule(kind: str, action: str, name: str, condition: Condition, effect: str = "allow") -> None:
    """Add a rule for (kind, action) after the existing ones (scenarios and later domains extend the table)."""
    if effect not in ("allow", "mask"):
        raise ValueError(f"effect must be allow or mask, not {effect!r}")
    RULES[(kind, action)] = (*RULES.get((kind, action), ()), Rule(name, condition, effect))


def kinds() -> dict[str, list[str]]:
    """Every kind the table knows, with its actions (for documentation and the admin pages)."""
    out: dict[str, list[str]] = {}
    for kind, action in RULES:
        out.setdefault(kind, []).append(action)
    return out


def describe() -> list[dict[str, Any]]:
    """The table as plain data: kind, action and the names of the rules that allow it."""
    return [{"kind": k, "action": a, "rules": [r.name for r in rules]} for (k, a), rules in RULES.items()]
