"""Masking rules as data: the defaults of the issue, the admin edits them (API and page), delivery follows at once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.exchange.test_delivery import get, world  # noqa: F401 (the fixture)
from tests.helpers.accounts import page_csrf
from zhicheng.exchange.masking_rules import service as masking_rules
from zhicheng.exchange.masking_rules.models import MaskingRule
from zhicheng.policy.audit import verify
from zhicheng.policy.masking import DEFAULT_RULES, mask_with
from zhicheng.policy.models import AuditEntry


@pytest.mark.parametrize(("kind", "value", "masked"), [
    ("citizen_id", "430102199001011234", "4301**********1234"),
    ("mobile", "13856785678", "138****5678"),
    ("mobile", "138-5678-5678", "138****5678"),
    ("name", "张三", "张*"),
    ("name", "张三丰", "张**"),
    ("address", "湖南省长沙市岳麓区岳麓街道麓山南路932号", "湖南省长沙市岳麓区岳麓街道****"),
    ("address", "长沙市望城区白沙洲镇新桥村5组", "长沙市望城区白沙洲镇****"),
    ("bank_card", "6222 0212 3456 7890 123", "***************0123"),
    ("coordinates", "112.938861,28.227781", "112.94,28.23"),
    ("email", "zhangsan@example.cn", "z***@example.cn"),
    ("credit_code", "91430100MA4L12345X", "91430100********5X"),
])
def test_default_rules_mask_as_the_issue_says(kind, value, masked):
    assert mask_with(value, kind, masking_rules.DEFAULTS[kind]) == masked


def test_without_parameters_a_kind_is_masked_by_its_default_rule():
    assert mask_with("13856785678", "mobile", None) == DEFAULT_RULES.mask("13856785678", "mobile")
    assert mask_with(None, "name", {"keep_first": 1}) is None and mask_with("", "name", {}) == ""
    assert mask_with("张", "name", masking_rules.DEFAULTS["name"]) == "*"


def test_rules_are_data_the_admin_edits_and_the_next_delivery_follows(client, world, auth_headers, db):  # noqa: F811
    world["make_grant"]()
    admin = world["admin"]
    r = client.get("/api/v1/exchange/masking-rules", headers=auth_headers(admin))
    assert r.status_code == 200
    assert {x["kind"]: x["example"] for x in r.json()}["citizen_id"] == "4301**********1234"
    r = client.put("/api/v1/exchange/masking-rules/mobile", json={"params": {"keep_first": 3, "keep_last": 2,
                                                                            "char": "#"}},
                   headers=auth_headers(admin))
    assert r.status_code == 200, r.text
    assert r.json()["example"] == "138######78"
    first = get(client, world, auth_headers, {"size": 1}).json()["items"][0]
    assert first["sjhm"] == "138######78"
    assert db.get(MaskingRule, "mobile").params["keep_last"] == 2
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "exchange.masking_rule.update")).one()
    assert entry.detail["after"]["char"] == "#" and entry.actor_username == admin.username
    r = client.delete("/api/v1/exchange/masking-rules/mobile", headers=auth_headers(admin))
    assert r.json()["example"] == "138****5678"
    assert get(client, world, auth_headers, {"size": 1}).json()["items"][0]["sjhm"] == "138****5678"
    assert verify(db).ok


@pytest.mark.parametrize(("params", "field"), [
    ({"keep_first": -1}, "params.keep_first"), ({"keep_first": 99}, "params.keep_first"),
    ({"keep_first": "1; drop table x"}, "params.keep_first"), ({"keep_last": True}, "params.keep_last"),
    ({"char": "ab"}, "params.char"), ({"char": "x"}, "params.char"), ({"char": ""}, "params.char"),
    ({"cut_at": "house"}, "params.cut_at"), ({"decimals": 2}, "params.decimals"), ("keep all", "params"),
])
def test_bad_rule_parameters_are_refused_and_nothing_changes(client, world, auth_headers, db, params,  # noqa: F811
                                                              field):
    r = client.put("/api/v1/exchange/masking-rules/address" if field != "params.keep_last"
                   else "/api/v1/exchange/masking-rules/name", json={"params": params},
                   headers=auth_headers(world["admin"]))
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert db.scalars(select(MaskingRule)).all() == []


def test_only_the_platform_admin_edits_rules(client, world, auth_headers, db):  # noqa: F811
    r = client.put("/api/v1/exchange/masking-rules/name", json={"params": {"keep_first": 0}},
                   headers=auth_headers(world["consumer"]))
    assert r.status_code == 403
    assert client.put("/api/v1/exchange/masking-rules/name", json={"params": {}}).status_code in (401, 403)
    r = client.put("/api/v1/exchange/masking-rules/passport", json={"params": {}}, headers=auth_headers(world["admin"]))
    assert r.status_code == 404 and r.json()["field"] == "kind"
    assert db.scalars(select(MaskingRule)).all() == []


def test_the_editor_page_saves_refuses_and_resets(client, world, login, db):  # noqa: F811
    admin = world["admin"]
    login(client, admin)
    page = client.get("/exchange/masking-rules")
    assert page.status_code == 200 and "4301**********1234" in page.text
    token = page_csrf(page.text)
    r = client.post("/exchange/masking-rules/citizen_id", data={"csrf_token": token, "keep_first": "6",
                                                                 "keep_last": "4", "char": "*"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert "430102********1234" in client.get("/exchange/masking-rules").text
    r = client.post("/exchange/masking-rules/citizen_id", data={"csrf_token": token, "keep_first": "abc",
                                                                 "keep_last": "4", "char": "*"})
    assert r.status_code == 422 and "keep_first 须为 0 至 32 的整数" in r.text
    assert db.get(MaskingRule, "citizen_id").params["keep_first"] == 6
    r = client.post("/exchange/masking-rules/citizen_id", data={"csrf_token": token, "reset": "1"},
                    follow_redirects=False)
    assert r.status_code == 303 and db.scalars(select(MaskingRule)).all() == []
    assert client.post("/exchange/masking-rules/citizen_id", data={"keep_first": "1"}).status_code == 403
    en = client.get("/exchange/masking-rules?lang=en").text
    assert "Masking rules" in en and "Reset to default" in en


def test_a_department_user_cannot_open_the_editor(client, world, login):  # noqa: F811
    login(client, world["consumer"])
    assert client.get("/exchange/masking-rules").status_code == 403


@pytest.mark.browser
def test_the_admin_edits_a_rule_in_a_real_browser(live_server, browser, world, db):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.helpers.accounts import DEFAULT_PASSWORD

    wait = WebDriverWait(browser, 15)

    browser.get(live_server.url + "/login?next=/exchange/masking-rules")
    browser.find_element(By.NAME, "username").send_keys(world["admin"].username)
    browser.find_element(By.NAME, "password").send_keys(DEFAULT_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]").click()
    row = wait.until(ec.presence_of_element_located((By.ID, "rule-name")))
    assert row.find_element(By.CSS_SELECTOR, "code.example").text == "张*"
    field = row.find_element(By.NAME, "char")
    field.clear()
    field.send_keys("#")
    row.find_element(By.CSS_SELECTOR, "button[name=save]").click()
    wait.until(lambda b: "脱敏规则已保存" in b.page_source)
    row = browser.find_element(By.ID, "rule-name")
    assert row.find_element(By.CSS_SELECTOR, "code.example").text == "张#"
    assert re.search("脱敏规则已保存", browser.page_source)
    db.expire_all()
    assert db.get(MaskingRule, "name").params["char"] == "#"
