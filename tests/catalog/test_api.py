"""The catalog API: the same story over HTTP with bearer tokens, problem+json errors with the field, CSRF."""

from __future__ import annotations

from tests.helpers.catalog import resource_data
from zhicheng.catalog import service as catalog

API = "/api/v1/catalog"


def test_register_submit_review_over_http(client, db, make_user, departments, auth_headers):
    officer = make_user("police_do", roles=["data_officer"], department=departments["police"])
    admin = make_user("bureau_admin", roles=["admin"], department=departments["data_bureau"])
    reader = make_user("housing_reader", roles=["dept_user"], department=departments["housing"])
    h_off, h_adm, h_read = auth_headers(officer), auth_headers(admin), auth_headers(reader)

    r = client.post(f"{API}/resources", json=resource_data(), headers=h_off)
    assert r.status_code == 201, r.text
    res = r.json()
    assert res["state"] == "draft" and res["department"]["name"] == "长沙市公安局"
    assert res["code"].startswith("101") and res["labels"]["share_type"] == "有条件共享"
    rid = res["id"]

    assert client.get(f"{API}/resources/{rid}", headers=h_read).status_code == 403
    r = client.patch(f"{API}/resources/{rid}", json={"tags": ["人口", "身份核验"], "items": None}, headers=h_off)
    assert r.status_code == 200 and r.json()["tags"] == ["人口", "身份核验"] and len(r.json()["items"]) == 4
    assert client.post(f"{API}/resources/{rid}/submit", json={"comment": "请审核"}, headers=h_off).status_code == 200
    queue = client.get(f"{API}/review-queue", headers=h_adm).json()
    assert [q["id"] for q in queue] == [rid]
    assert client.get(f"{API}/review-queue", headers=h_off).status_code == 403

    r = client.post(f"{API}/resources/{rid}/review", json={"decision": "return"}, headers=h_adm)
    assert r.status_code == 422 and r.json()["field"] == "comment"
    r = client.post(f"{API}/resources/{rid}/review", json={"decision": "return", "comment": "请补充"}, headers=h_adm)
    assert r.json()["state"] == "returned"
    client.post(f"{API}/resources/{rid}/submit", headers=h_off)
    r = client.post(f"{API}/resources/{rid}/review", json={"decision": "publish"}, headers=h_adm)
    assert r.json()["state"] == "published" and r.json()["publish_date"]

    seen = client.get(f"{API}/resources/{rid}", headers=h_read).json()
    assert seen["view"] == "pub" and seen["revision"] == 1
    assert client.get(f"{API}/by-code/{res['code']}", headers=h_read).json()["id"] == rid
    assert client.post(f"{API}/resources/{rid}/revise", headers=h_off).json()["state"] == "draft"
    revs = client.get(f"{API}/resources/{rid}/revisions", headers=h_read).json()
    assert [v["revision"] for v in revs] == [1]
    hist = client.get(f"{API}/resources/{rid}/history", headers=h_off).json()
    assert [h["action"] for h in hist] == ["create", "submit", "return", "submit", "publish", "revise"]
    assert hist[2]["comment"] == "请补充"

    r = client.post(f"{API}/resources/{rid}/withdraw", json={"reason": "停止更新"}, headers=h_off)
    assert r.status_code == 409 and r.json()["field"] == "state"  # a draft revision is not published


def test_another_departments_officer_gets_403_and_nothing_changes(client, make_user, departments, auth_headers,
                                                                  make_resource):
    res = make_resource("常住人口基本信息", department=departments["police"])
    owner = make_user("police_do2", roles=["data_officer"], department=departments["police"])
    intruder = make_user("housing_do", roles=["data_officer"], department=departments["housing"])
    before = client.get(f"{API}/resources/{res.id}", headers=auth_headers(owner)).json()
    h = auth_headers(intruder)
    for method, path, body in (("patch", "", {"summary": "篡改的摘要"}), ("post", "/submit", {}),
                               ("post", "/review", {"decision": "publish"}), ("post", "/revise", {})):
        r = client.request(method.upper(), f"{API}/resources/{res.id}{path}", json=body, headers=h)
        assert r.status_code == 403, (path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    after = client.get(f"{API}/resources/{res.id}", headers=auth_headers(owner)).json()
    assert after == before


def test_errors_are_problem_json_with_field(client, make_user, departments, auth_headers):
    officer = make_user("police_do", roles=["data_officer"], department=departments["police"])
    h = auth_headers(officer)
    r = client.post(f"{API}/resources", json=resource_data(share_type="不予共享", share_basis=None, open_type="none"),
                    headers=h)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "share_basis" and "依据" in r.json()["detail"]
    r = client.post(f"{API}/resources?lang=en", json=resource_data(share_type="none", open_type="none"), headers=h)
    assert r.json()["field"] == "share_basis" and "legal basis" in r.json()["detail"]
    bad_items = resource_data(items=[{"name": "Name", "label": "姓名"}])
    assert client.post(f"{API}/resources", json=bad_items, headers=h).json()["field"] == "items.0.name"
    wrong_type = resource_data(items=[{"name": "xm", "label": "姓名", "length": "很长"}])
    r = client.post(f"{API}/resources", json=wrong_type, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "items.0.length"
    assert client.get(f"{API}/resources/999999", headers=h).status_code == 404
    assert client.get(f"{API}/by-code/12345", headers=h).json()["field"] == "code"
    assert client.get(f"{API}/resources").status_code == 401


def test_cookie_session_needs_csrf(client, db, make_user, departments, login):
    officer = make_user("police_do", roles=["data_officer"], department=departments["police"])
    token = login(client, officer)
    r = client.post(f"{API}/resources", json=resource_data())
    assert r.status_code == 403
    assert catalog.count_resources(db) == 0
    r = client.post(f"{API}/resources", json=resource_data(), headers={"X-CSRF-Token": token})
    assert r.status_code == 201, r.text


def test_search_and_facets_over_http(client, make_user, departments, auth_headers, make_resource):
    make_resource("常住人口基本信息", state="published")
    make_resource("机动车登记信息", state="published", summary="机动车登记与年检信息", tags=["交通"],
                  catalog_class="department", subclass=None,
                  items=[{"name": "hphm", "label": "号牌号码"}], share_type="unconditional", share_condition=None)
    reader = make_user("housing_reader", roles=["dept_user"], department=departments["housing"])
    h = auth_headers(reader)
    body = client.get(f"{API}/resources", params={"q": "人口"}, headers=h).json()
    assert [i["name"] for i in body["items"]] == ["常住人口基本信息"] and body["total"] == 1
    body = client.get(f"{API}/resources", params={"share_type": "unconditional"}, headers=h).json()
    assert [i["name"] for i in body["items"]] == ["机动车登记信息"]
    share = {f["value"]: f["count"] for f in body["facets"]["share_type"]}
    assert share == {"unconditional": 1, "conditional": 1}
    vocab = client.get(f"{API}/vocabularies", headers=h).json()
    assert {"value": "conditional", "label": "有条件共享", "label_en": "Shared on conditions"} in vocab["share_type"]
    assert [v["label"] for v in vocab["subclass.base"]] == ["人口", "法人", "自然资源和空间地理", "社会信用", "电子证照"]
    r = client.get(f"{API}/facets", params={"share_type": "bogus"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "share_type"
