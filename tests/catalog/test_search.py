"""Searching the catalog in Chinese: segmented words, not substrings; facets with counts; only what one may see."""

from __future__ import annotations

import pytest

from zhicheng.catalog import search
from zhicheng.catalog import service as catalog
from zhicheng.core.errors import Forbidden, Invalid


@pytest.fixture
def city_catalog(db, departments, make_resource):
    """Five published resources of two departments, plus a draft of each."""
    housing = departments["housing"]
    made = {
        "pop": make_resource("常住人口基本信息", state="published"),
        "flow": make_resource("流动人口登记信息", state="published", share_type="unconditional",
                              share_condition=None, update_cycle="realtime",
                              summary="来长沙居住的流动人口登记与居住证办理信息"),
        "license": make_resource("市场主体登记信息", department=housing, state="published", subclass="legal_person",
                                 summary="企业和个体工商户的登记事项", tags=["法人"],
                                 items=[{"name": "tyshxydm", "label": "统一社会信用代码", "check": "credit_code"},
                                        {"name": "yyzzbh", "label": "营业执照编号"}]),
        "house": make_resource("商品房预售许可信息", department=housing, state="published",
                               catalog_class="department", subclass=None, format="spreadsheet",
                               summary="商品房预售许可证的核发情况", open_type="unconditional", tags=["住房"],
                               share_type="unconditional", share_condition=None),
        "air": make_resource("空气质量监测小时数据", department=housing, state="published",
                             catalog_class="theme", subclass="environment", summary="全市国控站点小时监测值",
                             items=[{"name": "aqi", "label": "空气质量指数", "type": "integer"}], tags=["环境"]),
        "draft": make_resource("人口迁移统计（草稿）", summary="户籍人口迁入迁出统计"),
        "hdraft": make_resource("保障性住房人口台账", department=housing, summary="保障性住房配租家庭成员台账"),
    }
    return made


def names(result) -> list[str]:
    return sorted(d["name"] for d in result.items)


def test_chinese_words_find_resources(db, catalog_actors, city_catalog):
    reader = catalog_actors["housing_officer"]
    assert names(search.search(db, actor=reader, q="人口")) == ["保障性住房人口台账", "常住人口基本信息",
                                                                 "流动人口登记信息"]
    assert names(search.search(db, actor=reader, q="营业执照")) == ["市场主体登记信息"]  # an item label
    assert names(search.search(db, actor=reader, q="常住人口")) == ["常住人口基本信息"]
    assert names(search.search(db, actor=reader, q="空气质量 指数")) == ["空气质量监测小时数据"]
    assert names(search.search(db, actor=reader, q="信用代码")) == ["市场主体登记信息"]
    assert names(search.search(db, actor=reader, q="长沙市公安局")) == ["常住人口基本信息", "流动人口登记信息"]
    assert search.search(db, actor=reader, q="气象卫星").total == 0
    assert search.search(db, actor=reader, q="！？").total == 0
    # words, not substrings: 口 alone is not a word of these texts
    assert search.search(db, actor=reader, q="口").total == 0
    # query syntax and SQL are just words: no error, nothing injected
    for nasty in ('"; DROP TABLE catalog_resource; --', "人口 AND (", "NEAR(人口", "人口*", "'人口' | !信息", "or"):
        search.search(db, actor=reader, q=nasty)
    assert names(search.search(db, actor=reader, q="人口 OR")) == []
    assert search.search(db, actor=reader, q="人口*").total == 3


def test_exact_name_ranks_first(db, catalog_actors, city_catalog):
    result = search.search(db, actor=catalog_actors["admin"], q="常住人口基本信息")
    assert result.items[0]["name"] == "常住人口基本信息"


def test_visibility_follows_policy(db, catalog_actors, city_catalog):
    police_user, housing = catalog_actors["police_user"], catalog_actors["housing_officer"]
    assert "人口迁移统计（草稿）" in names(search.search(db, actor=police_user, q="人口"))
    assert "人口迁移统计（草稿）" not in names(search.search(db, actor=housing, q="人口"))
    assert search.search(db, actor=catalog_actors["admin"], q=None).total == 7
    # a draft revision of a published resource: others keep seeing (and finding) the published words
    pop = city_catalog["pop"]
    catalog.revise(db, actor=catalog_actors["officer"], resource_id=pop.id)
    catalog.update_resource(db, actor=catalog_actors["officer"], resource_id=pop.id, data={"summary": "增加了暂住证字段"})
    assert search.search(db, actor=housing, q="暂住证").total == 0
    assert names(search.search(db, actor=catalog_actors["police_user"], q="暂住证")) == ["常住人口基本信息"]
    hits = search.search(db, actor=housing, q="常住人口").items
    assert hits[0]["view"] == "pub" and hits[0]["summary"] != "增加了暂住证字段"
    from zhicheng.core.actor import ANONYMOUS

    with pytest.raises(Forbidden):
        search.search(db, actor=ANONYMOUS, q="人口")


