"""The demo city loads through the services, once: departments, users per role, catalog, datasets."""

from __future__ import annotations

import pytest

from zhicheng.accounts import service as accounts
from zhicheng.catalog import service as catalog
from zhicheng.catalog.datasets import service as datasets
from zhicheng.core.db import make_sessionmaker
from zhicheng.core.ids import citizen_id, credit_code
from zhicheng.demo import city
from zhicheng.demo.loader import is_loaded, load_demo, resource_specs
from zhicheng.demo.marker import remove_marker
from zhicheng.hookspecs import hookimpl, plugin_manager

SMALL = {"people": 300, "enterprises": 80}  # the full sizes are exercised by the CLI test


@pytest.fixture
def factory(engine):
    return make_sessionmaker(engine)


def _rows(db, actor, resource_id, version=None):
    """Every row of a version, read page by page as a user would."""
    out, offset = [], 0
    while True:
        columns, rows = datasets.read_rows(db, actor=actor, resource_id=resource_id, version=version, limit=1000,
                                           offset=offset)
        out.extend(dict(zip(columns, row, strict=False)) for row in rows)
        if len(rows) < 1000:
            return out
        offset += 1000


def _resource_ids(db, admin) -> dict[str, int]:
    items, _total = catalog.list_resources(db, actor=admin, page=1, size=100)
    return {item["name"]: item["id"] for item in items}


