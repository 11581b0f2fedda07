"""Deadlines on the working days that really are: day 0 is the day of the request; a year the platform has no
holiday schedule for is marked provisional (暂定) and the admin is warned until it enters the year (page, API,
CLI), after which New Year's Day is a day off and the pending deadlines move."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from zhicheng.core import clock
from zhicheng.core.workdays import schedule
from zhicheng.core.workdays import service as workdays
from zhicheng.exchange import service as exchange
from zhicheng.exchange.models import ShareRequest
from zhicheng.holidays import flows
from zhicheng.policy.models import AuditEntry


def unknown_year() -> int:
    """The first year from 2027 on whose schedule the installed chinesecalendar lacks (knowing the year before),
    with 1 January a weekday."""
    for y in range(2027, 2100):
        if workdays.package_knows(y - 1) and not workdays.package_knows(y) and date(y, 1, 1).weekday() < 5:
            return y
    pytest.skip("chinesecalendar knows every year up to the next with 1 January on a weekday")


def move_clock_to(day: date, hour: int = 10) -> None:
    """Set the clock to `day` at `hour` o'clock, Beijing time."""
    clock.advance(datetime.combine(day, time(hour), tzinfo=clock.LOCAL_TZ) - clock.now())


def last_working_days_before(year: int, n: int) -> date:
    """A December day of `year - 1` from which n working days run into `year`."""
    day = date(year - 1, 12, 31)
    while workdays.working_days_between(day, date(year - 1, 12, 31)) < n:
        day -= timedelta(days=1)
    return day


# -- day 0 ---------------------------------------------------------------------------------------------------

def test_on_the_day_of_the_request_ten_working_days_remain(client, db, make_request, exchange_actors, login,
                                                           exchange_users):
    req = make_request()
    view = exchange.request_view(db, req)
    assert view["working_days_left"] == exchange.ANSWER_WORKING_DAYS == 10
    login(client, exchange_users["consumer_user"])
    page = client.get(f"/exchange/requests/{req.id}")
    assert '剩余工作日 <span id="days-left">10</span>' in page.text


@pytest.mark.parametrize("submitted, label", [
    (date(2026, 11, 20), "a Friday"),
    (date(2026, 11, 21), "a Saturday"),
    (date(2026, 10, 1), "National Day"),
    (date(2026, 9, 27), "an adjusted working Sunday (调休上班)"),
])
def test_remaining_working_days_count_from_day_0_whatever_the_day(submitted, label):
    at = datetime.combine(submitted, time(9), tzinfo=clock.LOCAL_TZ)
    due = exchange.due_date(at)
    assert workdays.working_days_left(due, at) == 10, label
    assert workdays.working_days_left(due, datetime.combine(due, time(17), tzinfo=clock.LOCAL_TZ)) == 0
    day_after = due + timedelta(days=1)
    while not workdays.is_working_day(day_after):
        day_after += timedelta(days=1)
    assert workdays.working_days_left(due, datetime.combine(day_after, time(9), tzinfo=clock.LOCAL_TZ)) == -1


def test_a_saturday_request_is_due_on_the_tenth_working_day_after_it():
    # 2026-11-21 is a Saturday: day 1 is Monday the 23rd, day 10 Friday 4 December
    assert exchange.due_date(datetime(2026, 11, 21, 9, tzinfo=clock.LOCAL_TZ)) == date(2026, 12, 4)


# -- a year without a schedule -------------------------------------------------------------------------------

