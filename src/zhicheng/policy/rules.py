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


def security_admin(actor: Actor, target: Target, ctx: Context) -> bool:
    return actor.has("security_admin")


def leader(actor: Actor, target: Target, ctx: Context) -> bool:
    return actor.has("leader")


# -- the separation of the three duties (三员分立, GB/T 39477 and 等保 2.0): the system administrator runs the
# platform, the security administrator manages roles and the duties' accounts, the auditor reads the audit log.
# No account holds two duties; the system administrator can neither give a protected duty nor touch (password,
# tokens, lock, state, profile) an account that holds one.
DUTIES: dict[str, tuple[str, str]] = {
    "admin": ("系统管理员", "system administrator"),
    "security_admin": ("安全管理员", "security administrator"),
    "auditor": ("审计员", "auditor"),
}
PROTECTED_DUTIES = frozenset({"security_admin", "auditor"})


def duties_of(roles) -> list[str]:
    """The duties among `roles`, in the order of DUTIES (more than one is never allowed on one account)."""
    return [duty for duty in DUTIES if duty in set(roles or ())]


def _target_roles(target: Target) -> frozenset[str]:
    return frozenset(target.attrs.get("roles") or ())


def account_without_protected_duty(actor: Actor, target: Target, ctx: Context) -> bool:
    """The account acted on (its roles, or the roles it is being created with) holds no protected duty."""
    return not (_target_roles(target) & PROTECTED_DUTIES)


def account_holding_a_duty(actor: Actor, target: Target, ctx: Context) -> bool:
    return bool(_target_roles(target) & DUTIES.keys())


def role_not_protected(actor: Actor, target: Target, ctx: Context) -> bool:
    """The role granted or revoked (attrs["role"]) is not a protected duty."""
    return target.attrs.get("role") not in PROTECTED_DUTIES


def not_their_own_account(actor: Actor, target: Target, ctx: Context) -> bool:
    return actor.user_id is None or target.id is None or str(target.id) != str(actor.user_id)


def all_of(*conditions: Condition) -> Condition:
    """A condition that holds when every one of `conditions` holds."""
    def holds(actor: Actor, target: Target, ctx: Context) -> bool:
        return all(cond(actor, target, ctx) for cond in conditions)
    return holds


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
SECURITY_ADMIN = ("security_admin", security_admin)
# the system administrator, on accounts that hold no protected duty (the others belong to the security admin)
ADMIN_ORDINARY = ("admin, on an account without the security-admin or auditor duty",
                  all_of(admin, account_without_protected_duty))
SECURITY_ADMIN_DUTIES = ("security_admin, on an account holding a duty", all_of(security_admin, account_holding_a_duty))
ROLE_RULES = _rules(
    ("admin, an ordinary role on an account without a protected duty",
     all_of(admin, role_not_protected, account_without_protected_duty)),
    ("security_admin, not on their own account", all_of(security_admin, not_their_own_account)),
)

RULES: dict[tuple[str, str], tuple[Rule, ...]] = {
    ("accounts.department", "read"): _rules(AUTHENTICATED),
    ("accounts.department", "create"): _rules(ADMIN),
    ("accounts.department", "update"): _rules(ADMIN),
    ("accounts.department", "delete"): _rules(ADMIN),
    ("accounts.user", "read"): _rules(ADMIN, SECURITY_ADMIN, ("the user themself", the_user_themself), OFFICER),
    # attrs["roles"]: the roles the account holds (or is created with)
    ("accounts.user", "create"): _rules(ADMIN_ORDINARY, SECURITY_ADMIN),
    ("accounts.user", "update"): _rules(ADMIN_ORDINARY, SECURITY_ADMIN_DUTIES),
    ("accounts.user", "reset_credentials"): _rules(ADMIN_ORDINARY, SECURITY_ADMIN_DUTIES),
    ("accounts.user", "delete"): _rules(ADMIN_ORDINARY, SECURITY_ADMIN_DUTIES),
    # attrs["role"]: the role granted or revoked; attrs["roles"]: the roles the account holds now
    ("accounts.role", "grant"): ROLE_RULES,
    ("accounts.role", "revoke"): ROLE_RULES,
    ("accounts.apikey", "create"): _rules(OWNER, ADMIN),
    ("accounts.apikey", "read"): _rules(OWNER, ADMIN),
    ("accounts.apikey", "revoke"): _rules(OWNER, ADMIN_ORDINARY, SECURITY_ADMIN_DUTIES),
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
    "accounts.role": ("角色", "role"),
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
    "grant": ("授予", "grant"), "reset_credentials": ("重置凭据", "reset the credentials of"),
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