def test_the_demo_city_is_loaded_through_the_services(settings, factory, monkeypatch):
    monkeypatch.setenv("ZHICHENG_DEMO_PASSWORD", "Changsha2026demo")
    result = load_demo(settings, factory, **SMALL)
    assert result.loaded and is_loaded(settings, factory)

    with factory() as db:
        depts = {d.name: d for d in accounts.list_departments(db)}
        assert depts["长沙市人民政府"].region_code == "430100" and depts["长沙市人民政府"].kind == "city"
        for bureau in city.BUREAUS:
            assert depts[bureau.name].kind == "bureau" and depts[bureau.name].name_en == bureau.name_en
        districts = {d.region_code: d.name for d in depts.values() if d.kind == "district"}
        assert districts == {"430102": "长沙市芙蓉区人民政府", "430103": "长沙市天心区人民政府",
                             "430104": "长沙市岳麓区人民政府", "430105": "长沙市开福区人民政府",
                             "430111": "长沙市雨花区人民政府", "430112": "长沙市望城区人民政府",
                             "430121": "长沙市长沙县人民政府", "430181": "浏阳市人民政府", "430182": "宁乡市人民政府"}
        streets = [d for d in depts.values() if d.kind == "street"]
        assert len(streets) == 172 and all(d.region_code[:6] in districts for d in streets)

        # every role can sign in with the shared demo password
        for spec in city.USERS:
            user = accounts.authenticate(db, username=spec.username, password="Changsha2026demo", settings=settings)
            assert set(spec.roles) <= user.roles
        admin = accounts.actor_for(accounts.get_user_by_username(db, "admin"))
        assert {"admin", "data_officer", "dept_user", "operator", "inspector", "handler", "leader",
                "auditor"} <= {r for spec in city.USERS for r in spec.roles}

        # the catalog: at least 40 resources, most published, some waiting for the admin
        states = catalog.count_by_state(db, actor=admin)
        # the bundled resources, plus the population base database, its two generated sources and the defective
        # sample that gives the quality dashboard its trend
        assert sum(states.values()) == len(resource_specs()) + 4 and len(resource_specs()) >= 40
        assert states["published"] >= 30 and states["draft"] and states["submitted"] and states["returned"]
        assert len(catalog.review_queue(db, actor=admin)) == states["submitted"]
        ids = _resource_ids(db, admin)
        refused = [s for s in resource_specs() if s["share_type"] == "none"]
        assert refused and all("《中华人民共和国" in s["share_basis"] for s in refused)
        resident = catalog.read_resource(db, actor=admin, resource_id=ids["常住人口基本信息"])
        assert resident["department"]["name"] == "长沙市公安局" and resident["state"] == "published"
        assert "系统生成" in resident["summary"]
        assert {i["name"]: i["check"] for i in resident["items"]}["citizen_id"] == "citizen_id"
        licence = catalog.read_resource(db, actor=admin, resource_id=ids["营业执照（电子证照）"])
        firms_code = catalog.read_resource(db, actor=admin, resource_id=ids["市场主体登记信息"])["code"]
        assert licence["related_codes"] == [firms_code]

        # generated data imported as versions: people with valid IDs whose sex digit matches
        police = accounts.actor_for(accounts.get_user_by_username(db, "police_officer"))
        market = accounts.actor_for(accounts.get_user_by_username(db, "market_officer"))
        people = _rows(db, police, ids["常住人口基本信息"])  # the provider reads its own data plain
        assert len(people) == SMALL["people"]
        assert all("*" in p["citizen_id"] for p in _rows(db, admin, ids["常住人口基本信息"]))  # others: masked
        for person in people:
            info = citizen_id.parse(person["citizen_id"])
            assert person["citizen_id"][:6] in districts
            assert person["sex"] == {"M": "男", "F": "女"}[info.sex]
            assert str(person["birth_date"])[:10] == info.birth_date.isoformat()
        firms = _rows(db, market, ids["市场主体登记信息"])
        assert len(firms) == SMALL["enterprises"]
        assert all(credit_code.is_valid(f["credit_code"]) and f["credit_code"][2:6] == "4301" for f in firms)
        # sharing requests made through the exchange: granted (narrowed), granted at once, refused, waiting
        from zhicheng.exchange import service as exchange

        asker = accounts.actor_for(accounts.get_user_by_username(db, "dept_user"))
        states = {r.resource_name: r.state for r in exchange.my_requests(db, actor=asker)}
        assert states == {"常住人口基本信息": "granted", "居民电子健康档案": "refused"}
        grant = exchange.grant_of(db, next(r.id for r in exchange.my_requests(db, actor=asker)
                                           if r.state == "granted"))
        assert len(grant.items) == 2  # the provider narrowed the items asked for
        assert [r.resource_name for r in exchange.inbox(db, actor=market)] == ["企业年度报告信息"]
        versions = datasets.list_versions(db, actor=admin, resource_id=ids["空气质量监测小时数据"])
        assert sorted(v.version for v in versions) == [1, 2]
        assert len(_rows(db, admin, ids["空气质量监测小时数据"], version=2)) == 12 * 24 * 7
        assert len(_rows(db, admin, ids["城市部件"])) == 8 * 170  # on the 170 street units of 2025
        assert len(_rows(db, admin, ids["街道（乡镇）近似边界"])) == 170  # the approximate geography (geo)
        assert len(_rows(db, admin, ids["失信被执行人信息"])) == SMALL["enterprises"]
        divisions = _rows(db, admin, ids["行政区划"])
        assert {r["code"]: r["name"] for r in divisions}["430104"] == "岳麓区"

        # the open-data portal: both plan targets met, portal users with an approved application and a key,
        # moderated comments, an answered request, a shown app, and a month of usage
        from zhicheng.opendata import service as portal
        from zhicheng.opendata.interaction import service as interaction
        from zhicheng.opendata.stats import service as stats

        kpis = stats.kpis(db)
        assert kpis["open_rate_met"] and kpis["coverage_met"]
        assert {a.state for a in portal.staff_applications(db, actor=admin)} == {"approved", "pending"}
        assert interaction.approved_comments(db, ids["空气质量监测小时数据"])
        assert [r.state for r in interaction.list_requests(db)] == ["answered"]
        assert [a.name for a in interaction.list_apps(db)] == ["星城出行"]
        # every dataset the portal shows holds data, and the shown app names the datasets it really uses
        opened = stats.open_resource_ids(db)
        assert len(opened) >= 27
        empty = [rid for rid in opened if not datasets.list_versions(db, actor=admin, resource_id=rid)]
        assert empty == []
        (app,) = interaction.list_apps(db)
        used = {catalog.read_resource(db, actor=admin, resource_id=r)["name"] for r in app.resource_ids}
        assert used == {"公交线路", "公共停车场"}
        # the population base database, assembled from two departments' sources, with conflicts and lineage
        from zhicheng.basedb import service as basedb
        from zhicheng.lineage import service as lineage

        assert result.counts["lineage_versions"] >= 10
        (population,) = basedb.list_assemblies(db, actor=admin)
        assert population["template"] == "population" and population["last_run"]["state"] == "succeeded"
        assert lineage.graph(db, actor=admin, resource_id=population["resource_id"], direction="up")["edges"]
        # the quality dashboard has real findings, and correction tasks went back to their owners
        from zhicheng.quality import service as quality

        board = quality.dashboard(db, actor=admin)
        assert len(board["resources"]) >= 10 and board["worst_rules"] and board["open_tasks"]
        assert stats.totals(db)["views"] > 100 and sum(1 for d in stats.daily(db) if d["views"]) >= 28


