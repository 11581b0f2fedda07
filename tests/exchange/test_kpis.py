"""The sharing KPIs on a small known city: sharing rate, answers on time, turnaround, most used, least sharing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from zhicheng.catalog import service as catalog
from zhicheng.core import clock
from zhicheng.core.errors import Forbidden
from zhicheng.core.workdays import service as workdays
from zhicheng.exchange import grants, kpis
from zhicheng.exchange import service as exchange


def test_working_days_skip_weekends_and_the_national_day_holiday():
    assert kpis.working_days_between(date(2026, 9, 30), date(2026, 9, 30)) == 0
    assert kpis.working_days_between(date(2026, 9, 30), date(2026, 10, 9)) == 2  # 10月1日-7日 off
    assert kpis.working_days_between(date(2026, 11, 20), date(2026, 11, 23)) == 1  # Fri -> Mon


@pytest.fixture
def city(db, make_resource, departments, make_request, exchange_actors):
    """公安局 publishes 3 resources (无条件, 有条件, 不予), 住建局 1 (不予), 岳麓区 1 (有条件), 公安局 1 draft;
    four requests: granted at once, approved the same day, refused 30 days later, and one never answered."""
    police, housing, district = departments["police"], departments["housing"], departments["district"]
    basis = {"share_basis": "《中华人民共和国居民身份证法》第十九条"}
    open_res = make_resource("公开人口统计", department=police, state="published", share_type="unconditional")
    cond_res = make_resource("户籍核验", department=police, state="published", share_type="conditional")
    wanted = make_resource("在逃人员", department=police, state="published", share_type="none", **basis)
    catalog.revise(db, actor=exchange_actors["provider_officer"], resource_id=wanted.id)  # still published
    make_resource("住房档案", department=housing, state="published", share_type="none", **basis)
    make_resource("岳麓区网格", department=district, state="published", share_type="conditional")
    make_resource("草稿资源", department=police, state="draft", share_type="unconditional")

    day0 = workdays.china_today()
    at_once = make_request(open_res, share_type="unconditional")
    same_day = make_request(cond_res)
    officer = exchange_actors["provider_officer"]
    exchange.approve(db, actor=officer, request_id=same_day.id)
    late = make_request(cond_res)
    never = make_request(cond_res)
    clock.advance(timedelta(days=30))
    exchange.refuse(db, actor=officer, request_id=late.id, reason="用途与资源不符")
    open_grant = exchange.grant_of(db, at_once.id)
    cond_grant = exchange.grant_of(db, same_day.id)
    for _ in range(3):
        grants.note_use(db, open_grant, rows=10)
    grants.note_use(db, cond_grant, rows=500)
    db.commit()
    return {"open": open_res, "cond": cond_res, "day0": day0, "never": never, "police": police,
            "housing": housing, "district": district}


def test_kpis_on_a_known_city(db, city, exchange_actors):
    k = kpis.compute(db, actor=exchange_actors["admin"])
    s = k["sharing"]
    assert (s["catalogued"], s["shared"], s["rate"], s["meets_target"]) == (5, 3, 0.6, False)
    assert s["by_share_type"] == {"unconditional": 1, "conditional": 2, "none": 2}
    assert [(d["department_id"], d["resources"], d["shared"], d["rate"]) for d in s["least_sharing_departments"]] == [
        (city["housing"].id, 1, 0, 0.0), (city["police"].id, 3, 2, 0.6667), (city["district"].id, 1, 1, 1.0)]
    late_days = kpis.working_days_between(city["day0"], city["day0"] + timedelta(days=30))
    assert late_days > exchange.ANSWER_WORKING_DAYS
    assert k["requests"] == {"total": 4, "answered": 3, "answered_on_time": 2, "overdue_unanswered": 1,
                             "on_time_rate": 0.5, "mean_turnaround_working_days": round(late_days / 3, 2)}
    assert [(m["resource_id"], m["calls"], m["rows"]) for m in k["most_used_resources"]] == [
        (city["open"].id, 3, 30), (city["cond"].id, 1, 500)]


def test_kpis_are_for_the_admin_and_leaders(db, city, exchange_actors, make_user, auth_headers, client,
                                            exchange_users, departments):
    for who in ("consumer_user", "provider_officer", "auditor"):
        with pytest.raises(Forbidden):
            kpis.compute(db, actor=exchange_actors[who])
    leader = make_user("kpi_leader", roles=["leader"], department=departments["city"])
    assert client.get("/api/v1/exchange/kpis", headers=auth_headers(leader)).status_code == 200
    r = client.get("/api/v1/exchange/kpis", headers=auth_headers(exchange_users["admin"]))
    assert r.status_code == 200 and r.json()["sharing"]["rate"] == 0.6
    r = client.get("/api/v1/exchange/kpis", headers=auth_headers(exchange_users["consumer_user"]))
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/exchange/kpis").status_code == 401


def test_kpi_page_shows_the_numbers(db, city, client, login, exchange_users):
    login(client, exchange_users["admin"])
    r = client.get("/exchange/kpis")
    assert r.status_code == 200
    assert "60.0%" in r.text and "未达标" in r.text and "长沙市住房和城乡建设局" in r.text and "公开人口统计" in r.text
    r = client.get("/exchange/kpis?lang=en")
    assert "Data sharing rate" in r.text and "Changsha Housing and Urban-Rural Development Bureau" in r.text


def test_kpis_of_an_empty_city(db, exchange_actors):
    k = kpis.compute(db, actor=exchange_actors["admin"])
    assert k["sharing"]["rate"] is None and k["sharing"]["least_sharing_departments"] == []
    assert k["requests"]["on_time_rate"] is None and k["most_used_resources"] == []


def test_usage_per_grant_is_metered_from_the_audit_log(db, tmp_path, make_resource, departments, make_grant,
                                                       exchange_actors, client, auth_headers, exchange_users):
    from tests.exchange.test_subscriptions import import_version
    from zhicheng.exchange.delivery import service as delivery

    resource = make_resource("计量测试人口", department=departments["police"], state="published")
    grant = make_grant(resource)
    import_version(db, tmp_path, exchange_actors["provider_officer"], resource.id, n=5)
    consumer = exchange_actors["consumer_user"]
    for size in ("2", "5", "1"):
        delivery.query_rows(db, actor=consumer, resource_id=resource.id, params=[("size", size)])
    usage = kpis.grant_usage(db, actor=consumer, grant_id=grant.id)
    today = workdays.china_today().isoformat()
    assert (usage["calls"], usage["rows"], usage["days"]) == (3, 8, [{"day": today, "calls": 3, "rows": 8}])
    assert usage["all_time"] == {"calls": 3, "rows": 8} and usage["masked_calls"] == 3
    with pytest.raises(Forbidden):
        kpis.grant_usage(db, actor=exchange_actors["other_user"], grant_id=grant.id)
    r = client.get(f"/api/v1/exchange/usage/grants/{grant.id}?days=7",
                   headers=auth_headers(exchange_users["provider_officer"]))
    assert r.status_code == 200 and r.json()["rows"] == 8, r.text
    bad = client.get(f"/api/v1/exchange/usage/grants/{grant.id}?days=100000",
                     headers=auth_headers(exchange_users["provider_officer"]))
    assert bad.status_code == 422