def test_a_deadline_into_an_unscheduled_year_is_provisional_until_the_admin_enters_it(
        client, db, make_request, exchange_users, auth_headers, login):
    year = unknown_year()
    new_year = date(year, 1, 1)
    submitted = last_working_days_before(year, 3)  # 3 working days left in December, 7 more in January
    move_clock_to(submitted)
    req = make_request()
    assert workdays.is_working_day(new_year)  # nobody knows yet: Monday to Friday
    first_due = req.due_date
    assert first_due == workdays.add_working_days(submitted, 10) and first_due.year == year
    admin, officer = auth_headers(exchange_users["admin"]), auth_headers(exchange_users["provider_officer"])
    r = client.get(f"/api/v1/exchange/requests/{req.id}", headers=officer).json()
    assert r["deadline_provisional"] is True and r["unscheduled_years"] == [year]
    assert client.get("/api/v1/exchange/holidays", headers=admin).json()["missing_years"] == [year]
    login(client, exchange_users["admin"])
    inbox = client.get("/exchange/inbox")
    assert f"{year} 年尚无放假安排" in inbox.text and "暂定" in inbox.text
    assert f"{year} 年尚无放假安排" in client.get("/exchange/holidays").text
    assert f"{year} 年尚无放假安排" in client.get("/").text  # the admin's workbench says so too
    client.cookies.clear()

    # a data officer may not enter it; the refusal is audited
    lines = f"{year}-01-01 元旦 休\n{year}-02-06~{year}-02-12 春节 休\n{year}-02-13 春节调休 班"
    r = client.put(f"/api/v1/exchange/holidays/{year}", json={"lines": lines}, headers=officer)
    assert r.status_code == 403
    r = client.put(f"/api/v1/exchange/holidays/{year}", json={"lines": lines, "source": "国办发明电"}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["days"][0] == {"date": f"{year}-01-01", "kind": "holiday", "name": "元旦"}
    assert len(r.json()["days"]) == 9

    db.expire_all()
    assert not workdays.is_working_day(new_year, db=db)
    assert workdays.is_working_day(date(year, 2, 13), db=db)  # 调休上班, a Saturday
    moved = db.get(ShareRequest, req.id).due_date
    assert moved == workdays.add_working_days(submitted, 10, db=db) > first_due  # New Year's Day is off
    r = client.get(f"/api/v1/exchange/requests/{req.id}", headers=officer).json()
    assert r["deadline_provisional"] is False and r["due_date"] == moved.isoformat()
    assert client.get("/api/v1/exchange/holidays", headers=admin).json()["missing_years"] == []
    login(client, exchange_users["admin"])
    assert "尚无放假安排" not in client.get("/exchange/inbox").text
    assert "尚无放假安排" not in client.get("/").text
    actions = [(e.action, e.outcome) for e in db.scalars(select(AuditEntry).where(
        AuditEntry.action == "exchange.holidays.update"))]
    assert actions == [("exchange.holidays.update", "denied"), ("exchange.holidays.update", "ok")]


def test_the_entered_schedule_comes_before_the_packages(db, exchange_actors):
    # 2026-10-08 (Thu) is a working day for the package; the admin's 2026 schedule says it is off
    assert workdays.is_working_day(date(2026, 10, 8), db=db)
    flows.enter_year(db, actor=exchange_actors["admin"], year=2026,
                     entries=schedule.parse_lines("2026-10-01~2026-10-08 国庆节 休"))
    assert not workdays.is_working_day(date(2026, 10, 8), db=db)
    assert workdays.is_working_day(date(2026, 10, 9), db=db)
    assert not workdays.is_working_day(date(2026, 10, 10), db=db)  # not listed: a Saturday is off
    assert workdays.is_working_day(date(2026, 10, 8))  # without a session only the package is asked
    flows.delete_year(db, actor=exchange_actors["admin"], year=2026)
    assert workdays.is_working_day(date(2026, 10, 8), db=db)


@pytest.mark.parametrize("text, message", [
    ("2027-01-01 元旦", "第 1 行"),
    ("2027-01-01 元旦 休\n2027-13-01 x 休", "第 2 行"),
    ("2027-01-01 元旦 放", "休 或 班"),
    ("2027-01-01 元旦 休\n2027-01-01 元旦 班", "已在第 1 行"),
    ("2027-02-20~2027-02-10 春节 休", "范围"),
    ("2028-01-01 元旦 休", "不属于 2027 年"),
    ("", "为空"),
])
def test_bad_schedules_are_refused_naming_the_line(db, exchange_actors, text, message):
    with pytest.raises(Exception) as err:
        flows.enter_year(db, actor=exchange_actors["admin"], year=2027, entries=schedule.parse_lines(text))
    assert message in err.value.message("zh-CN") and err.value.field == "lines"


def test_the_admin_enters_a_year_on_the_page_by_pasting_or_uploading(client, db, exchange_users, login):
    year = unknown_year()
    move_clock_to(date(year - 1, 12, 10))
    csrf = login(client, exchange_users["admin"])
    page = client.get("/exchange/holidays")
    assert page.status_code == 200 and f'value="{year}"' in page.text  # the missing year is offered
    bad = client.post("/exchange/holidays", data={"csrf_token": csrf, "year": str(year),
                                                  "lines": f"{year}-01-01 元旦"})
    assert bad.status_code == 422 and "第 1 行" in bad.text
    r = client.post("/exchange/holidays", data={"csrf_token": csrf, "year": str(year), "source": "国办发明电",
                                                "lines": f"{year}-01-01 元旦 休\n{year}-02-07 春节调休 班"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/exchange/holidays/{year}"
    shown = client.get(f"/exchange/holidays/{year}").text
    assert "元旦" in shown and "春节调休" in shown
    csv_file = f"日期,名称,安排\n{year}-01-01,元旦,休\n{year}-05-01~{year}-05-05,劳动节,休\n".encode("gb18030")
    r = client.post("/exchange/holidays", data={"csrf_token": csrf, "year": str(year)},
                    files={"file": ("holidays.csv", csv_file, "text/csv")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    listed = client.get("/exchange/holidays").text
    assert f'data-year="{year}"' in listed and "<td>6</td><td>0</td>" in listed  # replaced: 6 days off, 0 班
    client.cookies.clear()
    login(client, exchange_users["provider_officer"])
    assert client.get("/exchange/holidays").status_code == 403


def test_the_cli_imports_and_lists_a_year(db, settings, tmp_path):
    year = unknown_year()
    path = tmp_path / "holidays.txt"
    path.write_text(f"# {year} 年放假安排\n{year}-01-01 元旦 休\n{year}-02-07 春节调休 班\n", encoding="utf-8")
    env = {**os.environ, "ZHICHENG_DATA": str(settings.data), "ZHICHENG_DATABASE_URL": settings.db_url}
    run = [sys.executable, "-m", "zhicheng", "holidays"]
    r = subprocess.run([*run, "list"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([*run, "import", str(path), "--year", str(year)], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "holidays 1" in r.stdout and "workdays 1" in r.stdout
    r = subprocess.run([*run, "list"], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith(f"{year}")
    path.write_text(f"{year}-01-01 元旦 放\n", encoding="utf-8")
    r = subprocess.run([*run, "import", str(path), "--year", str(year)], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    db.expire_all()
    assert not workdays.is_working_day(date(year, 1, 1), db=db)
    audit = db.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.holidays.update")).all()
    assert [a.outcome for a in audit] == ["ok"]


def test_odd_input_through_the_api_is_a_problem_naming_the_field(client, exchange_users, auth_headers):
    admin = auth_headers(exchange_users["admin"])
    url = "/api/v1/exchange/holidays/2027"
    for body, field in (({"lines": "2027-01-01 元\x00旦 休"}, "lines"), ({"lines": "x", "days": []}, "days"),
                        ({"days": [{"date": "2027-01-01", "kind": "holiday", "name": "  "}]}, "lines"),
                        ({"lines": "2027-01-01 元旦 休", "source": "国办\x00"}, "source")):
        r = client.put(url, json=body, headers=admin)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["field"] == field
    assert client.put("/api/v1/exchange/holidays/1999", json={"lines": "1999-01-01 元旦 休"},
                      headers=admin).status_code == 422
    assert client.get(url, headers=admin).status_code == 404


def test_every_holidays_page_string_has_english():
    import re
    from pathlib import Path

    import zhicheng
    from zhicheng.web.i18n import english_catalog

    pkg = Path(zhicheng.__file__).parent
    found = set()
    for path in ("holidays/templates/holidays/holidays.html", "holidays/templates/holidays/year.html",
                 "holidays/templates/holidays/_macros.html", "exchange/templates/exchange/_macros.html",
                 "exchange/templates/exchange/request.html"):
        found.update(a or b for a, b in re.findall(r"""_\(\s*(?:"([^"]+)"|'([^']+)')""",
                                                   (pkg / path).read_text(encoding="utf-8")))
    found.update({"放假安排", "放假安排已录入，待审批申请的答复期限已按新安排重新计算。", "已删除该年放假安排。"})
    english = english_catalog()
    assert not sorted(s for s in found if not english.get(s))
