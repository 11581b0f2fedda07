"""The web shell without a browser: home, language switch, about, error pages and static assets."""

from __future__ import annotations

import pytest

HTML = {"accept": "text/html"}


def test_anonymous_home_welcomes_with_a_login_button(client):
    r = client.get("/", headers=HTML)
    assert r.status_code == 200
    assert '<html lang="zh-CN">' in r.text
    assert 'href="/login"' in r.text and "工作人员登录" in r.text
    assert '<meta name="csrf-token" content="' in r.text
    assert 'class="skip-link" href="#main"' in r.text
    # anonymous visitors see no staff navigation
    assert 'href="/catalog/review"' not in r.text and 'href="/audit"' not in r.text


def test_language_switch_sets_the_cookie_and_goes_back(client):
    r = client.get("/lang/en", params={"next": "/about?x=1&lang=zh-CN"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/about?x=1"
    assert "zhicheng_lang=en" in r.headers["set-cookie"]
    page = client.get("/about", headers=HTML)
    assert '<html lang="en">' in page.text and "Demo data: sources and licences" in page.text
    back = client.get("/lang/zh-CN", params={"next": "/"}, follow_redirects=False)
    assert back.headers["location"] == "/"
    assert "演示数据的来源与许可" in client.get("/about", headers=HTML).text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil"])
def test_language_switch_never_redirects_off_site(client, target):
    r = client.get("/lang/en", params={"next": target}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_unknown_language_is_a_clear_error(client):
    r = client.get("/lang/fr")
    assert r.status_code == 422
    body = r.json()
    assert body["field"] == "code" and "不支持的语言" in body["detail"]
    page = client.get("/lang/fr", headers=HTML)
    assert page.status_code == 422 and "不支持的语言" in page.text and 'href="/"' in page.text


def test_error_page_speaks_the_users_language_with_a_way_back(client):
    zh = client.get("/no/such/page", headers=HTML)
    assert zh.status_code == 404 and "页面或资源不存在" in zh.text and "返回首页" in zh.text
    en = client.get("/no/such/page?lang=en", headers=HTML)
    assert en.status_code == 404 and '<html lang="en">' in en.text and "Back to the home page" in en.text
    api = client.get("/api/v1/no-such-thing")
    assert api.headers["content-type"].startswith("application/problem+json")


def test_about_lists_the_demo_data_and_their_licences(client):
    r = client.get("/about", headers=HTML)
    assert r.status_code == 200
    assert "changsha_districts.geojson" in r.text and "CC BY 4.0" in r.text and "LICENSE.WTFPL" in r.text
    # in Chinese, the table speaks Chinese (SOURCES.zh.md); in English, SOURCES.md
    assert "北京 12 个国控站" in r.text and "one week (2017-02-01" not in r.text
    en = client.get("/about?lang=en", headers=HTML)
    assert "one week (2017-02-01" in en.text and "北京 12 个国控站" not in en.text


def test_about_reads_the_sources_table(tmp_path):
    from zhicheng.web.summary import about_sources

    (tmp_path / "SOURCES.md").write_text("# x\n\n| file | what | source | licence |\n| --- | --- | --- | --- |\n"
                                         "| `a.csv` | *rows* | somewhere | MIT |\n\nafter | not | a row |\n",
                                         encoding="utf-8")
    assert about_sources(tmp_path) == [{"file": "a.csv", "description": "rows", "source": "somewhere",
                                        "licence": "MIT"}]
    (tmp_path / "SOURCES.zh.md").write_text("| 文件 | 内容 | 来源 | 许可 |\n| --- | --- | --- | --- |\n"
                                            "| `a.csv` | 行 | 某处 | MIT |\n", encoding="utf-8")
    assert about_sources(tmp_path, lang="zh-CN")[0]["description"] == "行"
    assert about_sources(tmp_path, lang="en")[0]["description"] == "rows"
    (tmp_path / "SOURCES.md").unlink()
    (tmp_path / "b.csv").write_text("x\n", encoding="utf-8")
    assert about_sources(tmp_path)[0]["file"] == "b.csv"
    assert about_sources(tmp_path / "missing") == []


def test_static_assets_are_served_with_their_licences(client):
    for path in ("/static/zhicheng.css", "/static/zhicheng.js", "/static/vendor/htmx.org/htmx.min.js",
                 "/static/vendor/htmx.org/LICENSE", "/static/vendor/modern-normalize/modern-normalize.css",
                 "/static/vendor/modern-normalize/LICENSE"):
        assert client.get(path).status_code == 200, path
    assert "X-CSRF-Token" in client.get("/static/zhicheng.js").text


def test_navigation_shows_only_what_the_roles_allow():
    from zhicheng.core.actor import ANONYMOUS, Actor
    from zhicheng.web.app import ROUTERS
    from zhicheng.web.navigation import collect_navigation, flat

    nav = collect_navigation(ROUTERS)

    def visible_nav(actor, path="/"):
        return flat(nav.visible(actor, path))

    def labels(actor, path="/"):
        return [e["label"] for e in visible_nav(actor, path)]

    def bar(actor):
        return [e["label"] for e in nav.visible(actor, "/")]

    # a visitor sees the open layers' feature service in the map group (一张图), nothing of the data centre
    assert labels(ANONYMOUS) == ["首页", "开放数据", "要素服务", "关于"]
    assert bar(ANONYMOUS) == ["首页", "开放数据", "一张图", "关于"]
    user = Actor(kind="user", user_id=1, username="u", roles=frozenset({"dept_user"}))
    assert labels(user) == ["首页", "开放数据", "数据目录", "我的申请", "授权", "一张图", "地址查询", "要素服务", "单元网格",
                            "专题统计", "设备", "告警台", "告警规则", "隔离数据", "关于"]
    assert bar(user) == ["首页", "开放数据", "数据中心", "一张图", "物联感知", "关于"]
    assert "系统管理" not in bar(user)  # groups with no entry for the actor are hidden
    assert "待审批" not in labels(user)
    officer = Actor(kind="user", user_id=2, username="o", roles=frozenset({"data_officer"}))
    assert "登记资源" in labels(officer) and "审核" not in labels(officer)
    admin = Actor(kind="user", user_id=3, username="a", roles=frozenset({"admin"}))
    assert {"审核", "部门与用户", "登记资源", "共享指标", "脱敏规则"} <= set(labels(admin)) and "审计" not in labels(admin)
    assert bar(admin) == ["首页", "开放数据", "数据中心", "一张图", "物联感知", "系统管理", "关于"]
    leader = Actor(kind="user", user_id=5, username="l", roles=frozenset({"leader"}))
    assert "共享指标" in labels(leader) and "脱敏规则" not in labels(leader)
    assert {"数据质量", "数据血缘"} <= set(labels(officer)) and "基础库" not in labels(officer)
    assert {"数据质量", "基础库", "数据血缘"} <= set(labels(admin))
    auditor = Actor(kind="user", user_id=4, username="x", roles=frozenset({"auditor"}))
    assert "审计" in labels(auditor) and "审核" not in labels(auditor)
    current = [e["label"] for e in visible_nav(admin, "/catalog/new") if e["current"]]
    assert current == ["登记资源"]  # the most specific entry only
    assert [e["label"] for e in visible_nav(admin, "/catalog/12") if e["current"]] == ["数据目录"]
    assert [e["label"] for e in nav.visible(admin, "/catalog/12") if e["current"]] == ["数据中心"]


def test_a_domain_adds_its_entries_through_register_nav():
    """A coming domain (the map) registers its entries in one place; its group appears for whom may use them."""
    import types

    import pytest

    from zhicheng.core.actor import ANONYMOUS, Actor
    from zhicheng.web.navigation import Navigation

    def nav_entries(nav):
        nav.register_nav("map", "图层", "/map/layers", order=20)
        nav.register_nav("map", "地图", "/map", order=10)
        nav.register_nav("map", "图层管理", "/map/admin", roles=("admin",), order=30)
        nav.register_nav(None, "帮助", "/help", public=True, order=95)

    nav = Navigation().collect([types.SimpleNamespace(nav_entries=nav_entries), None])
    user = Actor(kind="user", user_id=1, username="u", roles=frozenset({"dept_user"}))
    admin = Actor(kind="user", user_id=2, username="a", roles=frozenset({"admin"}))
    (group, help_link) = nav.visible(user, "/map/layers/3")
    assert group["label"] == "一张图" and group["key"] == "map" and group["current"]
    assert [(e["label"], e["current"]) for e in group["entries"]] == [("地图", False), ("图层", True)]
    assert help_link == {"label": "帮助", "href": "/help", "current": False}
    assert [e["label"] for e in nav.visible(admin, "/")[0]["entries"]] == ["地图", "图层", "图层管理"]
    assert nav.visible(ANONYMOUS, "/") == [help_link]  # no entry of the group for a visitor: no group
    nav.register_nav("map", "地图首页", "/map")  # the same href again replaces the entry
    assert [e["label"] for e in nav.visible(user, "/")[0]["entries"]] == ["图层", "地图首页"]
    with pytest.raises(ValueError, match="unknown navigation group"):
        nav.register_nav("maps", "x", "/x")


def test_the_navigation_is_data_too(client, login, make_user, departments):
    """GET /api/v1/navigation: what the bar shows this caller, in their language (for the coming cockpit pages)."""
    anonymous = client.get("/api/v1/navigation")
    assert anonymous.status_code == 200
    assert [e["label"] for e in anonymous.json()] == ["首页", "开放数据", "一张图", "关于"]
    (visitor_map,) = [e for e in anonymous.json() if e.get("key") == "map"]
    assert [e["label"] for e in visitor_map["entries"]] == ["要素服务"]  # only the open layers' feature service
    login(client, make_user("lead", roles=["leader"], department=departments["data_bureau"]))
    bar = client.get("/api/v1/navigation", params={"path": "/exchange/kpis", "lang": "en"}).json()
    data = next(e for e in bar if e.get("key") == "data")
    assert data["label"] == "Data centre" and data["current"] and data["href"] is None
    assert {"label": "Sharing KPIs", "href": "/exchange/kpis", "current": True} in data["entries"]
    assert not any(e.get("key") == "system" for e in bar)