def test_facets_count_and_filter(db, catalog_actors, departments, city_catalog):
    reader = catalog_actors["housing_officer"]  # sees 5 published + its own draft
    result = search.search(db, actor=reader)
    assert result.total == 6
    f = {name: {v["value"]: v["count"] for v in values} for name, values in result.facets.items()}
    assert f["department"] == {departments["police"].id: 2, departments["housing"].id: 4}
    assert f["catalog_class"] == {"base": 4, "theme": 1, "department": 1}
    assert f["share_type"] == {"conditional": 4, "unconditional": 2}
    assert f["open_type"] == {"none": 5, "unconditional": 1}
    assert f["format"] == {"database": 5, "spreadsheet": 1}
    assert f["update_cycle"] == {"daily": 5, "realtime": 1}
    assert f["state"] == {"published": 5, "draft": 1}
    labels = {v["value"]: v["label"] for v in result.facets["share_type"]}
    assert labels["conditional"] == "有条件共享"

    filtered = search.search(db, actor=reader, q="人口", filters={"share_type": ["unconditional"]})
    assert names(filtered) == ["流动人口登记信息"]
    # a facet's own counts ignore its own filter (so the other values stay selectable), others apply it
    counts = {v["value"]: v["count"] for v in filtered.facets["share_type"]}
    assert counts == {"conditional": 2, "unconditional": 1}
    assert {v["value"]: v["count"] for v in filtered.facets["update_cycle"]} == {"realtime": 1}
    both = search.search(db, actor=reader, filters={"department": [departments["housing"].id],
                                                    "catalog_class": ["base", "theme"]})
    assert names(both) == ["保障性住房人口台账", "市场主体登记信息", "空气质量监测小时数据"]
    assert names(search.search(db, actor=reader, filters={"share_type": "无条件共享"})) == [
        "商品房预售许可信息", "流动人口登记信息"]


def test_pagination_and_bad_filters(db, catalog_actors, city_catalog):
    admin = catalog_actors["admin"]
    pages = [search.search(db, actor=admin, page=p, size=3) for p in (1, 2, 3)]
    assert [len(p.items) for p in pages] == [3, 3, 1] and all(p.total == 7 for p in pages)
    assert len({d["id"] for p in pages for d in p.items}) == 7
    for filters, field in (({"colour": ["red"]}, "colour"), ({"open_type": ["maybe"]}, "open_type"),
                           ({"department": ["x"]}, "department")):
        with pytest.raises(Invalid) as exc:
            search.search(db, actor=admin, filters=filters)
        assert exc.value.field == field


def test_withdrawn_leaves_others_results(db, catalog_actors, city_catalog):
    catalog.withdraw(db, actor=catalog_actors["officer"], resource_id=city_catalog["flow"].id, reason="停用")
    assert "流动人口登记信息" not in names(search.search(db, actor=catalog_actors["housing_officer"], q="人口"))
    mine = search.search(db, actor=catalog_actors["police_user"], q="流动人口")
    assert [d["state"] for d in mine.items] == ["withdrawn"]


def test_published_documents_load_together_as_one_by_one(db, catalog_actors, city_catalog):
    """`live_snapshots` (one query for a page) gives what `live_snapshot` gives each resource; drafts have none."""
    resources = [catalog.get_resource(db, r.id) for r in city_catalog.values()]
    together = catalog.live_snapshots(db, resources)
    assert together == {r.id: catalog.live_snapshot(db, r) for r in resources if catalog.live_snapshot(db, r)}
    assert city_catalog["draft"].id not in together and len(together) == 5
    # the ids of everything a search finds, in the order its pages give them
    reader = catalog_actors["housing_officer"]
    paged = [d["id"] for p in (1, 2) for d in search.search(db, actor=reader, q="人口", page=p, size=2).items]
    assert search.search_ids(db, actor=reader, q="人口") == paged and len(paged) == 3
