"""The calculators page in the app shell (物联感知 › 环境计算器): open to anyone, Chinese by default, English from the
plugin's own catalog, each form answered on the page."""

from __future__ import annotations

import re

HTML = {"accept": "text/html"}
PAGE = "/environment/calculators"


def _text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert found, element_id
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_a_visitor_computes_an_hourly_aqi(client):
    page = client.get(PAGE, headers=HTML)
    assert page.status_code == 200 and "环境计算器" in page.text and 'id="form-aqi-hour"' in page.text
    assert "各类人群可正常活动" in page.text  # Table 2 under the forms
    r = client.get(PAGE, params={"calc": "aqi-hour", "pm25": "39", "pm10": "55", "no2": "66", "so2": "6",
                                 "co": "1.0", "o3": "", "lang": "zh-CN"}, headers=HTML)
    assert r.status_code == 200
    assert _text(r.text, "aqi-value") == "AQI 55" and _text(r.text, "aqi-category") == "良"
    assert _text(r.text, "aqi-primary") == "细颗粒物(PM2.5)"
    assert 'value="39"' in r.text  # the form keeps what was typed


def test_a_bad_value_is_shown_beside_its_form(client):
    r = client.get(PAGE, params={"calc": "aqi-day", "pm25": "-3"}, headers=HTML)
    assert r.status_code == 200 and "不能为负数" in _text(r.text, "env-error")
    assert 'id="f-aqi-day-pm25"' in r.text and 'aria-invalid="true"' in r.text
    junk = client.get(PAGE, params={"calc": "noise", "zone": "9", "leq": "x"}, headers=HTML)
    assert junk.status_code == 200 and _text(junk.text, "env-error")


def test_water_and_noise_forms(client):
    w = client.get(PAGE, params={"calc": "water", "water_body": "river", "target": "III", "ph": "7", "do": "5.5",
                                 "nh3n": "1.2"}, headers=HTML)
    assert _text(w.text, "water-class") == "IV类" and "氨氮" in _text(w.text, "water-deciding")
    n = client.get(PAGE, params={"calc": "noise", "zone": "4a", "period": "night", "leq": "58", "lmax": "72"},
                   headers=HTML)
    assert "超过限值 3 dB(A)" in _text(n.text, "noise-verdict") or "超过限值 3 dB(A)" in n.text


def test_the_page_in_english(client):
    r = client.get(PAGE, params={"calc": "aqi-hour", "pm25": "80", "lang": "en"}, headers=HTML)
    assert "Environment calculators" in r.text and _text(r.text, "aqi-category") == "Lightly polluted"
    assert "Children, the elderly" in r.text and "空气质量实时报" not in r.text


def test_staff_find_it_under_iot_and_visitors_bar_is_unchanged(client, make_user, login):
    anonymous = [e["label"] for e in client.get("/api/v1/navigation").json()]
    assert anonymous == ["首页", "开放数据", "一张图", "关于"]
    login(client, make_user("env_staff"))
    bar = client.get("/api/v1/navigation", params={"path": PAGE}).json()
    iot = next(e for e in bar if e.get("key") == "iot")
    assert iot["label"] == "物联感知" and iot["current"]
    assert {"label": "环境计算器", "href": PAGE, "current": True} in iot["entries"]
    english = client.get("/api/v1/navigation", params={"path": PAGE, "lang": "en"}).json()
    assert any(e["label"] == "Environment calculators" for g in english for e in g.get("entries") or [])
