"""The sharing story through the service: request, answer within the legal time, narrow, refuse, escalate."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from zhicheng.core import clock
from zhicheng.core.errors import Conflict, Forbidden, Invalid
from zhicheng.core.events import bus
from zhicheng.core.workdays import service as workdays
from zhicheng.exchange import grants
from zhicheng.exchange import service as exchange
from zhicheng.policy.models import AuditEntry


def test_unconditional_resource_is_granted_at_once(db, make_request, exchange_actors):
    req = make_request(share_type="unconditional")
    assert req.state == "granted"
    grant = exchange.grant_of(db, req.id)
    assert grant.items == ["sfzh", "xm", "zz"] and grant.plain_items == []
    assert grants.active_grant(db, actor=exchange_actors["consumer_user"], resource_id=req.resource_id).id == grant.id
    actions = [e.action for e in exchange.events_of(db, req.id)]
    assert actions == ["submitted", "granted"]


def test_conditional_request_waits_with_a_working_day_deadline(db, make_request, exchange_actors):
    req = make_request()
    assert req.state == "pending"
    assert req.due_date == workdays.add_working_days(workdays.china_today(req.submitted_at), 10)
    assert grants.active_grant(db, actor=exchange_actors["consumer_user"], resource_id=req.resource_id) is None
    with pytest.raises(Forbidden):
        grants.check_grant(db, actor=exchange_actors["consumer_user"], resource_id=req.resource_id)
    view = exchange.request_view(db, req, with_events=True)
    assert view["state"] == "pending" and view["working_days_left"] >= 9 and not view["overdue"]


def test_working_days_skip_the_national_day_holiday():
    # 2026-09-30 (Wed): 10月1日-7日 is the National Day holiday; the working days resume after it
    due = workdays.add_working_days(date(2026, 9, 30), 1)
    assert due > date(2026, 10, 7)
    assert not workdays.is_working_day(date(2026, 10, 1))


def test_provider_approves_narrowing_items_rows_and_period(db, make_request, exchange_actors):
    req = make_request(row_filter={"zz": {"prefix": "4301"}})
    end = req.period_end - timedelta(days=30)
    grant = exchange.approve(db, actor=exchange_actors["provider_officer"], request_id=req.id, items=["xm", "zz"],
                             row_filter={"zz": {"prefix": "430104"}}, period_end=end, plain_items=["xm"],
                             note="仅限岳麓区")
    assert (grant.items, grant.row_filter, grant.plain_items) == (["xm", "zz"], {"zz": {"prefix": "430104"}},
                                                                  ["xm"])
    assert clock.aware(grant.expires_at).astimezone(clock.LOCAL_TZ).date() == end + timedelta(days=1)
    consumer = exchange_actors["consumer_user"]
    assert grants.check_grant(db, actor=consumer, resource_id=req.resource_id, items=["xm"]).id == grant.id
    with pytest.raises(Forbidden):  # the consumer cannot widen the grant
        grants.check_grant(db, actor=consumer, resource_id=req.resource_id, items=["sfzh"])
    with pytest.raises(Forbidden):
        grants.check_grant(db, actor=consumer, resource_id=req.resource_id, delivery="file")
    db.refresh(req)
    assert req.state == "granted" and req.decided_by_name == "ex_provider_officer"


@pytest.mark.parametrize("change, field", [
    ({"items": ["sfzh", "csrq"]}, "items"),
    ({"row_filter": {"zz": {"prefix": "43"}}}, "row_filter"),
    ({"row_filter": {}}, "row_filter"),
    ({"period_end": date(2099, 1, 1)}, "period_end"),
    ({"plain_items": ["csrq"]}, "plain_items"),
])
def test_an_approval_cannot_widen_the_request(db, make_request, exchange_actors, change, field):
    req = make_request(row_filter={"zz": {"prefix": "4301"}})
    with pytest.raises((Forbidden, Invalid)) as err:
        exchange.approve(db, actor=exchange_actors["provider_officer"], request_id=req.id, **change)
    assert err.value.field == field
    db.rollback()
    db.refresh(req)
    assert req.state == "pending" and exchange.grant_of(db, req.id) is None


def test_refusal_states_a_reason_and_the_requester_sees_it(db, make_request, exchange_actors):
    req = make_request()
    with pytest.raises(Invalid):
        exchange.refuse(db, actor=exchange_actors["provider_officer"], request_id=req.id, reason="  ")
    exchange.refuse(db, actor=exchange_actors["provider_officer"], request_id=req.id, reason="用途与数据无关")
    seen = exchange.get_request(db, actor=exchange_actors["consumer_user"], request_id=req.id)
    assert seen.state == "refused" and seen.reason == "用途与数据无关"
    with pytest.raises(Conflict):
        exchange.approve(db, actor=exchange_actors["provider_officer"], request_id=req.id)


def test_not_shared_resource_can_only_be_refused_citing_its_legal_basis(db, make_request, exchange_actors):
    req = make_request(share_type="none")
    assert req.state == "pending"
    with pytest.raises(Conflict):
        exchange.approve(db, actor=exchange_actors["provider_officer"], request_id=req.id)
    exchange.refuse(db, actor=exchange_actors["provider_officer"], request_id=req.id, reason="不予共享")
    assert "居民身份证法" in req.reason


def test_only_the_providers_officer_or_admin_answers(db, make_request, exchange_actors):
    req = make_request()
    for who in ("consumer_user", "consumer_officer", "provider_user", "other_user", "auditor"):
        with pytest.raises(Forbidden):
            exchange.approve(db, actor=exchange_actors[who], request_id=req.id)
    denied = db.query(AuditEntry).filter(AuditEntry.action == "exchange.request.decide",
                                         AuditEntry.outcome == "denied").count()
    assert denied == 5


def test_bad_requests_are_refused_and_nothing_is_stored(db, make_request, exchange_actors):
    today = workdays.china_today()
    cases = [({"items": ["nope"]}, "items"), ({"items": []}, "items"), ({"purpose": " "}, "purpose"),
             ({"row_filter": {"zz": {"prefix": "43' OR 1=1 --"}}}, "row_filter.zz.prefix"),
             ({"row_filter": {"nope": {"prefix": "43"}}}, "row_filter.nope"),
             ({"row_filter": {"zz": {"like": "43"}}}, "row_filter.zz"),
             ({"period_end": today - timedelta(days=1), "period_start": today - timedelta(days=9)}, "period_end"),
             ({"delivery": "ftp"}, "delivery")]
    resource = None
    for fields, field in cases:
        with pytest.raises(Invalid) as err:
            make_request(resource, **fields)
        assert err.value.field == field
    assert exchange.my_requests(db, actor=exchange_actors["consumer_user"]) == []


def test_own_department_cannot_request_its_own_data(db, make_request, exchange_actors):
    with pytest.raises(Forbidden):
        make_request(actor=exchange_actors["provider_user"])


def test_overdue_requests_are_escalated_once_to_the_admin(db, make_request, exchange_actors):
    req = make_request()
    seen = []
    bus.subscribe("exchange.request.escalated", lambda _name, payload: seen.append(payload))
    assert exchange.escalate_overdue(db) == []
    clock.advance(timedelta(days=30))
    inbox = exchange.inbox(db, actor=exchange_actors["admin"])  # loading the inbox escalates
    assert [r.id for r in inbox] == [req.id]
    assert req.escalated_at is not None and seen and seen[-1]["id"] == req.id
    assert exchange.escalate_overdue(db) == []  # once each
    view = exchange.request_view(db, req, with_events=True)
    assert view["overdue"] and view["working_days_left"] < 0
    assert view["events"][-1]["action"] == "escalated"
    with pytest.raises(Forbidden):
        exchange.escalate_overdue(db, actor=exchange_actors["provider_officer"])


def test_revocation_stops_the_grant_on_the_next_call(db, make_grant, exchange_actors):
    grant = make_grant()
    consumer = exchange_actors["consumer_user"]
    assert grants.check_grant(db, actor=consumer, resource_id=grant.resource_id).id == grant.id
    with pytest.raises(Forbidden):
        exchange.revoke_grant(db, actor=consumer, grant_id=grant.id, reason="不想用了")
    exchange.revoke_grant(db, actor=exchange_actors["provider_officer"], grant_id=grant.id, reason="用途已完成")
    with pytest.raises(Forbidden):
        grants.check_grant(db, actor=consumer, resource_id=grant.resource_id)
    assert grants.state_of(grant) == "revoked"


def test_grant_expires_at_the_end_of_its_period(db, make_grant, exchange_actors):
    grant = make_grant(days=3)
    clock.advance(timedelta(days=5))
    assert grants.state_of(grant) == "expired"
    assert grants.active_grant(db, actor=exchange_actors["consumer_user"], resource_id=grant.resource_id) is None


def test_two_answers_at_once_one_wins(db, engine, make_request, exchange_actors):
    from zhicheng.core.db import make_sessionmaker
    from zhicheng.exchange.models import Grant, ShareRequest

    req = make_request()
    with make_sessionmaker(engine)() as other:
        stale = other.get(ShareRequest, req.id)  # the other officer's page still shows it pending
        assert stale.state == "pending"
        exchange.approve(db, actor=exchange_actors["provider_officer"], request_id=req.id)
        with pytest.raises(Conflict):
            exchange.refuse(other, actor=exchange_actors["admin"], request_id=req.id, reason="重复")
    db.refresh(req)
    assert req.state == "granted" and db.query(Grant).filter(Grant.request_id == req.id).count() == 1


def test_cli_escalates_overdue_requests(db, settings, make_request):
    import os
    import subprocess
    import sys

    req = make_request()
    db.query(type(req)).filter_by(id=req.id).update({"due_date": workdays.china_today() - timedelta(days=3)})
    db.commit()
    env = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url}
    run = [sys.executable, "-m", "zhicheng", "exchange"]
    r = subprocess.run([*run, "escalate"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"#{req.id}" in r.stdout and "escalated 1" in r.stdout
    r = subprocess.run([*run, "requests"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and "overdue" in r.stdout
    r = subprocess.run([*run, "requests", "--state", "bogus"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1 and "state" in r.stderr and "Traceback" not in r.stderr
    db.expire_all()
    assert db.get(type(req), req.id).escalated_at is not None


def test_a_year_the_calendar_does_not_know_yet_counts_monday_to_friday():
    assert workdays.is_working_day(date(2031, 3, 4))  # a Tuesday
    assert not workdays.is_working_day(date(2031, 3, 8))  # a Saturday
    assert workdays.add_working_days(date(2031, 3, 7), 1) == date(2031, 3, 10)
