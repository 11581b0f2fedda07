"""Catalog pages without a browser: who may open what, the form's errors next to fields, the lifecycle buttons."""

from __future__ import annotations

import re

from tests.helpers.accounts import page_csrf

HTML = {"accept": "text/html"}


def form_data(csrf: str, **overrides) -> dict:
    data = {
        "csrf_token": csrf, "name": "城市道路桥梁台账", "catalog_class": "theme", "subclass": "urban_rural",
        "summary": "全市城市道路与桥梁的基础台账，含养护单位与建成年份。", "format": "spreadsheet",
        "file_formats": "csv, xlsx", "update_cycle": "monthly", "share_type": "unconditional",
        "share_method": "api", "open_type": "unconditional", "tags": "道路 桥梁",
        "items-0-name": "dlmc", "items-0-label": "道路名称", "items-0-type": "string", "items-0-length": "100",
        "items-0-required": "1", "items-0-sensitivity": "general",
        "items-7-name": "jcnf", "items-7-label": "建成年份", "items-7-type": "integer",
        "items-7-sensitivity": "general",
        "items-9-name": "", "items-9-label": "", "items-9-type": "string", "items-9-sensitivity": "general",
    }
    data.update(overrides)
    return data


def test_anonymous_visitors_are_sent_to_login(client):
    for path in ("/catalog", "/catalog/new", "/catalog/review", "/catalog/1", "/catalog/1/edit"):
        r = client.get(path, headers=HTML, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?next=" + path), r.headers["location"]
    api_like = client.get("/catalog")
    assert api_like.status_code == 401


def test_search_facets_and_detail(client, login, make_user, departments, make_resource):
    make_resource("常住人口基本信息", state="published")
    make_resource("城市道路桥梁台账", department=departments["housing"], state="published",
                  catalog_class="theme", subclass="urban_rural", tags=["道路"],
                  summary="全市城市道路与桥梁的基础台账。", items=[
                      {"name": "dlmc", "label": "道路名称", "type": "string", "length": 100}])
    draft = make_resource("公安草稿资源", state="draft")
    user = make_user("zhang", roles=["dept_user"], department=departments["housing"])
    login(client, user)

    page = client.get("/catalog", params={"q": "人口"}, headers=HTML)
    assert page.status_code == 200
    assert "常住人口基本信息" in page.text and "城市道路桥梁台账" not in page.text
    # a draft of another department never shows up
    assert "公安草稿资源" not in client.get("/catalog", headers=HTML).text

    theme = client.get("/catalog", params={"catalog_class": "theme"}, headers=HTML)
    assert "城市道路桥梁台账" in theme.text and "常住人口基本信息" not in theme.text
    assert re.search(r'name="catalog_class" value="theme"[^>]*checked', theme.text)

    detail_id = re.search(r'href="/catalog/(\d+)">常住人口基本信息', page.text).group(1)
    detail = client.get(f"/catalog/{detail_id}", headers=HTML)
    assert detail.status_code == 200
    assert "公民身份号码" in detail.text and "badge-personal" in detail.text and "重要" in detail.text
    assert f'href="/catalog/{detail_id}/versions"' in detail.text
    # someone else's draft is not theirs to open
    assert client.get(f"/catalog/{draft.id}", headers=HTML).status_code == 403
    assert client.get("/catalog/999999", headers=HTML).status_code == 404
    for bad in ("/catalog/99999999999999999999", "/catalog/0", f"/catalog/{detail_id}/revisions/99999999999999999999"):
        assert client.get(bad, headers=HTML).status_code == 422, bad  # a clear error, not a driver overflow
    assert client.get("/catalog", params={"state": "nope"}, headers=HTML).status_code == 422
    # and they may not register
    assert client.get("/catalog/new", headers=HTML).status_code == 403


def test_register_shows_errors_next_to_the_field_and_keeps_the_input(client, login, make_user, departments):
    officer = make_user("li", roles=["data_officer"], department=departments["police"])
    login(client, officer)
    csrf = page_csrf(client.get("/catalog/new", headers=HTML).text)

    bad = client.post("/catalog/new", data=form_data(csrf, **{"items-7-name": "建成年份"}), headers=HTML)
    assert bad.status_code == 422
    assert 'id="items-1-name-e"' in bad.text and "信息项标识" in bad.text and 'href="#items-1-name"' in bad.text
    assert 'value="城市道路桥梁台账"' in bad.text  # what was typed stays

    missing = client.post("/catalog/new", data=form_data(csrf, share_type="conditional"), headers=HTML)
    assert missing.status_code == 422 and 'id="e-share_condition"' in missing.text
    assert 'href="#f-share_condition"' in missing.text

    no_csrf = client.post("/catalog/new", data=form_data("forged"), headers=HTML)
    assert no_csrf.status_code == 403

    ok = client.post("/catalog/new", data=form_data(csrf), headers=HTML, follow_redirects=False)
    assert ok.status_code == 303
    url = ok.headers["location"]
    detail = client.get(url, headers=HTML)
    assert "数据资源已登记为草稿" in detail.text
    assert "道路名称" in detail.text and "建成年份" in detail.text
    assert "数据资源已登记为草稿" not in client.get(url, headers=HTML).text  # a flash shows once

    edit = client.get(url + "/edit", headers=HTML)
    assert edit.status_code == 200 and 'value="jcnf"' in edit.text
    changed = client.post(url + "/edit", data=form_data(csrf, summary="修改后的摘要：全市道路桥梁台账。"),
                          headers=HTML, follow_redirects=False)
    assert changed.status_code == 303
    assert "修改后的摘要" in client.get(url, headers=HTML).text


def test_submit_review_publish_and_return(client, login, make_user, departments, make_resource):
    officer = make_user("li", roles=["data_officer"], department=departments["police"])
    admin = make_user("wang", roles=["admin"], department=departments["data_bureau"])
    res = make_resource("流动人口登记信息", state="draft")
    other = make_resource("暂住证办理记录", state="submitted")

    csrf = login(client, officer)
    r = client.post(f"/catalog/{res.id}/submit", data={"csrf_token": csrf}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    assert "已提交审核" in client.get(f"/catalog/{res.id}", headers=HTML).text
    again = client.post(f"/catalog/{res.id}/submit", data={"csrf_token": csrf}, headers=HTML)
    assert again.status_code == 200 and "不能执行此操作" in again.text  # shown as a flash, not a traceback
    assert client.get("/catalog/review", headers=HTML).status_code == 403

    client.post("/logout", data={"csrf_token": csrf})
    csrf = login(client, admin)
    queue = client.get("/catalog/review", headers=HTML)
    assert queue.status_code == 200 and "流动人口登记信息" in queue.text and "暂住证办理记录" in queue.text

    no_comment = client.post(f"/catalog/{other.id}/review", headers=HTML,
                             data={"csrf_token": csrf, "decision": "return", "comment": "", "next": "/catalog/review"})
    assert no_comment.status_code == 422 and f'id="comment-{other.id}-e"' in no_comment.text

    back = client.post(f"/catalog/{other.id}/review", follow_redirects=False, headers=HTML,
                       data={"csrf_token": csrf, "decision": "return", "comment": "请补充共享条件",
                             "next": "/catalog/review"})
    assert back.status_code == 303 and back.headers["location"] == "/catalog/review"
    pub = client.post(f"/catalog/{res.id}/review", follow_redirects=False, headers=HTML,
                      data={"csrf_token": csrf, "decision": "publish", "next": "https://evil.example/"})
    assert pub.headers["location"] == f"/catalog/{res.id}"
    detail = client.get(f"/catalog/{res.id}", headers=HTML).text
    assert "已发布" in detail and "badge-state-published" in detail
    assert f'href="/catalog/{res.id}/revisions/1"' in detail
    revision = client.get(f"/catalog/{res.id}/revisions/1", headers=HTML)
    assert revision.status_code == 200 and "公民身份号码" in revision.text and "第 1 版" in revision.text
    assert client.get(f"/catalog/{res.id}/revisions/9", headers=HTML).status_code == 404
    assert "请补充共享条件" in client.get(f"/catalog/{other.id}", headers=HTML).text
    assert "目前没有待审核的数据资源" in client.get("/catalog/review", headers=HTML).text


def test_home_counts_come_from_the_catalog(client, login, make_user, departments, make_resource):
    make_resource("常住人口基本信息", state="published")
    make_resource("公安草稿资源", state="draft")
    admin = make_user("wang", roles=["admin"], department=departments["data_bureau"])
    login(client, admin)
    home = client.get("/", headers=HTML)
    assert home.status_code == 200
    assert "常住人口基本信息" in home.text  # newest published
    assert 'href="/catalog/review"' in home.text and 'href="/admin' in home.text
    assert re.search(r'stat-value">1</span>\s*<span class="stat-label">已发布资源', home.text)
    english = client.get("/?lang=en", headers=HTML)
    assert "Published resources" in english.text and "Base resources" in english.text


def test_detail_previews_the_newest_data_version(client, login, make_user, departments, make_resource, db, tmp_path):
    from zhicheng.accounts import service as accounts
    from zhicheng.catalog.datasets import service as datasets

    officer = make_user("li", roles=["data_officer"], department=departments["police"])
    res = make_resource("道路名录", state="draft", items=[
        {"name": "dlmc", "label": "道路名称", "type": "string", "length": 100, "required": True},
        {"name": "cd", "label": "长度（米）", "type": "integer"}])
    csv = tmp_path / "roads.csv"
    csv.write_text("道路名称,长度（米）\n麓山路,3200\n五一大道,8700\n", encoding="utf-8")
    report = datasets.import_file(db, actor=accounts.actor_for(officer), resource_id=res.id, path=csv,
                                  filename="roads.csv")
    assert report.ok, report
    login(client, officer)
    page = client.get(f"/catalog/{res.id}", headers=HTML).text
    assert "roads.csv" in page and "麓山路" in page and "五一大道" in page
    assert re.search(r"<th scope=\"col\">道路名称<br><code[^>]*>dlmc</code>", page)
    assert f'href="/catalog/{res.id}/import"' in page


def test_withdraw_needs_a_reason_and_revise_opens_a_draft(client, login, make_user, departments, make_resource):
    officer = make_user("li", roles=["data_officer"], department=departments["police"])
    res = make_resource("常住人口基本信息", state="published")
    csrf = login(client, officer)
    detail = client.get(f"/catalog/{res.id}", headers=HTML).text
    assert f'action="/catalog/{res.id}/withdraw"' in detail and f'action="/catalog/{res.id}/revise"' in detail
    assert f'href="/catalog/{res.id}/edit"' not in detail  # published: revise first
    edit = client.get(f"/catalog/{res.id}/edit", headers=HTML)
    assert edit.url.path == f"/catalog/{res.id}" and "请先发起修订" in edit.text

    empty = client.post(f"/catalog/{res.id}/withdraw", data={"csrf_token": csrf, "reason": " "}, headers=HTML)
    assert empty.status_code == 200 and "请填写撤销原因" in empty.text and "flash-error" in empty.text
    done = client.post(f"/catalog/{res.id}/withdraw", data={"csrf_token": csrf, "reason": "数据已停止更新"},
                       headers=HTML)
    assert "数据资源已撤销" in done.text and "数据已停止更新" in done.text and "badge-state-withdrawn" in done.text

    revised = client.post(f"/catalog/{res.id}/revise", data={"csrf_token": csrf}, headers=HTML)
    assert "已发起修订" in revised.text and f'href="/catalog/{res.id}/edit"' in revised.text
    history = revised.text.split('id="history-title"')[1]
    assert history.index("发起修订") < history.index("撤销发布") < history.index("审核发布")  # newest first


def test_an_htmx_fragment_does_not_use_up_a_flash(client, login, make_user, departments, make_resource):
    officer = make_user("li", roles=["data_officer"], department=departments["police"])
    res = make_resource("流动人口登记信息", state="draft")
    csrf = login(client, officer)
    r = client.post(f"/catalog/{res.id}/submit", data={"csrf_token": csrf}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and "zhicheng_flash=" in r.headers["set-cookie"]
    fragment = client.get("/catalog", headers={**HTML, "HX-Request": "true"})
    assert "已提交审核" not in fragment.text and "set-cookie" not in fragment.headers
    assert "已提交审核" in client.get(f"/catalog/{res.id}", headers=HTML).text
    client.cookies.set("zhicheng_flash", "tampered")
    page = client.get("/catalog", headers=HTML)
    assert page.status_code == 200 and 'class="flashes"' not in page.text  # a forged flash cookie is ignored


def test_results_come_in_pages_that_keep_the_filters(client, login, make_user, departments, make_resource):
    for n in range(23):
        make_resource(f"网格事件台账{n:02d}", state="published")
    user = make_user("zhang", roles=["dept_user"], department=departments["housing"])
    login(client, user)
    first = client.get("/catalog", params={"q": "网格", "state": "published"}, headers=HTML).text
    assert "共找到 23 个数据资源" in first and first.count('class="card"') == 20
    assert "第 1 / 2 页" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "state=published" in next_link and "q=" in next_link and "page=2" in next_link
    second = client.get(next_link, headers=HTML).text
    assert second.count('class="card"') == 3 and 'rel="prev"' in second
    assert client.get("/catalog?page=0", headers=HTML).status_code == 422
