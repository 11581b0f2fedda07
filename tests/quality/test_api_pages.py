"""The quality API (problem+json with the field at fault) and pages: dashboard, resource page, task inbox."""

from __future__ import annotations

from tests.helpers.accounts import page_csrf
from zhicheng.quality import service


def test_api_defines_runs_and_reports(client, db, people_resource, quality_actors, auth_headers):
    res, _ = people_resource()
    officer = auth_headers(quality_actors["users"]["officer"])
    r = client.post(
        f"/api/v1/quality/resources/{res.id}/rules",
        headers=officer,
        json={"kind": "pattern", "item": "sfzh", "params": {"regex": "[0-9"}},
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "params.regex"
    r = client.post(
        f"/api/v1/quality/resources/{res.id}/rules",
        headers=officer,
        json={"kind": "range", "item": "nl", "params": {"min": 5, "max": 1}},
    )
    assert r.status_code == 422 and r.json()["field"] == "params.max"
    r = client.post(
        f"/api/v1/quality/resources/{res.id}/rules",
        headers=officer,
        json={"kind": "allowed", "item": "dqdm", "params": {"table": "gb2260"}},
    )
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    r = client.post(f"/api/v1/quality/resources/{res.id}/runs", headers=officer)
    assert r.status_code == 201 and r.json()["rows"] == 30
    r = client.get(f"/api/v1/quality/resources/{res.id}/report", headers=officer)
    finding = next(f for f in r.json()["findings"] if f["rule_id"] == rule_id)
    assert finding["samples"] == [{"row": 9, "value": "430124"}]
    r = client.post(f"/api/v1/quality/resources/{res.id}/proposals", headers=officer)
    assert r.status_code == 200 and r.json() and all(p["state"] == "proposed" for p in r.json())
    r = client.post(f"/api/v1/quality/rules/{r.json()[0]['id']}/accept", headers=officer)
    assert r.status_code == 200 and r.json()["state"] == "active"
    r = client.get(f"/api/v1/quality/resources/{res.id}/profile", headers=officer)
    assert r.json()["columns"]["sfzh"]["distinct"] == 29
    r = client.put(
        f"/api/v1/quality/resources/{res.id}/schedule", headers=officer, json={"interval_hours": 0}
    )
    assert r.status_code == 200

    housing = auth_headers(quality_actors["users"]["housing"])
    assert client.get(f"/api/v1/quality/resources/{res.id}/report", headers=housing).status_code == 403
    assert client.get("/api/v1/quality/dashboard", headers=housing).json()["resources"] == []
    board = client.get(
        "/api/v1/quality/dashboard", headers=auth_headers(quality_actors["users"]["admin"])
    ).json()
    assert [r["resource_id"] for r in board["resources"]] == [res.id]
    assert (
        board["worst_rules"][0]["failed"] >= 1
        and board["departments"][0]["department_id"] == res.department_id
    )


def test_pages_show_the_dashboard_and_accept_a_proposal(client, db, people_resource, quality_actors, login):
    res, _ = people_resource(name="常住人口质量页面")
    service.define_rule(
        db, actor=quality_actors["officer"], resource_id=res.id, data={"kind": "unique", "item": "sfzh"}
    )
    service.run(db, actor=quality_actors["officer"], resource_id=res.id)
    login(client, quality_actors["users"]["officer"])
    page = client.get("/quality")
    assert page.status_code == 200 and "常住人口质量页面" in page.text and "问题最多的规则" in page.text
    page = client.get(f"/quality/resources/{res.id}")
    assert page.status_code == 200 and "14" in page.text
    # rules name the data items as the users know them, not by their identifiers
    assert "公民身份号码 唯一" in page.text and "sfzh 唯一" not in page.text
    assert "sfzh unique" in client.get(f"/quality/resources/{res.id}?lang=en").text
    token = page_csrf(page.text)
    r = client.post(
        f"/quality/resources/{res.id}/propose", data={"csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303
    proposals = service.list_rules(
        db, actor=quality_actors["officer"], resource_id=res.id, states=("proposed",)
    )
    r = client.post(
        f"/quality/rules/{proposals[0].id}/accept", data={"csrf_token": token}, follow_redirects=True
    )
    assert r.status_code == 200 and "已采纳规则建议。" in r.text
    r = client.post(
        f"/quality/resources/{res.id}/rules",
        data={"csrf_token": token, "kind": "pattern", "item": "xm", "params": '{"regex": "(("}'},
    )
    assert r.status_code == 422 and "正则表达式无法编译" in r.text
    r = client.post(f"/quality/resources/{res.id}/run", data={"csrf_token": token}, follow_redirects=True)
    assert r.status_code == 200 and "质量检测已完成。" in r.text
    page = client.get("/quality/tasks")
    assert page.status_code == 200 and "常住人口质量页面" in page.text
    english = client.get("/quality?lang=en")
    assert english.status_code == 200


def test_every_quality_page_string_has_english():
    import re
    from pathlib import Path

    from zhicheng.web.i18n import english_catalog

    root = Path(service.__file__).parent
    found: set[str] = set()
    for path in (root / "templates").rglob("*.html"):
        found.update(a or b for a, b in re.findall(r"""_\(\s*(?:"([^"]+)"|'([^']+)')""", path.read_text()))
    pages = (root / "pages.py").read_text()
    found.update(re.findall(r'"([^"]*[\u4e00-\u9fff][^"]*)"', pages.split("router = ")[1]))
    from zhicheng.quality import rules as R

    found.update(v[0] for v in R.DIMENSIONS.values())
    found.update(v[0] for v in R.KINDS.values())
    english = english_catalog()
    missing = sorted(s for s in found if re.search(r"[\u4e00-\u9fff]", s) and not english.get(s))
    assert not missing, f"add to src/zhicheng/quality/locale/en.po: {missing}"
