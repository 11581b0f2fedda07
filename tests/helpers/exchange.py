"""Fixtures of the exchange domain other tests use: the sharing story's people and a factory of grants."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from zhicheng.accounts import service as accounts
from zhicheng.core.workdays import service as deadlines
from zhicheng.exchange import service as exchange


@pytest.fixture
def exchange_users(make_user, departments):
    """Users of the sharing story: 公安局 provides, 住建局 consumes, 岳麓区 is another department.
    Keys: admin, auditor, provider_officer, provider_user, consumer_officer, consumer_user, other_user."""
    spec = {
        "admin": (["admin"], "data_bureau"),
        "auditor": (["auditor"], "data_bureau"),
        "provider_officer": (["data_officer"], "police"),
        "provider_user": (["dept_user"], "police"),
        "consumer_officer": (["data_officer"], "housing"),
        "consumer_user": (["dept_user"], "housing"),
        "other_user": (["dept_user"], "district"),
    }
    return {key: make_user(f"ex_{key}", roles=roles, department=departments[dept], display_name=f"ex_{key}")
            for key, (roles, dept) in spec.items()}


@pytest.fixture
def exchange_actors(exchange_users):
    """The same people as Actors, for service calls."""
    return {key: accounts.actor_for(user) for key, user in exchange_users.items()}


@pytest.fixture
def make_request(db, make_resource, departments, exchange_actors):
    """make_request(resource=None, share_type="conditional", actor=consumer_user, **fields) -> ShareRequest
    on a published 公安局 resource (made when not given)."""
    counter = itertools.count(1)

    def make(resource=None, *, share_type: str = "conditional", actor=None, **fields):
        if resource is None:
            extra = {"share_basis": "《中华人民共和国居民身份证法》第十九条"} if share_type == "none" else {}
            resource = make_resource(f"共享测试资源{next(counter)}", department=departments["police"],
                                     state="published", share_type=share_type, **extra)
        today = deadlines.china_today()
        args = {"purpose": "住房保障资格审核", "basis": "《公共租赁住房管理办法》第七条",
                "items": ["sfzh", "xm", "zz"], "row_filter": None, "period_start": today,
                "period_end": today + timedelta(days=90), "delivery": "api"}
        args.update(fields)
        return exchange.submit_request(db, actor=actor or exchange_actors["consumer_user"],
                                       resource_id=resource.id, **args)

    return make


@pytest.fixture
def make_grant(db, make_request, exchange_actors):
    """make_grant(resource=None, items=None, row_filter=None, plain_items=(), days=90, delivery="api",
    file_export_approved=False, actor=consumer_user) -> Grant, requested and approved by the provider's officer
    through the service (a real grant; revoke or move the clock to test the other states)."""

    def make(resource=None, *, items=None, row_filter=None, plain_items=(), days: int = 90, delivery: str = "api",
             file_export_approved: bool = False, actor=None):
        today = deadlines.china_today()
        req = make_request(resource, actor=actor, delivery=delivery, row_filter=row_filter,
                           items=list(items or ["sfzh", "xm", "zz"]), period_end=today + timedelta(days=days))
        return exchange.approve(db, actor=exchange_actors["provider_officer"], request_id=req.id,
                                plain_items=list(plain_items), file_export_approved=file_export_approved)

    return make
