"""The rules table: every role against every kind and action, deny by default, the auditor alone reads the log."""

from __future__ import annotations

import time

import pytest

from zhicheng.core.actor import ANONYMOUS, SYSTEM, Actor
from zhicheng.core.errors import Forbidden
from zhicheng.policy.rules import RULES, add_rule, describe
from zhicheng.policy.service import Decision, Target, authorize, decide

DEPT, OTHER = 10, 20
ROLES = ["admin", "data_officer", "dept_user", "operator", "inspector", "handler", "leader", "auditor"]


def person(role: str, *, user_id: int = 7, department_id: int = DEPT) -> Actor:
    return Actor(kind="user", user_id=user_id, username=f"u{user_id}", department_id=department_id,
                 roles=frozenset({role}))


def allowed(actor: Actor, action: str, target: Target) -> bool:
    return decide(actor, action, target).effect == "allow"


def who_may(action: str, target: Target, **kw) -> set[str]:
    return {role for role in ROLES if allowed(person(role, **kw), action, target)}


def test_departments_are_read_by_everyone_and_changed_by_admin_only():
    dept = Target("accounts.department", id=DEPT)
    assert who_may("read", dept) == set(ROLES)
    for action in ("create", "update", "delete"):
        assert who_may(action, dept) == {"admin"}


def test_users_are_seen_by_admin_themselves_and_their_department_officer():
    same_dept_user = Target("accounts.user", id=99, department_id=DEPT)
    other_dept_user = Target("accounts.user", id=99, department_id=OTHER)
    themself = Target("accounts.user", id=7, department_id=OTHER)
    assert who_may("read", same_dept_user) == {"admin", "data_officer"}
    assert who_may("read", other_dept_user) == {"admin"}
    assert who_may("read", themself) == set(ROLES)
    for action in ("create", "update", "delete"):
        assert who_may(action, same_dept_user) == {"admin"}
        assert who_may(action, themself) == {"admin"}


def test_api_keys_belong_to_their_owner_and_the_admin():
    mine = Target("accounts.apikey", id=3, attrs={"owner_user_id": 7})
    theirs = Target("accounts.apikey", id=4, attrs={"owner_user_id": 8})
    for action in ("create", "read", "revoke"):
        assert who_may(action, mine) == set(ROLES)
        assert who_may(action, theirs) == {"admin"}
    assert not allowed(person("admin"), "delete", mine)  # an action the table does not list


def test_the_audit_log_is_for_the_auditor_alone_not_even_the_admin():
    log = Target("audit.log")
    for action in ("read", "export", "verify"):
        assert who_may(action, log) == {"auditor"}
    admin_and_more = Actor(kind="user", user_id=1, roles=frozenset({"admin", "data_officer", "leader"}))
    assert decide(admin_and_more, "read", log).effect == "deny"
    with pytest.raises(Forbidden) as err:
        authorize(person("admin"), "read", log)
    assert err.value.status == 403 and "没有权限" in err.value.zh and "Forbidden" in err.value.en


def test_catalog_resources_follow_their_state_and_department():
    draft_here = Target("catalog.resource", id=1, department_id=DEPT, attrs={"state": "draft"})
    draft_elsewhere = Target("catalog.resource", id=2, department_id=OTHER, attrs={"state": "draft"})
    published_elsewhere = Target("catalog.resource", id=3, department_id=OTHER, attrs={"state": "published"})
    assert who_may("read", published_elsewhere) == set(ROLES)
    assert who_may("read", draft_here) == set(ROLES)  # every member of the providing department
    assert who_may("read", draft_elsewhere) == {"admin"}
    for action in ("create", "update", "submit", "withdraw", "revise"):
        assert who_may(action, draft_here) == {"admin", "data_officer"}
        assert who_may(action, draft_elsewhere) == {"admin"}
    assert who_may("review", draft_here) == {"admin"}
    assert who_may("review", published_elsewhere) == {"admin"}


def test_datasets_are_read_by_the_provider_and_imported_by_its_officer():
    here = Target("catalog.dataset", id=1, department_id=DEPT)
    elsewhere = Target("catalog.dataset", id=2, department_id=OTHER)
    assert who_may("read", here) == set(ROLES)
    assert who_may("read", elsewhere) == {"admin"}
    assert who_may("import", here) == {"admin", "data_officer"}
    assert who_may("import", elsewhere) == {"admin"}


def test_a_target_without_department_matches_no_department_rule():
    nowhere = Target("catalog.dataset", id=1)
    nobody = Actor(kind="user", user_id=5, roles=frozenset({"data_officer"}))  # no department either
    assert not allowed(nobody, "read", nowhere)
    assert not allowed(nobody, "import", nowhere)


def test_unknown_kinds_and_actions_are_denied():
    for action, target in [("read", Target("no.such.kind")), ("frobnicate", Target("catalog.resource")),
                           ("read", Target("Catalog.Resource"))]:
        d = decide(person("admin"), action, target)
        assert d == Decision("deny", d.reason) and d.reason.startswith("no rule")


def test_anonymous_is_denied_everything_and_system_allowed_everything():
    for (kind, action) in RULES:
        target = Target(kind, attrs={"state": "published"})
        assert decide(ANONYMOUS, action, target).effect == "deny"
        assert decide(SYSTEM, action, target).effect == "allow"
    with pytest.raises(Forbidden):
        authorize(ANONYMOUS, "read", Target("accounts.department"))


def test_an_api_key_acts_with_its_owners_roles():
    key = Actor(kind="apikey", user_id=7, department_id=DEPT, roles=frozenset({"dept_user"}), via="apikey")
    assert allowed(key, "read", Target("catalog.dataset", id=1, department_id=DEPT))
    assert not allowed(key, "import", Target("catalog.dataset", id=1, department_id=DEPT))


def test_field_and_purpose_reach_the_rules_and_mask_is_an_answer():
    seen = {}

    def masked_for_statistics(actor, target, ctx):
        seen.update(field=ctx.field, purpose=ctx.purpose)
        return ctx.purpose == "statistics"

    add_rule("test.masked", "read", "statistics see masked data", masked_for_statistics, effect="mask")
    try:
        d = authorize(person("dept_user"), "read", Target("test.masked"), field="id_number", purpose="statistics")
        assert d.effect == "mask" and d.allowed and d.reason == "statistics see masked data"
        assert seen == {"field": "id_number", "purpose": "statistics"}
        assert decide(person("dept_user"), "read", Target("test.masked"), purpose="other").effect == "deny"
    finally:
        RULES.pop(("test.masked", "read"))
    with pytest.raises(ValueError):
        add_rule("test.masked", "read", "bad", masked_for_statistics, effect="deny")


def test_the_table_is_data_anyone_can_list():
    rows = describe()
    assert {"kind": "audit.log", "action": "read", "rules": ["auditor"]} in rows


def test_decide_is_fast():
    actor, target = person("data_officer"), Target("catalog.resource", id=1, department_id=DEPT,
                                                   attrs={"state": "draft"})
    n = 20_000
    start = time.perf_counter()
    for _ in range(n):
        decide(actor, "update", target)
    per_call = (time.perf_counter() - start) / n
    assert per_call < 50e-6, f"decide took {per_call * 1e6:.1f} µs per call"
