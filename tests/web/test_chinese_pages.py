"""A zh-CN user reads Chinese: names instead of identifiers and ids, Beijing wall-clock times, what was published."""

from __future__ import annotations

import re

from tests.helpers.accounts import page_csrf

HTML = {"accept": "text/html"}


def test_grant_and_request_pages_name_the_resource_and_its_items(client, login, make_grant, exchange_users):
    grant = make_grant(items=["sfzh", "xm"], plain_items=["xm"], row_filter={"sfzh": {"prefix": "4301"}})
    login(client, exchange_users["consumer_user"])
    page = client.get("/exchange/grants", headers=HTML).text
    row = page[page.index(f'id="grant-{grant.id}"'):]
    row = row[:row.index("</tr>")]
    assert "共享测试资源" in row and f">{grant.resource_id}<" not in row
    assert "公民身份号码" in row and "姓名" in row and "明文" in row
    assert not re.search(r">\s*(sfzh|xm)\b", row), row  # identifiers only on hover (title)
    assert "公民身份号码 前缀 4301" in row
    detail = client.get(f"/exchange/requests/{grant.request_id}", headers=HTML).text
    assert "公民身份号码、" in re.sub(r"<[^>]+>", "", detail) and "sfzh、xm" not in detail


def test_the_review_says_which_resource_was_published(client, login, make_resource, catalog_actors, make_user,
                                                     departments):
    res = make_resource("城市道路桥梁台账", state="submitted")
    login(client, make_user("reviewer", roles=["admin"], department=departments["data_bureau"]))
    csrf = page_csrf(client.get("/catalog/review", headers=HTML).text)
    r = client.post(f"/catalog/{res.id}/review", data={"csrf_token": csrf, "decision": "publish",
                                                        "next": "/catalog/review"}, headers=HTML)
    assert r.status_code == 200 and "资源「城市道路桥梁台账」已发布。" in r.text
    en = client.get(f"/catalog/{res.id}?lang=en", headers=HTML)
    assert en.status_code == 200


def test_the_import_page_names_the_checks(client, login, make_resource, make_user, departments):
    res = make_resource("常住人口基本信息", state="published")
    login(client, make_user("officer", roles=["data_officer"], department=departments["police"]))
    page = client.get(f"/catalog/{res.id}/import", headers=HTML)
    assert page.status_code == 200
    assert "<td>公民身份号码</td>" in page.text and "<td>citizen_id</td>" not in page.text


def test_data_values_are_shown_as_their_wall_clock_time():
    from datetime import UTC, datetime

    from zhicheng.web.templating import fmt_value

    assert fmt_value("2025-12-25T00:00:00") == "2025-12-25 00:00"  # as recorded: no zone, no shift
    assert fmt_value("2017-02-01T07:00:00+08:00") == "2017-02-01 07:00"
    assert fmt_value("2026-12-07T02:00:00Z") == "2026-12-07 10:00"  # Beijing time
    assert fmt_value(datetime(2026, 12, 7, 2, 0, 30, tzinfo=UTC)) == "2026-12-07 10:00:30"
    assert fmt_value("2026-12-07") == "2026-12-07" and fmt_value(None) == "" and fmt_value(3) == 3
    assert fmt_value("T2000-01-01T00:00") == "T2000-01-01T00:00"


def test_the_base_database_buttons_are_styled():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "src" / "zhicheng"
    for template in root.glob("*/templates/**/*.html"):
        for button in re.findall(r"<button[^>]*>", template.read_text(encoding="utf-8")):
            assert re.search(r'class="[^"]*\b(btn|link-button|nav-toggle)\b', button), f"{template.name}: {button}"