class RainScenario:
    """A scenario plugin that brings one resource of its own, with data, into the demo city."""

    def __init__(self, folder):
        self.folder, self.calls = folder, 0

    @hookimpl
    def zhicheng_demo_data(self, context):
        self.calls += 1
        officer = context.actor("water_officer")
        res = catalog.create_resource(context.db, actor=officer, data={
            "name": "积水点监测", "catalog_class": "theme", "subclass": "emergency", "summary": "城市易积水点水深监测。",
            "format": "数据库", "share_type": "unconditional", "share_method": "api", "open_type": "unconditional", "update_cycle": "realtime",
            "items": [{"name": "point", "label": "积水点", "required": True},
                      {"name": "depth_cm", "label": "水深（厘米）", "type": "integer"}]})
        path = self.folder / "ponding.csv"
        path.write_text("point,depth_cm\n五一广场下穿隧道,12\n湘府路立交,3\n", encoding="utf-8")
        report = context.import_csv("water_officer", res.id, path)
        context.counts["rows.ponding"] = report.row_count


def test_a_second_load_changes_nothing_and_keeps_what_users_did(settings, factory, tmp_path):
    pm = plugin_manager()
    scenario = RainScenario(tmp_path)
    pm.register(scenario)
    first = load_demo(settings, factory, plugins=pm, **SMALL)
    assert first.loaded and first.counts["rows.ponding"] == 2 and scenario.calls == 1
    with factory() as db:
        officer = accounts.actor_for(accounts.get_user_by_username(db, "eco_officer"))
        admin = accounts.actor_for(accounts.get_user_by_username(db, "admin"))
        ids = _resource_ids(db, admin)
        draft = ids["建设项目环境影响评价审批"]
        catalog.update_resource(db, actor=officer, resource_id=draft, data={"summary": "用户修改后的摘要"})
        before = catalog.count_by_state(db, actor=admin)

    again = load_demo(settings, factory, plugins=pm, **SMALL)
    assert not again.loaded and scenario.calls == 1
    with factory() as db:
        assert catalog.read_resource(db, actor=admin, resource_id=draft)["summary"] == "用户修改后的摘要"
        assert catalog.count_by_state(db, actor=admin) == before
        assert len(datasets.list_versions(db, actor=admin, resource_id=ids["常住人口基本信息"])) == 1
        assert len(datasets.list_versions(db, actor=admin, resource_id=ids["积水点监测"])) == 1


def test_an_interrupted_load_resumes_without_duplicates(settings, factory):
    load_demo(settings, factory, **SMALL)
    remove_marker(settings)  # as if the first load had stopped before its last step
    assert not is_loaded(settings, factory)
    resumed = load_demo(settings, factory, **SMALL)
    assert resumed.loaded and resumed.counts["resources"] == len(resource_specs())
    assert not any(k.startswith("rows.") for k in resumed.counts)  # every dataset was already there
    with factory() as db:
        admin = accounts.actor_for(accounts.get_user_by_username(db, "admin"))
        assert sum(catalog.count_by_state(db, actor=admin).values()) == len(resource_specs()) + 4  # as above
        assert len(accounts.list_departments(db)) == 1 + len(city.BUREAUS) + 9 + 172

