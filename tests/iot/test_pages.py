"""The device pages as staff use them: the list with its filters and pages, one device with its latest values, a
device registered from the form and a CSV (each token shown once, errors by row), enable/disable and a new token,
the quarantine filtered by device and reason; another department's closed device is not there."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.helpers.accounts import page_csrf
from tests.helpers.browser import css, wait
from tests.iot.conftest import bearer, hours_ago
from tests.web.test_browser import log_in
from zhicheng.accounts import security
from zhicheng.core import clock
from zhicheng.iot import ingest as iot_ingest
from zhicheng.iot import service
from zhicheng.iot.models import Thing


def ingest(client, token, ref, observations):
    r = client.post("/api/v1/iot/ingest", json={"datastream": ref, "observations": observations},
                    headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()


def test_the_list_shows_what_each_may_see_with_status_and_filters(client, world, login):
    ingest(client, world.air.token, "pm25", [[hours_ago(0.5), 35.0]])
    login(client, world.staff)
    page = client.get("/iot/devices")
    assert page.status_code == 200
    assert "AIR-001" in page.text and "RAIN-001" in page.text  # its own, and the housing bureau's open gauge
    row = re.search(rf'<tr data-id="{world.air.thing.id}">.*?</tr>', page.text, re.S).group(0)
    assert "在线" in row and "长沙市公安局" in row and "测试空气站" in row
    rain = re.search(rf'<tr data-id="{world.rain.thing.id}">.*?</tr>', page.text, re.S).group(0)
    assert "离线" in rain and "开放" in rain
    assert 'id="register-one"' not in page.text  # a plain user registers nothing
    online = client.get("/iot/devices", params={"status": "online"})
    assert "AIR-001" in online.text and "RAIN-001" not in online.text
    offline = client.get("/iot/devices", params={"status": "offline"})
    assert "AIR-001" not in offline.text and "RAIN-001" in offline.text
    by_type = client.get("/iot/devices", params={"type": "test_rain", "q": "雨量"})
    assert "RAIN-001" in by_type.text and "AIR-001" not in by_type.text
    en = client.get("/iot/devices", params={"lang": "en"})
    assert "Devices" in en.text and "Online" in en.text and "Changsha Public Security Bureau" in en.text


def test_another_departments_closed_device_is_not_found(client, world, login):
    login(client, world.outsider)
    page = client.get("/iot/devices")
    assert "RAIN-001" in page.text and "AIR-001" not in page.text
    assert client.get(f"/iot/devices/{world.air.thing.id}").status_code == 404
    assert client.get("/iot/devices/0").status_code == 422


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    r = client.get("/iot/devices", follow_redirects=False, headers={"Accept": "text/html"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_paging(client, world, login, db, departments):
    from zhicheng.accounts.service import actor_for

    rows = [{"code": f"P-{n:03d}", "name": f"测试站{n}", "device_type": "test_air", "lon": "112.9", "lat": "28.1"}
            for n in range(25)]
    service.register_many(db, actor=actor_for(world.officer), department_id=departments["police"].id, rows=rows)
    login(client, world.officer)
    first = client.get("/iot/devices", params={"q": "P-"})
    assert "共 25 台设备" in first.text and first.text.count('<tr data-id=') == 20 and 'rel="next"' in first.text
    second = client.get("/iot/devices", params={"q": "P-", "page": 2})
    assert second.text.count('<tr data-id=') == 5 and "P-024" in second.text


def test_the_device_page_shows_latest_values_and_manages_the_device(client, world, login, db):
    ingest(client, world.air.token, "pm25", [[hours_ago(2), 30.0], [hours_ago(1), 42.5]])
    login(client, world.officer)
    page = client.get(f"/iot/devices/{world.air.thing.id}")
    assert page.status_code == 200
    row = re.search(r'<tr data-key="pm25">.*?</tr>', page.text, re.S).group(0)
    assert "42.5" in row and "μg/m³" in row
    assert "/api/v1/iot/aggregates?datastreams=" in page.text and 'id="device-map"' in page.text
    assert "/static/vendor/echarts/echarts.min.js" in page.text and "https://" not in page.text.split("<main")[1]
    csrf = page_csrf(page.text)
    # no CSRF token: refused, nothing changes
    refused = client.post(f"/iot/devices/{world.air.thing.id}/disable", headers={"X-CSRF-Token": ""})
    assert refused.status_code == 403
    r = client.post(f"/iot/devices/{world.air.thing.id}/disable", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/iot/devices/{world.air.thing.id}")
    assert "已停用" in page.text and 'id="enable-device"' in page.text
    r = client.post(f"/iot/devices/{world.air.thing.id}/enable", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    rotated = client.post(f"/iot/devices/{world.air.thing.id}/rotate-token", data={"csrf_token": csrf})
    assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
    new = re.search(r'<code class="token">(zcd_[^<]+)</code>', rotated.text).group(1)
    db.expire_all()
    assert db.get(Thing, world.air.thing.id).token_hash == security.token_digest(new)
    assert client.post("/api/v1/iot/ingest", json={"datastream": "pm25", "observations": []},
                       headers=bearer(world.air.token)).status_code == 401
    assert new not in client.get(f"/iot/devices/{world.air.thing.id}").text


def test_a_user_of_the_department_reads_but_does_not_manage(client, world, login):
    login(client, world.staff)
    page = client.get(f"/iot/devices/{world.air.thing.id}")
    assert page.status_code == 200 and 'id="rotate-token"' not in page.text
    csrf = page_csrf(page.text)
    assert client.post(f"/iot/devices/{world.air.thing.id}/rotate-token", data={"csrf_token": csrf}).status_code == 403
    assert client.get("/iot/devices/new").status_code == 403


def test_register_one_device_from_the_form(client, world, login, departments, db):
    login(client, world.officer)
    form = client.get("/iot/devices/new")
    assert form.status_code == 200 and "长沙市住房和城乡建设局" not in form.text  # only its own department
    csrf = page_csrf(form.text)
    data = {"csrf_token": csrf, "department_id": str(departments["police"].id), "device_type": "test_air",
            "code": "AIR-NEW", "name": "岳麓山空气站", "lon": "112.93", "lat": "28.18"}
    bad = client.post("/iot/devices/new", data={**data, "lat": "95"})
    assert bad.status_code == 422 and 'id="e-lat"' in bad.text and "纬度须在 -90 到 90 之间" in bad.text
    assert 'value="AIR-NEW"' in bad.text  # what was typed stays
    dup = client.post("/iot/devices/new", data={**data, "code": "AIR-001"})
    assert dup.status_code == 422 and 'id="e-code"' in dup.text
    done = client.post("/iot/devices/new", data=data)
    assert done.status_code == 200 and done.headers["cache-control"] == "no-store"
    token = re.search(r'<code class="token">(zcd_[^<]+)</code>', done.text).group(1)
    thing = db.query(Thing).filter_by(code="AIR-NEW").one()
    assert thing.token_hash == security.token_digest(token)
    en = client.post("/iot/devices/new", data={**data, "code": "X2", "lon": "abc", "lang": "en"},
                     params={"lang": "en"})
    assert en.status_code == 422 and "coordinates must be numbers" in en.text


def test_bulk_provisioning_lists_each_token_once_or_every_error_by_row(client, world, login, departments, db):
    login(client, world.officer)
    form = client.get("/iot/devices/bulk")
    csrf = page_csrf(form.text)
    dept = str(departments["police"].id)
    bad_csv = ("code,name,device_type,lon,lat\n"
               "B-1,一号站,test_air,112.9,28.1\n"
               "B-1,重复,test_air,112.9,28.1\n"
               "AIR-001,已有,test_air,112.9,28.1\n"
               "B-4,类型错,no_such_type,112.9,28.1\n"
               "B-5,坐标错,test_air,200,28.1\n").encode()
    r = client.post("/iot/devices/bulk", data={"csrf_token": csrf, "department_id": dept},
                    files={"file": ("devices.csv", bad_csv, "text/csv")})
    assert r.status_code == 422
    lines = re.findall(r'<tr data-line="(\d+)">', r.text)
    assert lines == ["3", "4", "5", "6"]
    assert "与第 2 行重复" in r.text and "no_such_type" in r.text and "经度须在 -180 到 180 之间" in r.text
    assert db.query(Thing).filter(Thing.code.like("B-%")).count() == 0
    missing = client.post("/iot/devices/bulk", data={"csrf_token": csrf, "department_id": dept},
                          files={"file": ("d.csv", b"code,name\nx,y\n", "text/csv")})
    assert missing.status_code == 422 and 'id="e-file"' in missing.text and "lon" in missing.text
    good = ("code,name,device_type,lon,lat\nB-1,一号站,test_air,112.9,28.1\nB-2,二号站,test_rain,112.8,28.2\n")
    ok = client.post("/iot/devices/bulk", data={"csrf_token": csrf, "department_id": dept},
                     files={"file": ("devices.csv", good.encode("gb18030"), "text/csv")})
    assert ok.status_code == 200 and ok.headers["cache-control"] == "no-store"
    tokens = re.findall(r'<code class="token">(zcd_[^<]+)</code>', ok.text)
    assert len(tokens) == 2 and len(set(tokens)) == 2
    for code, token in zip(("B-1", "B-2"), tokens, strict=True):
        assert db.query(Thing).filter_by(code=code).one().token_hash == security.token_digest(token)


def test_the_quarantine_page_filters_by_device_and_reason(client, world, login):
    ingest(client, world.air.token, "pm25", [[hours_ago(1), 5000], [hours_ago(1), "abc"]])
    ingest(client, world.rain.token, "rain", [[hours_ago(1), -3]])
    login(client, world.officer)  # police: its own air station and the open rain gauge
    page = client.get("/iot/quarantine")
    assert page.status_code == 200 and page.text.count("<tr data-reason=") == 3
    assert "结果超出设备类型的有效范围" in page.text and "5000" in page.text
    air = client.get("/iot/quarantine", params={"device": "AIR-001"})
    assert air.text.count("<tr data-reason=") == 2
    wrong = client.get("/iot/quarantine", params={"device": "AIR-001", "reason": "wrong_type"})
    assert wrong.text.count('<tr data-reason="wrong_type">') == 1 and wrong.text.count("<tr data-reason=") == 1
    none = client.get("/iot/quarantine", params={"device": "NOPE"})
    assert 'id="unknown-device"' in none.text
    login(client, world.outsider)  # housing: the police station's rows are not there
    other = client.get("/iot/quarantine")
    assert other.text.count("<tr data-reason=") == 1 and "AIR-001" not in other.text


def test_the_menu_has_the_device_pages(client, world, login):
    login(client, world.staff)
    page = client.get("/iot/devices")
    nav = page.text.split('data-nav-group="iot"')[1].split("</details>")[0]
    assert 'href="/iot/devices"' in nav and 'href="/iot/quarantine"' in nav


def test_online_follows_the_sampling_interval(client, world, login):
    ingest(client, world.air.token, "pm25", [[hours_ago(0.5), 12.0]])
    clock.advance(timedelta(hours=3, minutes=1))  # three hourly intervals without data
    login(client, world.staff)
    page = client.get("/iot/devices", params={"status": "offline"})
    assert "AIR-001" in page.text


@pytest.mark.browser
def test_the_device_page_in_a_browser_draws_its_chart_and_map_and_rotates_the_token(live_server, browser, world,
                                                                                     db):
    items = [iot_ingest.Incoming("pm25", hours_ago(h), 20.0 + h) for h in (1, 2, 3, 5)]
    iot_ingest.ingest(db, thing=world.air.thing, items=items, channel="test")
    log_in(browser, live_server.url, world.officer.username, start="/iot/devices")
    css(browser, f"tr[data-id='{world.air.thing.id}'] a").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "#device-chart[data-ready='1']"))
    assert css(browser, "#device-chart").get_attribute("data-points") == "4"
    wait(browser).until(lambda d: d.find_elements("css selector", "#device-map[data-ready='1']"))
    drawn = browser.execute_script("return window.deviceMap.queryRenderedFeatures({layers: ['device']}).length")
    assert drawn == 1
    assert css(browser, "tr[data-key='pm25'] .latest").text == "21"
    css(browser, "#rotate-token").click()
    wait(browser).until(lambda d: d.find_elements("css selector", "code.token"))
    assert css(browser, "code.token").text.startswith("zcd_")
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
