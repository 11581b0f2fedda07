"""A department's data officer registers devices of a plugin's device type, alone or from a CSV; each device gets
its own token, shown once and stored as a hash; devices are disabled, enabled and re-keyed, and every change is
audited; a device is online while data comes within three sampling intervals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.iot.conftest import AIR, bearer
from zhicheng.accounts import security
from zhicheng.accounts.service import actor_for
from zhicheng.core import clock
from zhicheng.core.errors import Forbidden, Invalid
from zhicheng.iot import device_types, service
from zhicheng.iot.models import Datastream, Location, Thing
from zhicheng.policy.models import AuditEntry


def test_device_types_come_from_the_plugin_and_are_validated(device_types_plugin):
    types = device_types.device_types()
    assert types["test_air"].name == "测试空气站" and types["test_air"].sampling_interval == 3600
    assert types["test_rain"].datastreams[1].observation_type.endswith("OM_TruthObservation")
    with pytest.raises(Invalid) as bad:
        device_types.validate("p", {**AIR, "datastreams": [{**AIR["datastreams"][0], "valid_min": 5, "valid_max": 1}]})
    assert "valid_min" in bad.value.en
    with pytest.raises(Invalid):
        device_types.validate("p", {**AIR, "key": "Bad Key"})


def test_the_officer_registers_a_device_with_its_location_and_datastreams(db, world, departments):
    thing = world.air.thing
    assert thing.department_id == departments["police"].id and thing.device_type == "test_air" and thing.enabled
    assert world.air.token.startswith("zcd_") and thing.token_hash == security.token_digest(world.air.token)
    assert world.air.token not in str(db.execute(select(Thing.__table__)).all())
    streams = service.datastreams_of(db, thing.id)
    assert [d.key for d in streams] == ["pm25", "o3"]
    assert streams[0].unit_of_measurement == {"name": "微克每立方米", "symbol": "μg/m³", "definition": "ucum:ug/m3"}
    assert (streams[0].valid_min, streams[0].valid_max, streams[0].sampling_interval) == (0, 1000, 3600)
    location = db.scalars(select(Location)).first()
    assert location.encoding_type == "application/geo+json"
    assert location.location["coordinates"] == [112.98, 28.19] and "4490" in location.location["crs"]["properties"]["name"]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "iot.device.create")).first()
    assert entry.target_id == str(thing.id)


def test_only_the_departments_officer_or_the_admin_registers(db, world, departments):
    with pytest.raises(Forbidden):
        service.register_device(db, actor=actor_for(world.other_officer), department_id=departments["police"].id,
                                device_type="test_air", code="AIR-002", name="x", lon=112, lat=28)
    with pytest.raises(Forbidden):
        service.register_device(db, actor=actor_for(world.staff), department_id=departments["police"].id,
                                device_type="test_air", code="AIR-002", name="x", lon=112, lat=28)
    done = service.register_device(db, actor=actor_for(world.admin), department_id=departments["police"].id,
                                   device_type="test_air", code="AIR-002", name="x", lon=112, lat=28)
    assert done.thing.id
    denied = db.scalars(select(AuditEntry).where(AuditEntry.action == "iot.device.create",
                                                 AuditEntry.outcome == "denied")).all()
    assert len(denied) == 2


def test_registration_over_the_api_shows_the_token_once(client, world, departments, auth_headers):
    headers = auth_headers(world.officer)
    answer = client.post("/api/v1/iot/devices", headers=headers, json={
        "department_id": departments["police"].id, "device_type": "test_rain", "code": "RAIN-9", "name": "雨量 9",
        "lon": 112.9, "lat": 28.1})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["token"].startswith("zcd_") and [d["key"] for d in body["datastreams"]] == ["rain", "door_open"]
    again = client.get(f"/api/v1/iot/devices/{body['id']}", headers=headers).json()
    assert "token" not in again and again["online"] is False
    repeat = client.post("/api/v1/iot/devices", headers=headers, json={
        "department_id": departments["police"].id, "device_type": "test_rain", "code": "RAIN-9", "name": "x",
        "lon": 112.9, "lat": 28.1})
    assert repeat.status_code == 409 and repeat.json()["field"] == "code"
    unknown = client.post("/api/v1/iot/devices", headers=headers, json={
        "department_id": departments["police"].id, "device_type": "nope", "code": "X", "name": "x", "lon": 1,
        "lat": 2})
    assert unknown.status_code == 404 and unknown.json()["field"] == "device_type"
    listed = client.get("/api/v1/iot/devices", headers=auth_headers(world.outsider)).json()
    assert [d["code"] for d in listed] == ["RAIN-001"]  # the housing bureau's own


def test_bulk_provisioning_from_csv_over_the_api_is_all_or_none(client, db, world, departments, auth_headers):
    headers = auth_headers(world.officer)
    good = "code,name,device_type,lon,lat,open\nB-1,站一,test_air,112.1,28.1,是\nB-2,站二,test_rain,112.2,28.2,\n"
    answer = client.post("/api/v1/iot/devices/bulk", headers=headers, data={"department_id": departments["police"].id},
                         files={"file": ("d.csv", good.encode(), "text/csv")})
    assert answer.status_code == 201, answer.text
    assert [d["code"] for d in answer.json()["devices"]] == ["B-1", "B-2"]
    assert answer.json()["devices"][0]["open"] is True
    bad = "code,name,device_type,lon,lat\nB-3,站三,test_air,112.1,28.1\nB-4,站四,test_air,500,28.2\n"
    refused = client.post("/api/v1/iot/devices/bulk", headers=headers,
                          data={"department_id": departments["police"].id},
                          files={"file": ("d.csv", bad.encode(), "text/csv")})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("第 3 行")
    assert db.scalar(select(Thing.id).where(Thing.code == "B-3")) is None


def test_a_provisioning_csv_in_gb18030_is_read_and_one_over_the_size_limit_is_refused(client, world, departments,
                                                                                       auth_headers):
    headers = auth_headers(world.officer)
    gbk = "code,name,device_type,lon,lat\nG-1,雨花区空气站,test_air,112.1,28.1\n".encode("gb18030")
    answer = client.post("/api/v1/iot/devices/bulk", headers=headers, data={"department_id": departments["police"].id},
                         files={"file": ("d.csv", gbk, "text/csv")})
    assert answer.status_code == 201, answer.text
    assert answer.json()["devices"][0]["name"] == "雨花区空气站"
    big = b"code,name,device_type,lon,lat\n" + b"x" * service.MAX_CSV_BYTES
    refused = client.post("/api/v1/iot/devices/bulk", headers=headers,
                          data={"department_id": departments["police"].id}, files={"file": ("d.csv", big, "text/csv")})
    assert refused.status_code == 422 and refused.json()["field"] == "file", refused.text
    binary = client.post("/api/v1/iot/devices/bulk", headers=headers, data={"department_id": departments["police"].id},
                         files={"file": ("d.csv", b"\xff\xfe\x00\x81\x30" * 10, "text/csv")})
    assert binary.status_code == 422 and "GB18030" in binary.json()["detail"], binary.text


def test_the_cli_provisions_from_a_csv_with_tokens_written_once(tmp_path, settings, db, world, departments,
                                                                monkeypatch):
    from typer.testing import CliRunner

    from zhicheng.cli import app

    monkeypatch.setenv("ZHICHENG_DATA", str(settings.data))
    monkeypatch.setenv("ZHICHENG_DATABASE_URL", settings.db_url)
    monkeypatch.setenv("ZHICHENG_SECRET_KEY", settings.secret_key)
    from zhicheng.core.settings import get_settings

    get_settings.cache_clear()
    source = tmp_path / "devices.csv"
    source.write_text("code,name,device_type,lon,lat\nC-1,一号,test_air,112.1,28.1\nC-2,二号,test_air,112.2,28.2\n",
                      encoding="utf-8")
    out = tmp_path / "tokens.csv"
    done = CliRunner().invoke(app, ["iot", "provision", str(source), "--department", str(departments["police"].id),
                                    "--tokens", str(out)])
    assert done.exit_code == 0, done.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,code,token" and len(lines) == 3 and lines[1].split(",")[2].startswith("zcd_")
    db.expire_all()
    assert db.scalar(select(Thing.id).where(Thing.code == "C-2")) is not None


def test_disable_enable_rotate_and_online(client, db, world, auth_headers):
    headers = auth_headers(world.officer)
    thing_id = world.air.thing.id
    ds = db.scalar(select(Datastream.id).where(Datastream.thing_id == thing_id, Datastream.key == "pm25"))
    send = {"datastream": ds, "observations": [[clock.now().isoformat(), 12.5]]}
    assert client.post("/api/v1/iot/ingest", headers=bearer(world.air.token), json=send).status_code == 200
    status = client.get(f"/api/v1/iot/devices/{thing_id}", headers=headers).json()
    assert status["online"] is True and status["last_seen"].endswith("+08:00")
    clock.advance(timedelta(hours=3, minutes=1))  # three sampling intervals of an hour
    assert client.get(f"/api/v1/iot/devices/{thing_id}", headers=headers).json()["online"] is False
    clock.reset()

    assert client.post(f"/api/v1/iot/devices/{thing_id}/disable", headers=headers).json()["enabled"] is False
    refused = client.post("/api/v1/iot/ingest", headers=bearer(world.air.token), json=send)
    assert refused.status_code == 403 and refused.json()["code"] == "device_disabled"
    assert client.post(f"/api/v1/iot/devices/{thing_id}/enable", headers=headers).json()["enabled"] is True
    assert client.post(f"/api/v1/iot/devices/{thing_id}/disable",
                       headers=auth_headers(world.staff)).status_code == 403
    rotated = client.post(f"/api/v1/iot/devices/{thing_id}/rotate-token", headers=headers).json()["token"]
    assert client.post("/api/v1/iot/ingest", headers=bearer(world.air.token), json=send).status_code == 401
    assert client.post("/api/v1/iot/ingest", headers=bearer(rotated), json=send).status_code == 200
    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(thing_id))))
    assert {"iot.device.create", "iot.device.disable", "iot.device.enable", "iot.device.rotate"} <= actions
