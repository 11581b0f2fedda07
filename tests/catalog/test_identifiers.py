"""A data officer registers items by their Chinese names: the identifiers come from pinyin, unique in the resource."""

from __future__ import annotations

import pytest

from tests.catalog.test_pages import HTML, form_data
from tests.helpers.accounts import page_csrf


@pytest.mark.parametrize(("name", "initials", "full"), [
    ("身份证号", "sfzh", "shen_fen_zheng_hao"),
    ("号牌号码", "hphm", "hao_pai_hao_ma"),
    ("重庆市", "cqs", "chong_qing_shi"),  # a phrase read as a phrase, not zhong qing
    ("注册资本（万元）", "zczb_wy", "zhu_ce_zi_ben_wan_yuan"),
    ("PM2.5浓度", "pm2_5_nd", "pm2_5_nong_du"),
    ("2020年人口", "c2020_nrk", "c2020_nian_ren_kou"),  # an identifier starts with a letter
    ("绿色建筑", "lsjz", "lv_se_jian_zhu"),
])
def test_identifiers_from_chinese_names(name, initials, full):
    from zhicheng.catalog.identifiers import identifier_for

    assert identifier_for(name) == initials
    assert identifier_for(name, style="full") == full


def test_identifiers_are_unique_and_never_reserved():
    from zhicheng.catalog.identifiers import identifier_for
    from zhicheng.catalog.items import ITEM_NAME_RE

    assert identifier_for("身份证号", taken=["sfzh"]) == "sfzh_2"
    assert identifier_for("司法证号", taken=["sfzh", "sfzh_2"]) == "sfzh_3"
    assert identifier_for("选择") == "xz" and identifier_for("（）") == "item"
    long = identifier_for("中华人民共和国" * 14, style="full")
    assert ITEM_NAME_RE.match(long) and len(long) <= 63


def test_the_identifier_endpoint_proposes_and_explains(client, login, make_user, departments):
    assert client.get("/api/v1/catalog/identifier", params={"name": "身份证号"}).status_code == 401
    login(client, make_user("li", roles=["data_officer"], department=departments["police"]))
    r = client.get("/api/v1/catalog/identifier", params={"name": "身份证号", "taken": "xm,sfzh"})
    assert r.status_code == 200 and r.json() == {"name": "身份证号", "identifier": "sfzh_2", "style": "initials"}
    full = client.get("/api/v1/catalog/identifier", params={"name": "身份证号", "style": "full"})
    assert full.json()["identifier"] == "shen_fen_zheng_hao"
    bad = client.get("/api/v1/catalog/identifier", params={"name": "身份证号", "style": "wubi"})
    assert bad.status_code == 422 and bad.json()["field"] == "style"
    empty = client.get("/api/v1/catalog/identifier", params={"name": "  "})
    assert empty.status_code == 422 and empty.json()["field"] == "name"


def test_a_form_row_without_identifier_gets_one_from_its_name(client, login, make_user, departments):
    """Without script the server fills what the page would have proposed."""
    login(client, make_user("li", roles=["data_officer"], department=departments["police"]))
    csrf = page_csrf(client.get("/catalog/new", headers=HTML).text)
    data = form_data(csrf, **{"items-0-name": "", "items-7-name": "", "items-7-label": "道路名称（别名）"})
    ok = client.post("/catalog/new", data=data, headers=HTML, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    resource_id = int(ok.headers["location"].rsplit("/", 1)[1])
    items = client.get(f"/api/v1/catalog/resources/{resource_id}").json()["items"]
    assert [(i["name"], i["label"]) for i in items] == [("dlmc", "道路名称"), ("dlmc_bm", "道路名称（别名）")]
