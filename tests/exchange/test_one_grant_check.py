"""One grant check (`grants.check_grant`) for the rows route, the fast lane, the export and subscriptions: one set
of export rules (personal data leaves as a file only with the provider's approval), one usage counter, and the
policy rules, not role names in the code, decide who may use a grant, subscribe, or see every department's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from zhicheng.accounts import service as accounts
from zhicheng.core.errors import Forbidden
from zhicheng.exchange import grants
from zhicheng.exchange import service as exchange
from zhicheng.exchange.conditions import consumer_member
from zhicheng.exchange.models import Grant
from zhicheng.policy.rules import RULES, Rule, add_rule, all_of, leader

PROBLEM = "application/problem+json"
SUBSCRIBE = "/api/v1/exchange/subscriptions"
HOOK = "http://127.0.0.1:9/hook"


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    settings.webhook_allowed_hosts = ["127.0.0.1"]


def _data_officer(actor, target, ctx) -> bool:
    return actor.has("data_officer")


@pytest.fixture
def officers_only_use(monkeypatch):
    """A stricter rule in force: only the consumer department's data officer may use its grants."""
    monkeypatch.setitem(RULES, ("exchange.grant", "use"),
                        (Rule("data_officer of the consumer department", all_of(consumer_member, _data_officer)),))


def test_a_file_grant_with_personal_items_is_not_exported_without_the_providers_approval(client, db, world,
                                                                                         auth_headers):
    grant = world["make_grant"](["xm", "dqdm", "nl"], delivery="file")  # 姓名 is personal information
    consumer = accounts.actor_for(world["consumer"])
    with pytest.raises(Forbidden) as refused:  # the service door
        grants.check_grant(db, actor=consumer, resource_id=grant.resource_id, delivery="file")
    assert refused.value.code == "export_not_approved" and refused.value.field == "delivery"
    url = world["url"].replace("/rows", "/export")
    for params in ({}, {"grant": grant.id}):  # the HTTP door, with and without naming the grant
        r = client.get(url, params=params, headers=auth_headers(world["consumer"]))
        assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["code"] == "export_not_approved" and r.json()["field"] == "delivery"
    # general items only: a file grant exports them; and the provider's approval opens the personal ones
    general = world["make_grant"](["dqdm", "nl"], delivery="file")
    assert grants.check_grant(db, actor=consumer, resource_id=grant.resource_id, grant_id=general.id,
                              delivery="file").id == general.id
    grant.file_export_approved = True
    db.commit()
    assert grants.check_grant(db, actor=consumer, resource_id=grant.resource_id, grant_id=grant.id,
                              delivery="file").id == grant.id
    assert client.get(url, params={"grant": grant.id}, headers=auth_headers(world["consumer"])).status_code == 200


def test_subscribing_needs_a_live_grant(client, world, auth_headers):
    r = client.post(SUBSCRIBE, json={"resource_id": world["resource"].id, "target_url": HOOK},
                    headers=auth_headers(world["consumer"]))
    assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "no_grant" and r.json()["field"] == "resource_id"


def test_subscribing_needs_the_grant_to_be_usable_by_the_caller(client, world, auth_headers, make_user,
                                                               departments, officers_only_use):
    world["make_grant"](["xm", "dqdm", "nl"])
    body = {"resource_id": world["resource"].id, "target_url": HOOK}
    token = auth_headers(world["consumer"])  # a dept_user of the consumer department: policy says no now
    r = client.post(SUBSCRIBE, json=body, headers=token)
    assert r.status_code == 403 and r.headers["content-type"].startswith(PROBLEM), r.text
    assert r.json()["code"] == "forbidden"
    assert client.get(world["url"], headers=token).status_code == 403  # the rows answer the same, from one check
    officer = make_user("zjj_officer", roles=["data_officer"], department=departments["housing"])
    assert client.post(SUBSCRIBE, json=body, headers=auth_headers(officer)).status_code == 201
    assert client.get(world["url"], headers=auth_headers(officer)).status_code == 200


def test_usage_is_counted_once_per_delivery_on_every_path(client, route_client, db, world, auth_headers):
    grant = world["make_grant"](["dqdm", "nl"], delivery="file")
    token = auth_headers(world["consumer"])
    assert client.get(world["url"], params={"size": 5}, headers=token).status_code == 200  # the fast lane
    assert route_client.get(world["url"], params={"size": 7}, headers=token).status_code == 200  # the route
    assert client.get(world["url"].replace("/rows", "/export"), headers=token).status_code == 200  # the export
    db.expire_all()
    counted = db.scalars(select(Grant).where(Grant.id == grant.id)).one()
    assert (counted.use_count, counted.rows_delivered) == (3, 5 + 7 + 30)


def test_a_rule_added_to_policy_decides_who_sees_every_departments_grants(db, world, make_user, departments,
                                                                          monkeypatch):
    world["make_grant"](["dqdm", "nl"])
    world["make_grant"](["dqdm"], department=world["stranger"].department)
    boss = accounts.actor_for(make_user("city_leader", roles=["leader"], department=departments["data_bureau"]))
    assert exchange.list_grants(db, actor=boss) == []  # the bureau is neither consumer nor provider
    monkeypatch.setitem(RULES, ("exchange.grant", "read"), RULES[("exchange.grant", "read")])  # undone after
    add_rule("exchange.grant", "read", "leader", leader)
    assert len(exchange.list_grants(db, actor=boss)) == 2
    admin = accounts.actor_for(world["admin"])
    assert len(exchange.list_grants(db, actor=admin)) == 2  # the admin's answer is unchanged


def test_a_rule_added_to_policy_opens_the_holiday_pages(client, make_user, departments, auth_headers, monkeypatch):
    boss = make_user("city_leader", roles=["leader"], department=departments["data_bureau"])
    assert client.get("/exchange/holidays", headers=auth_headers(boss)).status_code == 403
    monkeypatch.setitem(RULES, ("exchange.holidays", "update"), RULES[("exchange.holidays", "update")])
    add_rule("exchange.holidays", "update", "leader", leader)
    assert client.get("/exchange/holidays", headers=auth_headers(boss)).status_code == 200
